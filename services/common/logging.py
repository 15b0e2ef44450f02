"""Structured logs: one JSON object per line on stdout, configured once per process.

Anything passed in `extra=` becomes a top-level field, so `log.info("ready", extra={"event": "ready",
"port": 50051})` is machine-readable by the supervisor and by log shippers alike. A line written while a request
or a gRPC call is handled carries its `request_id` (`services.common.request_id`), so one request can be followed
from the gateway through every service it reached.
"""

import json
import logging
import sys
from datetime import UTC, datetime

from services.common import request_id

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if (current := request_id.current()) is not None:
            entry["request_id"] = current
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(service: str, level: str = "INFO", debug_loggers: str = "") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Per-request access lines from uvicorn duplicate what the gateway logs itself.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # APScheduler logs every run of every job at INFO, and a skipped tick (the previous run still busy, which is
    # normal under load for the claim loop) as a WARNING: several lines a second.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    for name in filter(None, (n.strip() for n in debug_loggers.split(","))):
        logging.getLogger(name).setLevel(logging.DEBUG)
