"""The settings every service shares; each service subclasses it with its own env prefix and port."""

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StoreSettings(BaseSettings):
    """Where the store is. `MONGODB_URI` is required: `make run` and the tests set it to the embedded store."""

    model_config = SettingsConfigDict(extra="ignore")

    mongodb_uri: str = Field(validation_alias=AliasChoices("MONGODB_URI"), min_length=1)
    mongodb_database: str = Field("cdp", validation_alias=AliasChoices("CDP_MONGODB_DATABASE"), min_length=1)
    log_level: str = Field("INFO", validation_alias=AliasChoices("CDP_LOG_LEVEL"))
    # Loggers to run at DEBUG whatever the level, comma-separated (e.g. `services.segmentation.worker`).
    debug_loggers: str = Field("", validation_alias=AliasChoices("CDP_DEBUG_LOGGERS"))


class ServiceSettings(StoreSettings):
    """A gRPC service's settings; subclasses set `env_prefix` (e.g. `CDP_INGEST_`) and the default ports."""

    host: str = "0.0.0.0"
    port: int = Field(ge=0, le=65535)
    # Where Prometheus scrapes the service's metrics (HTTP, on `host`); 0 picks a free port, named in the ready line.
    metrics_port: int = Field(ge=0, le=65535)
    # How long in-flight calls may finish after SIGTERM before they are cancelled.
    grace_seconds: float = Field(5.0, ge=0)
