"""`python -m services.common.healthcheck HOST:PORT`: ask a gRPC service whether it is SERVING.

Compose healthchecks (and any orchestrator without native gRPC probes) call this rather than testing that the port
is open, because an open port says too little: the server binds before the service has finished starting (indexes,
background jobs), and while it drains after SIGTERM the port stays open although the health service already says
NOT_SERVING. Only `grpc.health.v1.Health/Check` says whether calls will be answered.

Exit status 0 when the overall status (service "") is SERVING; 1 otherwise, with one line on stderr saying why.
"""

import argparse
import sys
from collections.abc import Sequence

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

# The probe always targets the container it runs in; an inherited http_proxy must not reroute it.
_CHANNEL_OPTIONS = [("grpc.enable_http_proxy", 0)]


def check(target: str, timeout: float = 2.0, service: str = "") -> str | None:
    """None when `target` reports `service` SERVING, else a one-line reason why not."""
    request = health_pb2.HealthCheckRequest(service=service)
    try:
        with grpc.insecure_channel(target, options=_CHANNEL_OPTIONS) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(request, timeout=timeout)
    except grpc.RpcError as error:
        if isinstance(error, grpc.Call):
            return f"{target}: {error.code().name}: {error.details()}"
        return f"{target}: {error!r}"
    if reply.status != health_pb2.HealthCheckResponse.SERVING:
        return f"{target}: {health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.common.healthcheck", description=__doc__.splitlines()[0])
    parser.add_argument("target", help="HOST:PORT of the gRPC server, e.g. 127.0.0.1:50051")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for the answer (default 2)")
    parser.add_argument("--service", default="", help='the service name to check (default "", the whole server)')
    args = parser.parse_args(argv)
    reason = check(args.target, args.timeout, args.service)
    if reason is not None:
        print(f"unhealthy: {reason}", file=sys.stderr)
        return 1
    print("SERVING")
    return 0


if __name__ == "__main__":
    sys.exit(main())
