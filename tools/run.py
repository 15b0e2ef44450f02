"""`make run`: the whole suite in the foreground, on the embedded store unless MONGODB_URI names one.

Ctrl-C (or SIGTERM) stops everything cleanly: gateway, services, then the store.
"""

import os
import signal
import sys
import threading
from pathlib import Path

from tools.suite import DEV_WORKSPACE, ROOT, SERVICES, StartError, Suite, bootstrap_workspace


def _port(name: str, default: int) -> int:
    return int(os.environ.get(f"CDP_{name.upper()}_PORT", default))


def main() -> int:
    token = os.environ.get("CDP_DEV_TOKEN", "dev-token")
    write_key = os.environ.get("CDP_DEV_WRITE_KEY", "dev-write-key")
    database = os.environ.get("CDP_MONGODB_DATABASE", "cdp")
    ports = {"ingest": _port("ingest", 50051), "segmentation": _port("segmentation", 50052),
             "profile": _port("profile", 50053), "gateway": _port("gateway", 8080)}
    metrics_ports = {"ingest": _port("ingest_metrics", 9091), "segmentation": _port("segmentation_metrics", 9092),
                     "profile": _port("profile_metrics", 9093)}
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    suite = Suite(echo=True)
    try:
        uri = os.environ.get("MONGODB_URI") or suite.start_store(
            Path(os.environ.get("CDP_STORE_PATH", ROOT / "var" / "store.sqlite3")), port=_port("store", 27017))
        bootstrap_workspace(uri, database, token, write_key)
        endpoints = suite.start_services(uri, ports, host=os.environ.get("CDP_HOST", "127.0.0.1"),
                                         metrics_ports=metrics_ports)
    except StartError as error:
        print(error, file=sys.stderr)
        suite.stop()
        return 1

    base = f"{endpoints.gateway}/track/{DEV_WORKSPACE}/v1"
    print(f"""
The suite is up.
  gateway       {endpoints.gateway}   (OpenAPI: {endpoints.gateway}/docs, readiness: {endpoints.gateway}/readyz)
  builder       {endpoints.gateway}/ui/   (sign in with the workspace and auth-token below)
  ingest        {endpoints.ingest}    segmentation {endpoints.segmentation}    profile {endpoints.profile}
  metrics       {endpoints.metrics_url("gateway")}   (Prometheus text format; each service on a port of its own:)
                {"  ".join(f"{name} {endpoints.metrics_url(name)}" for name in SERVICES)}
  store         {uri}
  workspace     {DEV_WORKSPACE}  auth-token: {token}  write key: {write_key}

Try it:
  curl -s -X POST {base}/identify -H 'auth-token: {token}' -H 'content-type: application/json' \\
    -d '{{"userId": "joe.bloggs@intilery.com", "traits": {{"email": "joe.bloggs@intilery.com", "firstName": "Joe", "lastName": "Bloggs"}}}}'
  curl -s {base}/profiles/email:joe.bloggs@intilery.com/audiences -H 'auth-token: {token}'

Ctrl-C stops everything.
""", flush=True)

    while not stop.wait(0.5):
        if crashed := suite.exited():
            print(f"{crashed[0].name} exited with {crashed[0].popen.returncode}; stopping the suite", file=sys.stderr)
            suite.stop()
            return 1
    codes = suite.stop()
    print(f"stopped: {codes}", flush=True)
    return 0 if all(code == 0 for code in codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
