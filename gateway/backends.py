"""The gateway's gRPC clients, one channel per backend service, opened and closed with the app."""

from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cdp.ingest.v1.ingest_pb2_grpc import IngestServiceStub
from cdp.profile.v1.profile_pb2_grpc import ProfileServiceStub
from cdp.segmentation.v1.segmentation_pb2_grpc import SegmentationServiceStub
from gateway.settings import GatewaySettings
from services.common.tenancy import WORKSPACE_METADATA_KEY

# Round robin over every address a target resolves to, so scaled-out replicas share the calls.
_CHANNEL_OPTIONS = [("grpc.lb_policy_name", "round_robin")]


@dataclass
class Backends:
    channels: dict[str, grpc.aio.Channel]
    ingest: IngestServiceStub
    segmentation: SegmentationServiceStub
    profile: ProfileServiceStub
    timeout: float

    @classmethod
    def open(cls, settings: GatewaySettings) -> "Backends":
        channels = {
            name: grpc.aio.insecure_channel(target, options=_CHANNEL_OPTIONS)
            for name, target in (
                ("ingest", settings.ingest_target),
                ("segmentation", settings.segmentation_target),
                ("profile", settings.profile_target),
            )
        }
        return cls(
            channels=channels,
            ingest=IngestServiceStub(channels["ingest"]),
            segmentation=SegmentationServiceStub(channels["segmentation"]),
            profile=ProfileServiceStub(channels["profile"]),
            timeout=settings.rpc_timeout_seconds,
        )

    def call_options(self, workspace: str) -> dict[str, object]:
        """Keyword arguments for every RPC made on behalf of `workspace`."""
        return {"metadata": ((WORKSPACE_METADATA_KEY, workspace),), "timeout": self.timeout}

    async def health(self) -> dict[str, str]:
        """Each backend's gRPC health status, by name ("SERVING", "NOT_SERVING", or why it did not answer)."""
        statuses: dict[str, str] = {}
        for name, channel in self.channels.items():
            try:
                reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
                statuses[name] = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
            except grpc.aio.AioRpcError as error:
                statuses[name] = f"unreachable: {error.code().name}"
        return statuses

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()
