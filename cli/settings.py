"""Where the CLI finds the services and the store: the gateway's environment, overridden by flags."""

from pydantic import AliasChoices, Field

from gateway.settings import GatewaySettings

# The store `make run` starts (tools.run), so that the CLI works beside it with no environment at all.
MAKE_RUN_STORE = "mongodb://127.0.0.1:27017/?directConnection=true"


class CliSettings(GatewaySettings):
    """The CLI stands where the gateway stands, in front of the services, so it reads the gateway's settings: the
    services' targets (`CDP_GATEWAY_*_TARGET`), the tracking limits an import keeps to, the store
    (`MONGODB_URI`, `CDP_MONGODB_DATABASE`) and the deadline of each call. Only the store has a default here: the
    embedded one of `make run`, as the targets default to its ports."""

    mongodb_uri: str = Field(MAKE_RUN_STORE, validation_alias=AliasChoices("MONGODB_URI"), min_length=1)
