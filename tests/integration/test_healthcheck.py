"""The compose healthcheck probe against real servers: it passes only when a service says SERVING."""

import os
import socket
import subprocess
import sys
import time

import pytest

from services.common.healthcheck import check
from tools.suite import ROOT, SERVICES, Endpoints


@pytest.mark.parametrize("name", SERVICES)
def test_the_health_probe_passes_on_a_serving_service(suite: Endpoints, name: str) -> None:
    assert check(suite.grpc(name)) is None


def test_the_health_probe_fails_when_nothing_listens() -> None:
    # Bound but never listening: connections are refused, and no other process can take the port meanwhile.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "services.common.healthcheck", f"127.0.0.1:{port}", "--timeout", "1"],
            env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'protos'}"},
            capture_output=True,
            text=True,
            timeout=10,
        )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"127.0.0.1:{port}" in result.stderr
    assert time.monotonic() - started < 3
