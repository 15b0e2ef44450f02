"""Every call made for an HTTP request gets what is left of the request's deadline, not a fresh timeout; and
only calls safe to repeat are retried."""

import json
from typing import Any

import pytest

from gateway import deadline
from gateway.backends import _service_config
from gateway.deadline import Deadline


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_calls_share_the_request_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(deadline.time, "monotonic", clock)
    seen: list[float] = []

    async def route(scope: Any, receive: Any, send: Any) -> None:
        seen.append(deadline.remaining(99))
        clock.now += 1.5  # the first call took 1.5 s
        seen.append(deadline.remaining(99))
        clock.now += 5  # past the deadline: a call still gets a moment to fail cleanly, never a negative timeout
        seen.append(deadline.remaining(99))

    await Deadline(route, seconds=4)({"type": "http"}, None, None)
    assert seen == [4, 2.5, 0.01]
    assert deadline.remaining(99) == 99  # outside a request: the caller's default


def test_the_gateway_retries_only_what_is_safe_to_repeat() -> None:
    config = json.loads(_service_config("cdp.segmentation.v1.SegmentationService"))
    everything, creates = config["methodConfig"]
    assert everything["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]
    assert {n["method"] for n in creates["name"]} == {"CreateAudience", "CreateComputedTrait"}
    assert "retryPolicy" not in creates
    assert len(json.loads(_service_config("cdp.ingest.v1.IngestService"))["methodConfig"]) == 1
