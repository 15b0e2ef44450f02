from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CDP_INGEST_", extra="ignore")

    port: int = Field(50051, ge=0, le=65535)
    metrics_port: int = Field(9091, ge=0, le=65535)
