from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class SegmentationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CDP_SEGMENTATION_", extra="ignore")

    port: int = Field(50052, ge=0, le=65535)
