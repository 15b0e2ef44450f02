from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import StoreSettings


class GatewaySettings(StoreSettings):
    """The gateway reads the store only to resolve credentials to workspaces (the `workspaces` collection)."""

    model_config = SettingsConfigDict(env_prefix="CDP_GATEWAY_", extra="ignore")

    host: str = "0.0.0.0"
    port: int = Field(8080, ge=0, le=65535)
    # gRPC targets; a `dns:///name:port` target spreads calls over every address the name resolves to.
    ingest_target: str = "127.0.0.1:50051"
    segmentation_target: str = "127.0.0.1:50052"
    profile_target: str = "127.0.0.1:50053"
    # Each request's deadline: the gRPC calls and store reads made for it share it (`gateway.deadline`); past it
    # the answer is 504.
    request_timeout_seconds: float = Field(10.0, gt=0)
    # How long a resolved (or refused) credential is trusted before the store is asked again.
    credential_cache_seconds: float = Field(10.0, ge=0)
    # Requests per second per workspace, in this gateway process (a token bucket: `rate_limit_burst` at once, then
    # refilled at this rate); over it is 429. Intilery's figures.
    rate_limit_per_second: float = Field(100.0, gt=0)
    rate_limit_burst: int = Field(500, ge=1)
    # Tracking limits (Segment's): counted on the decompressed body, so gzip cannot be used to slip past them.
    max_message_bytes: int = Field(32 * 1024, gt=0)  # one message, as compact UTF-8 JSON
    max_request_bytes: int = Field(500 * 1024, gt=0)  # one request body
    max_batch_messages: int = Field(2500, gt=0)
    # Deeper JSON cannot cross gRPC: protobuf refuses to decode a Struct nested much past 32 levels.
    max_nesting_depth: int = Field(32, gt=1, le=32)
