"""docker-compose.yml, the Dockerfile and the gRPC health probe agree with the code they run.

No Docker engine is needed: the files are read as data and held against the repository (module paths, settings'
default ports), so a renamed module or a changed port fails here rather than in a container that never gets healthy.
"""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.settings import GatewaySettings
from services.ingest.settings import IngestSettings
from services.profile.settings import ProfileSettings
from services.segmentation.settings import SegmentationSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]

# The gRPC services a user may scale with `--scale`, with their settings (env prefix, default ports).
SCALABLE = {"ingest": IngestSettings, "segmentation": SegmentationSettings, "profile": ProfileSettings}
APP_SERVICES = [*SCALABLE, "gateway"]
GATEWAY_PORT = GatewaySettings.model_fields["port"].default


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a dict, whichever of compose's two spellings (mapping or KEY=VALUE list) it uses."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def _healthcheck_test(service: dict[str, Any]) -> list[str]:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, list) else ["CMD-SHELL", test]


def _prefix(name: str) -> str:
    return SCALABLE[name].model_config["env_prefix"]


def _port(name: str, setting: str = "port") -> int:
    default = SCALABLE[name].model_fields[setting].default
    return int(_environment(SERVICES[name]).get(f"{_prefix(name)}{setting.upper()}", default))


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_process_builds_from_the_one_dockerfile(name: str) -> None:
    assert SERVICES[name]["build"] == "."


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_process_waits_for_a_healthy_mongo_and_is_told_where_it_is(name: str) -> None:
    depends_on = SERVICES[name]["depends_on"]
    assert isinstance(depends_on, dict), "a list form cannot say service_healthy"
    assert depends_on["mongo"]["condition"] == "service_healthy"
    uri = _environment(SERVICES[name])["MONGODB_URI"]
    assert uri.startswith("mongodb://mongo:27017/") and "replicaSet=rs0" in uri


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_command_runs_a_module_that_exists(name: str) -> None:
    command = SERVICES[name]["command"]
    assert command[:2] == ["python", "-m"], command
    path = ROOT / command[2].replace(".", "/")
    assert (path / "__main__.py").is_file() or path.with_suffix(".py").is_file(), f"no module {command[2]}"


@pytest.mark.parametrize("name", list(SCALABLE))
def test_grpc_services_are_probed_through_the_grpc_health_service_on_their_own_port(name: str) -> None:
    test = _healthcheck_test(SERVICES[name])
    assert test[0] == "CMD"
    assert test[1:4] == ["python", "-m", "services.common.healthcheck"]
    assert test[4] == f"127.0.0.1:{_port(name)}"


@pytest.mark.parametrize("name", list(SCALABLE))
def test_grpc_services_can_scale_out(name: str) -> None:
    # A fixed container name or a published host port would make a second replica fail to start.
    service = SERVICES[name]
    assert "container_name" not in service
    assert "ports" not in service
    assert _environment(service).get(f"{_prefix(name)}HOST", "0.0.0.0") == "0.0.0.0"


@pytest.mark.parametrize("name", list(SCALABLE))
def test_grpc_services_expose_their_metrics_port_to_the_compose_network_only(name: str) -> None:
    metrics = _port(name, "metrics_port")
    assert metrics not in (0, _port(name)), "a fixed port of its own, for Prometheus to be pointed at"
    assert [str(port) for port in SERVICES[name]["expose"]] == [str(metrics)]
    assert "ports" not in SERVICES[name]  # no host port: replicas would collide
    assert re.search(rf"^EXPOSE .*\b{metrics}\b", (ROOT / "Dockerfile").read_text(), re.MULTILINE)


def test_the_gateway_reaches_every_replica_through_compose_dns() -> None:
    env = _environment(SERVICES["gateway"])
    for name in SCALABLE:
        assert env[f"CDP_GATEWAY_{name.upper()}_TARGET"] == f"dns:///{name}:{_port(name)}"


def test_the_gateway_starts_after_healthy_backends_and_alone_publishes_a_port() -> None:
    gateway = SERVICES["gateway"]
    for name in SCALABLE:
        assert gateway["depends_on"][name]["condition"] == "service_healthy"
    port = int(_environment(gateway).get("CDP_GATEWAY_PORT", GATEWAY_PORT))
    assert gateway["ports"] == [f"{port}:{port}"]
    assert [name for name, service in SERVICES.items() if "ports" in service] == ["gateway"]
    assert f"http://127.0.0.1:{port}/readyz" in " ".join(_healthcheck_test(gateway))


def test_mongo_is_a_replica_set_that_its_healthcheck_initiates() -> None:
    mongo = SERVICES["mongo"]
    assert mongo["image"].startswith("mongo:")
    command = mongo["command"]
    assert command[command.index("--replSet") + 1] == "rs0"
    assert "--bind_ip_all" in command
    probe = " ".join(_healthcheck_test(mongo))
    assert "mongosh" in probe
    assert re.search(r'rs\.initiate\(\{\s*_id:\s*"rs0"', probe)
    assert '"mongo:27017"' in probe
    volumes = [volume.split(":")[0] for volume in mongo["volumes"]]
    assert any(volume in COMPOSE["volumes"] for volume in volumes), "the data should live in a named volume"


def test_the_dockerfile_runs_python_3_13_as_a_non_root_user_with_both_import_roots() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.13(-slim)?\s*$", text, re.MULTILINE)
    assert re.search(r"PYTHONPATH=/app:/app/protos\b", text)
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert re.search(r"pip install --no-cache-dir -r requirements\.txt", text)


def test_the_build_context_leaves_out_local_state() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", "var", ".git", "__pycache__", ".pytest_cache", ".hypothesis"} <= ignored
