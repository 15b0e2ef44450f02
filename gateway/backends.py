"""The gateway's gRPC clients, one channel per backend service, opened and closed with the app."""

import json
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cdp.ingest.v1.ingest_pb2_grpc import IngestServiceStub
from cdp.profile.v1.profile_pb2_grpc import ProfileServiceStub
from cdp.segmentation.v1.segmentation_pb2_grpc import SegmentationServiceStub
from gateway import deadline
from gateway.settings import GatewaySettings
from services.common import request_id
from services.common.tenancy import WORKSPACE_METADATA_KEY

# Calls that are safe to repeat are retried by gRPC itself when a replica is unavailable (down, restarting, or
# its store unreachable), with exponential backoff, within the call's deadline. Every RPC is safe to repeat except
# the creates of definitions, whose repeat after a lost answer would meet its own name (409). Ingest is safe: the
# gateway gives every message its messageId before the first attempt, and a messageId is stored once.
_RETRY = {"maxAttempts": 4, "initialBackoff": "0.1s", "maxBackoff": "1s", "backoffMultiplier": 2,
          "retryableStatusCodes": ["UNAVAILABLE"]}
_NOT_RETRIED = {"cdp.segmentation.v1.SegmentationService": ("CreateAudience", "CreateComputedTrait")}


def _service_config(service: str) -> str:
    once = [{"name": [{"service": service, "method": m} for m in _NOT_RETRIED.get(service, ())]}]
    return json.dumps({
        # Round robin over every address a target resolves to, so scaled-out replicas share the calls.
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [{"name": [{"service": service}], "retryPolicy": _RETRY},
                         *(once if _NOT_RETRIED.get(service) else [])],
    })


def _channel_options(service: str) -> list[tuple[str, Any]]:
    return [
        ("grpc.service_config", _service_config(service)),
        # A replica back from a restart is reconnected to within a second or two, not after gRPC's default
        # backoff of up to two minutes.
        ("grpc.initial_reconnect_backoff_ms", 250),
        ("grpc.max_reconnect_backoff_ms", 2000),
        # Answers are bounded by their pages (100 profiles or events), not by gRPC's 4 MB default: a page of
        # profiles with large traits must not come back as RESOURCE_EXHAUSTED, which reads as a rate limit (429).
        ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ]


def _request_metadata() -> tuple[tuple[str, str], ...]:
    """The current request's id, for the services' logs: a call made for a request carries its id."""
    rid = request_id.current()
    return ((request_id.METADATA_KEY, rid),) if rid else ()


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
            name: grpc.aio.insecure_channel(target, options=_channel_options(service))
            for name, target, service in (
                ("ingest", settings.ingest_target, "cdp.ingest.v1.IngestService"),
                ("segmentation", settings.segmentation_target, "cdp.segmentation.v1.SegmentationService"),
                ("profile", settings.profile_target, "cdp.profile.v1.ProfileService"),
            )
        }
        return cls(
            channels=channels,
            ingest=IngestServiceStub(channels["ingest"]),
            segmentation=SegmentationServiceStub(channels["segmentation"]),
            profile=ProfileServiceStub(channels["profile"]),
            timeout=settings.request_timeout_seconds,
        )

    def call_options(self, workspace: str) -> dict[str, object]:
        """Keyword arguments for every RPC made on behalf of `workspace`: its metadata (with the request's id), and
        what is left of the request's deadline (`gateway.deadline`)."""
        return {"metadata": ((WORKSPACE_METADATA_KEY, workspace), *_request_metadata()),
                "timeout": deadline.remaining(self.timeout)}

    async def health(self) -> dict[str, str]:
        """Each backend's gRPC health status, by name ("SERVING", "NOT_SERVING", or why it did not answer)."""
        statuses: dict[str, str] = {}
        for name, channel in self.channels.items():
            try:
                reply = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=2, metadata=_request_metadata())
                statuses[name] = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
            except grpc.aio.AioRpcError as error:
                statuses[name] = f"unreachable: {error.code().name}"
        return statuses

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()
