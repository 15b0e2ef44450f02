"""Prometheus metrics: what every process shares. Each metric is defined in the module that owns what it counts
(`services.ingest.ingestion`, `services.segmentation.worker`, ...), in prometheus_client's default registry, which
also holds the process's own series (CPU, memory, open files, GC).

The gateway serves them at `GET /metrics`; each gRPC service on a metrics port of its own (`metrics_port` in its
settings), from a small HTTP server on a thread of its own: a scrape never waits for the service's event loop, so
a service that is busy, or stuck, still answers with what it has counted.
"""

import threading
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server

# Latency buckets (seconds) for every request and call histogram: from a cached read (a few ms) to a request that
# runs into the gateway's deadline (10 s) and a long stream.
LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class MetricsServer:
    port: int  # the port bound (port 0 picks one)
    server: WSGIServer
    thread: threading.Thread

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def serve_metrics(host: str, port: int) -> MetricsServer:
    """Serve the default registry in the Prometheus text format on `host:port`, any path, on a daemon thread."""
    server, thread = start_http_server(port, addr=host)
    return MetricsServer(server.server_port, server, thread)
