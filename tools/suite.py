"""Start and stop the whole suite as real processes: the embedded store, the three services, the gateway.

Used by `make run` (tools.run), by the integration tests and by the benchmarks, so all three run the suite the same
way. Every child prints a JSON `ready` line once it serves (with the ports it bound, its gRPC port and a service's
metrics port, so port 0 works); the suite waits for it, and stops children in reverse order with SIGTERM, the way an
orchestrator would.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.common.lifecycle import SUPERVISOR_ENV
from services.common.store import Store
from services.common.tenancy import ensure_workspace

ROOT = Path(__file__).resolve().parent.parent
DEV_WORKSPACE = "intilery/marketing/MARKETING"
SERVICES = ("ingest", "segmentation", "profile")


class StartError(RuntimeError):
    pass


@dataclass
class Child:
    name: str
    popen: subprocess.Popen[str]
    echo: bool
    tail_lines: int = 200
    ready: threading.Event = field(default_factory=threading.Event)
    info: dict[str, Any] = field(default_factory=dict)
    tail: deque[str] = field(init=False)

    def __post_init__(self) -> None:
        self.tail = deque(maxlen=self.tail_lines)

    def pump(self) -> None:
        """Read the child's output: note its ready line, keep a tail for diagnostics, echo if asked."""
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            line = line.rstrip("\n")
            self.tail.append(line)
            if self.echo:
                print(f"{self.name:<14}| {line}", flush=True)
            if not self.ready.is_set() and '"ready"' in line:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("event") == "ready":
                    self.info = entry
                    self.ready.set()

    def wait_ready(self, timeout: float) -> dict[str, Any]:
        deadline = timeout
        while not self.ready.wait(0.1):
            deadline -= 0.1
            if self.popen.poll() is not None or deadline <= 0:
                why = f"exited with {self.popen.returncode}" if self.popen.returncode is not None else "timed out"
                raise StartError(f"{self.name} {why} before it was ready:\n" + "\n".join(self.tail))
        return self.info


@dataclass
class Endpoints:
    mongodb_uri: str
    gateway: str  # base URL
    replicas: dict[str, list[str]]  # service -> the host:port of each of its replicas
    metrics: dict[str, list[str]]  # service -> the host:port of each replica's metrics (Prometheus text over HTTP)

    def grpc(self, service: str) -> str:
        """The first replica of a service (the only one, unless the suite was started with several)."""
        return self.replicas[service][0]

    def metrics_url(self, process: str, replica: int = 0) -> str:
        """Where Prometheus scrapes a process: the gateway's `/metrics`, or a service replica's metrics port."""
        if process == "gateway":
            return f"{self.gateway}/metrics"
        return f"http://{self.metrics[process][replica]}/metrics"

    @property
    def ingest(self) -> str:
        return self.grpc("ingest")

    @property
    def segmentation(self) -> str:
        return self.grpc("segmentation")

    @property
    def profile(self) -> str:
        return self.grpc("profile")


@dataclass
class Suite:
    """A set of child processes started in order and stopped in reverse order."""

    echo: bool = False
    env: dict[str, str] = field(default_factory=dict)
    children: list[Child] = field(default_factory=list)
    # Lines of each child's output kept for diagnostics (and for tests that read what a process logged).
    tail_lines: int = 200

    def spawn(self, name: str, module: str, *args: str, env: dict[str, str] | None = None) -> Child:
        child_env = {**os.environ, **self.env, **(env or {})}
        child_env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "protos")])
        child_env["PYTHONUNBUFFERED"] = "1"
        child_env[SUPERVISOR_ENV] = str(os.getpid())
        popen = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # Its own process group: a terminal's Ctrl-C reaches the supervisor only, which stops children in order.
            start_new_session=True,
        )
        child = Child(name, popen, self.echo, self.tail_lines)
        threading.Thread(target=child.pump, name=f"pump-{name}", daemon=True).start()
        self.children.append(child)
        return child

    def start_store(self, path: Path, port: int = 0, engine: str = "sqlite", timeout: float = 60) -> str:
        child = self.spawn("store", "services.embedded_store", "--port", str(port), "--engine", engine,
                           "--path", str(path))
        return child.wait_ready(timeout)["uri"]

    def _spawn_service(self, name: str, port: int = 0, host: str = "127.0.0.1",
                       env: dict[str, str] | None = None, metrics_port: int = 0) -> Child:
        prefix = f"CDP_{name.upper()}_"
        return self.spawn(name, f"services.{name}", env={
            f"{prefix}PORT": str(port), f"{prefix}HOST": host, f"{prefix}METRICS_PORT": str(metrics_port),
            **(env or {})})

    def start_service(self, name: str, port: int = 0, host: str = "127.0.0.1", timeout: float = 60,
                      env: dict[str, str] | None = None) -> str:
        """One more replica of a gRPC service; its host:port once it serves."""
        return f"127.0.0.1:{self._spawn_service(name, port, host, env).wait_ready(timeout)['port']}"

    def start_services(
        self, mongodb_uri: str, ports: dict[str, int] | None = None, host: str = "127.0.0.1", timeout: float = 60,
        replicas: dict[str, int] | None = None, metrics_ports: dict[str, int] | None = None,
    ) -> Endpoints:
        """The three gRPC services (`replicas` of each, default one, all started at once), then the gateway in front
        of them, spreading its calls over every replica. `ports` and `metrics_ports` are the first replica's (the
        others take free ones); a service not named in them takes free ones too."""
        ports, replicas, metrics_ports = ports or {}, replicas or {}, metrics_ports or {}
        self.env["MONGODB_URI"] = mongodb_uri
        started = {
            name: [self._spawn_service(name, ports.get(name, 0) if n == 0 else 0, host,
                                       metrics_port=metrics_ports.get(name, 0) if n == 0 else 0)
                   for n in range(replicas.get(name, 1))]
            for name in SERVICES
        }
        ready = {name: [c.wait_ready(timeout) for c in children] for name, children in started.items()}
        addresses = {name: [f"127.0.0.1:{info['port']}" for info in infos] for name, infos in ready.items()}
        metrics = {name: [f"127.0.0.1:{info['metrics_port']}" for info in infos] for name, infos in ready.items()}
        gateway = self.start_gateway(addresses, ports.get("gateway", 0), host, timeout)
        return Endpoints(mongodb_uri=mongodb_uri, gateway=gateway, replicas=addresses, metrics=metrics)

    def start_gateway(self, replicas: dict[str, list[str]], port: int = 0, host: str = "127.0.0.1",
                      timeout: float = 60) -> str:
        """A gateway in front of these service replicas (the store from `env`'s MONGODB_URI); its base URL."""
        gateway = self.spawn("gateway", "gateway", env={
            "CDP_GATEWAY_PORT": str(port),
            "CDP_GATEWAY_HOST": host,
            # gRPC's `ipv4:` target lists every replica; the gateway's round robin then uses them all.
            **{f"CDP_GATEWAY_{name.upper()}_TARGET": "ipv4:" + ",".join(found) for name, found in replicas.items()},
        })
        return f"http://127.0.0.1:{gateway.wait_ready(timeout)['port']}"

    def stop(self, timeout: float = 15) -> dict[str, int]:
        """SIGTERM every child, newest first but the store last (a test may have restarted it), each given
        `timeout` seconds before SIGKILL; returns exit codes."""
        codes: dict[str, int] = {}
        for child in sorted(reversed(self.children), key=lambda c: c.name == "store"):
            if child.popen.poll() is None:
                child.popen.send_signal(signal.SIGTERM)
                try:
                    child.popen.wait(timeout)
                except subprocess.TimeoutExpired:
                    child.popen.kill()
                    child.popen.wait()
            codes[child.name] = child.popen.returncode
        self.children.clear()
        return codes

    def child(self, name: str) -> Child:
        """The first child started under `name` (a service's first replica)."""
        return next(child for child in self.children if child.name == name)

    def exited(self) -> list[Child]:
        return [child for child in self.children if child.popen.poll() is not None]


def bootstrap_workspace(mongodb_uri: str, database: str, auth_token: str, write_key: str,
                        name: str = DEV_WORKSPACE) -> None:
    """Make sure the development workspace exists and accepts these credentials (admin tooling's job)."""

    async def run() -> None:
        store = Store(mongodb_uri, database, appname="bootstrap")
        try:
            await ensure_workspace(store, name, auth_token, write_key)
        finally:
            await store.close()

    asyncio.run(run())
