from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class ProfileSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CDP_PROFILE_", extra="ignore")

    port: int = Field(50053, ge=0, le=65535)
    metrics_port: int = Field(9093, ge=0, le=65535)
    # How long audience and computed trait names are cached: a rename shows within this (see names.py).
    name_cache_seconds: float = Field(5.0, ge=0)
    # How many of the latest events the catalog of what a workspace sent reads (see catalog.py): its cost.
    catalog_events: int = Field(10_000, ge=1, le=1_000_000)
