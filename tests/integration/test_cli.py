"""The admin CLI as an operator runs it: the installed `cdp` script, a process of its own, against the real suite.

It finds the services and the store through the environment the gateway reads (the targets, MONGODB_URI), and
every check of what it did is made through the gateway, the store or the CLI itself.
"""

import hashlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from services.common.store import Store
from tests.conftest import Tenant, eventually
from tests.integration.conftest import basic
from tools.suite import Endpoints

# The console script `make` installs beside the interpreter running the tests.
CDP = Path(sys.executable).parent / "cdp"

DEFINITIONS = """\
# Written in the reverse of the order they must be created in: the CLI sorts that out.
audiences:
  - name: loyal big spenders
    conditions:
      - mode: required
        audience: {name: big spenders, member: true}
      - mode: required
        trait: {path: plan, op: eq, value: pro}
  - name: big spenders
    description: Spent over 500
    conditions:
      - mode: required
        computed_trait: {name: total_revenue, op: gt, value: 500}
computed_traits:
  - name: total_revenue
    kind: sum
    property: revenue
    event: {name: Order Completed}
"""


@pytest.fixture
def cli_env(suite: Endpoints, mongodb_uri: str, database: str) -> dict[str, str]:
    """The environment a deployment gives the CLI: the gateway's names for where everything is."""
    return {**os.environ, "MONGODB_URI": mongodb_uri, "CDP_MONGODB_DATABASE": database,
            **{f"CDP_GATEWAY_{name.upper()}_TARGET": suite.grpc(name)
               for name in ("ingest", "segmentation", "profile")}}


def cdp(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert CDP.exists(), f"{CDP} is not installed: `make venv` installs it"
    done = subprocess.run([str(CDP), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def test_tenant_create_prints_credentials_once_that_the_gateway_accepts(
    cli_env: dict[str, str], http: httpx.AsyncClient, store: Store
) -> None:
    name = f"c{uuid.uuid4().hex[:10]}/web/WEB"
    created = cdp(cli_env, "tenant", "create", name, "--json")
    assert created.returncode == 0, created.stderr
    credentials = json.loads(created.stdout)
    assert credentials["workspace"] == name and credentials["outcome"] == "created"
    token, write_key = credentials["authToken"], credentials["writeKey"]
    assert len(token) >= 40 and token != write_key

    identify = await http.post(f"/track/{name}/v1/identify", headers={"auth-token": token},
                               json={"userId": "joe", "traits": {"plan": "pro"}})
    assert identify.status_code == 200, identify.text
    segment = await http.post("/v1/track", headers=basic(write_key), json={"userId": "joe", "event": "Bought"})
    assert segment.status_code == 200, segment.text

    stored = await store.workspaces.find_one({"_id": name})
    assert stored is not None and token not in str(stored) and write_key not in str(stored)
    assert (stored["auth_token_hashes"], stored["write_key_hashes"]) == ([_digest(token)], [_digest(write_key)])

    again = cdp(cli_env, "tenant", "create", name)
    assert again.returncode == 2 and again.stdout == ""
    assert again.stderr == f"cdp: workspace {name} exists already; --rotate replaces its credentials\n"

    rotated = cdp(cli_env, "tenant", "create", name, "--rotate")
    assert rotated.returncode == 0, rotated.stderr
    lines = dict(line.split(maxsplit=1) for line in rotated.stdout.splitlines()[:2])
    assert lines["workspace"] == f"{name} (credentials replaced)"
    new_token = lines["auth-token"]
    stored = await store.workspaces.find_one({"_id": name})
    assert stored is not None and stored["auth_token_hashes"] == [_digest(new_token)]
    answer = await http.get(f"/track/{name}/v1/profiles/userId:joe/traits", headers={"auth-token": new_token})
    assert answer.status_code == 200 and answer.json()["plan"] == "pro"


async def test_tenant_create_refuses_a_malformed_name_and_an_unreachable_store(
    cli_env: dict[str, str], store: Store
) -> None:
    bad = cdp(cli_env, "tenant", "create", "acme/web")
    assert bad.returncode == 2
    assert "workspace 'acme/web' must be client/account/BRAND, e.g. intilery/marketing/MARKETING" in bad.stderr
    assert await store.workspaces.find_one({"_id": "acme/web"}) is None

    name = f"c{uuid.uuid4().hex[:10]}/web/WEB"
    away = cdp({**cli_env, "MONGODB_URI": f"mongodb://127.0.0.1:{_free_port()}/?directConnection=true"},
               "tenant", "create", name)
    assert away.returncode == 1
    assert away.stderr.startswith("cdp: cannot reach the store at mongodb://127.0.0.1:")
    assert len(away.stderr.splitlines()) == 1


def _jsonl(*lines: Any) -> str:
    return "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"


async def test_import_reports_accepted_duplicates_and_rejected_lines(
    cli_env: dict[str, str], tenant: Tenant, store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(_jsonl(
        {"type": "identify", "userId": "joe", "traits": {"email": "joe@example.com", "plan": "pro"}},
        {"type": "track", "userId": "joe", "event": "Order Completed", "properties": {"revenue": 600},
         "messageId": "order-1"},
        "{this is not json",
        "",
        {"type": "track", "userId": "joe", "event": "Order Completed", "properties": {"revenue": 600},
         "messageId": "order-1"},
        {"type": "track", "userId": "ann"},
        ["an", "array"],
        {"type": "page", "anonymousId": "a-1", "name": "Home", "timestamp": "yesterday"},
        {"type": "track", "userId": "ann", "event": "Order Completed", "properties": {"revenue": 20}},
    ))
    done = cdp(cli_env, "import", str(path), "--workspace", tenant.name, "--batch-size", "2", "--json")
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["lines"], summary["accepted"], summary["duplicates"], summary["complete"]) == (8, 3, 1, True)
    assert summary["rejected"] == [
        {"line": 3, "reason": "not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 "
                              "(char 1)"},
        {"line": 6, "reason": "event must not be empty for a track call"},
        {"line": 7, "reason": "a message must be a JSON object, not an array"},
        {"line": 8, "reason": "timestamp 'yesterday' is not an ISO-8601 date-time"},
    ]
    stored = await store.events.find({"workspace": tenant.name}).to_list()
    assert len(stored) == 3
    assert sorted((e["type"], e["user_id"]) for e in stored) == [
        ("identify", "joe"), ("track", "ann"), ("track", "joe")]
    assert sum(e["message_id"] == "order-1" for e in stored) == 1
    # Not a TTY: progress is plain lines on stderr, never a bar redrawn with carriage returns.
    assert "\r" not in done.stderr and "lines" in done.stderr

    # Again, as text: the line with a messageId is a duplicate now; the others were given new ids.
    again = cdp(cli_env, "import", str(path), "-w", tenant.name)
    assert again.returncode == 1
    first, *rejected = again.stdout.splitlines()
    assert first.startswith(f"{path} into {tenant.name}: 8 lines in ")
    assert first.endswith(": 2 accepted, 2 duplicates, 4 rejected")
    assert rejected[1:] == ["  line 6: event must not be empty for a track call",
                            "  line 7: a message must be a JSON object, not an array",
                            "  line 8: timestamp 'yesterday' is not an ISO-8601 date-time"]


async def test_a_clean_import_from_standard_input_exits_0(
    cli_env: dict[str, str], tenant: Tenant, store: Store
) -> None:
    lines = _jsonl(*({"type": "track", "userId": f"u{i}", "event": "Signed Up", "messageId": f"m{i}"}
                     for i in range(30)))
    done = cdp(cli_env, "import", "-", "-w", tenant.name, "--batch-size", "7", stdin=lines)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"standard input into {tenant.name}: 30 lines")
    assert done.stdout.rstrip().endswith("30 accepted, 0 duplicates, 0 rejected")
    assert await store.events.count_documents({"workspace": tenant.name}) == 30


async def test_import_gives_up_on_an_unreachable_ingest_service_with_one_line(
    cli_env: dict[str, str], tenant: Tenant, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(_jsonl({"type": "track", "userId": "joe", "event": "Bought"}))
    target = f"127.0.0.1:{_free_port()}"
    done = cdp(cli_env, "import", str(path), "-w", tenant.name, "--ingest", target, "--retries", "1")
    assert done.returncode == 1
    assert "trying again in 0.5 s" in done.stderr
    assert done.stderr.splitlines()[-1].startswith(f"cdp: the ingest service at {target} is unavailable (")
    assert done.stdout.startswith(f"{path} into {tenant.name}: 0 lines in ")
    assert ", stopped after line 0: 0 accepted" in done.stdout


def _members(env: dict[str, str], tenant: Tenant, audience: str, *flags: str) -> list[str]:
    done = cdp(env, "audience", "members", audience, "-w", tenant.name, *flags)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


async def _members_become(env: dict[str, str], tenant: Tenant, audience: str, expected: list[str]) -> None:
    async def probe() -> bool:
        return sorted(_members(env, tenant, audience)) == sorted(expected)

    await eventually(probe, timeout=60, every=0.5)


async def test_apply_creates_then_leaves_alone_then_updates_and_members_follow(
    cli_env: dict[str, str], tenant: Tenant, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    path = tmp_path / "definitions.yaml"
    path.write_text(DEFINITIONS)
    first = cdp(cli_env, "apply", str(path), "-w", tenant.name)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "created   computed trait 'total_revenue' (version 1, building)",
        "created   audience 'big spenders' (version 1, building)",
        "created   audience 'loyal big spenders' (version 1, building)",
    ]

    batch = {"batch": [
        {"type": "identify", "userId": "joe", "traits": {"plan": "pro"}},
        {"type": "track", "userId": "joe", "event": "Order Completed", "properties": {"revenue": 700}},
        {"type": "track", "userId": "ann", "event": "Order Completed", "properties": {"revenue": 900}},
        {"type": "track", "userId": "bob", "event": "Order Completed", "properties": {"revenue": 10}},
    ]}
    sent = await http.post(f"{tenant.base}/batch", headers=tenant.headers, json=batch)
    assert sent.status_code == 200, sent.text
    joe = (await http.get(f"{tenant.base}/profiles/userId:joe/traits", headers=tenant.headers)).json()["id"]
    ann = (await http.get(f"{tenant.base}/profiles/userId:ann/traits", headers=tenant.headers)).json()["id"]
    await _members_become(cli_env, tenant, "big spenders", [joe, ann])
    await _members_become(cli_env, tenant, "loyal big spenders", [joe])
    assert len(_members(cli_env, tenant, "big spenders", "--limit", "1")) == 1
    listed = json.loads(cdp(cli_env, "audience", "members", "big spenders", "-w", tenant.name, "--json").stdout)
    by_id = _members(cli_env, tenant, listed["audience"]["id"])
    assert sorted(by_id) == sorted(listed["members"]) == sorted([joe, ann])

    second = cdp(cli_env, "apply", str(path), "-w", tenant.name)
    assert second.returncode == 0, second.stderr
    assert [line.split("(")[0] for line in second.stdout.splitlines()] == [
        "unchanged computed trait 'total_revenue' ",
        "unchanged audience 'big spenders' ",
        "unchanged audience 'loyal big spenders' ",
    ]

    path.write_text(DEFINITIONS.replace("op: gt, value: 500", "op: gt, value: 800") + """\
  - name: broken
    kind: sum
""")
    third = cdp(cli_env, "apply", str(path), "-w", tenant.name, "--json")
    assert third.returncode == 2
    results = {r["name"]: r for r in json.loads(third.stdout)["results"]}
    assert {name: r["result"] for name, r in results.items()} == {
        "total_revenue": "unchanged", "broken": "failed", "big spenders": "updated",
        "loyal big spenders": "unchanged"}
    assert results["big spenders"]["version"] == 2
    assert results["broken"]["error"] == "property: sum needs the event property it reads, e.g. revenue"
    assert results["broken"]["source"] == f"{path}: computed_traits[1]"
    await _members_become(cli_env, tenant, "big spenders", [ann])


async def test_apply_refuses_malformed_files_before_sending_anything(
    cli_env: dict[str, str], tenant: Tenant, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("audiences: [{name: fine, conditions: [{mode: required, event: {name: Bought}}]}]")
    bad.write_text("audiences:\n  - name: x\n    conditions: [\n")
    done = cdp(cli_env, "apply", str(good), str(bad), "-w", tenant.name)
    assert done.returncode == 2
    assert done.stderr == (f"cdp: {bad}: not valid YAML: expected the node content, but found '<stream end>' "
                           "(line 4, column 1)\n")
    listed = await http.get(f"{tenant.base}/audiences", headers=tenant.headers)
    assert listed.json()["data"] == []


async def test_profile_show_as_text_and_json(
    cli_env: dict[str, str], tenant: Tenant, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    (tmp_path / "d.yaml").write_text(DEFINITIONS)
    assert cdp(cli_env, "apply", str(tmp_path / "d.yaml"), "-w", tenant.name).returncode == 0
    batch = {"batch": [
        {"type": "identify", "userId": "joe", "traits": {"email": "Joe@Example.com", "plan": "pro"}},
        {"type": "track", "userId": "joe", "event": "Order Completed", "properties": {"revenue": 700}},
    ]}
    assert (await http.post(f"{tenant.base}/batch", headers=tenant.headers, json=batch)).status_code == 200

    async def shown() -> dict[str, Any]:
        done = cdp(cli_env, "profile", "show", "email:joe@example.com", "-w", tenant.name, "--json")
        assert done.returncode == 0, done.stderr
        (profile,) = json.loads(done.stdout)["profiles"]
        assert profile.get("audiences") == ["big spenders", "loyal big spenders"]
        return profile

    profile = await eventually(shown, timeout=60, every=0.5)
    assert profile["user_id"] == "joe" and profile["traits"]["plan"] == "pro"
    assert profile["computed"] == {"total_revenue": 700}

    text = cdp(cli_env, "profile", "show", "userId:joe", "-w", tenant.name)
    assert text.returncode == 0
    assert text.stdout.splitlines()[0] == f"profile {profile['id']}"
    for line in ("  userId: joe", "  plan: pro", "computed traits:", "  total_revenue: 700", "audiences:",
                 "  big spenders", "  loyal big spenders"):
        assert line in text.stdout.splitlines()

    missing = cdp(cli_env, "profile", "show", "userId:nobody", "-w", tenant.name)
    assert (missing.returncode, missing.stderr) == (2, "cdp: not found: no profile with userId:nobody\n")
    malformed = cdp(cli_env, "profile", "show", "nobody", "-w", tenant.name)
    assert malformed.returncode == 2 and malformed.stderr.startswith("cdp: invalid argument: ")


class _Output:
    """A process's output lines, read as they come, each waited for with a deadline."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))

    def next_line(self, timeout: float) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line within {timeout} s") from None


@pytest.fixture
def watcher(cli_env: dict[str, str]) -> Iterator[list[subprocess.Popen[str]]]:
    """Watches started by a test, stopped at its end whatever happened."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def _watch(env: dict[str, str], started: list[subprocess.Popen[str]], *args: str) -> tuple[
        subprocess.Popen[str], _Output, _Output]:
    process = subprocess.Popen([str(CDP), "watch", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    started.append(process)
    assert process.stdout is not None and process.stderr is not None
    return process, _Output(process.stdout), _Output(process.stderr)


def _stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)  # Ctrl-C
    return process.wait(30)


async def test_watch_prints_the_change_an_event_causes_until_ctrl_c(
    cli_env: dict[str, str], tenant: Tenant, http: httpx.AsyncClient, tmp_path: Path,
    watcher: list[subprocess.Popen[str]],
) -> None:
    (tmp_path / "d.yaml").write_text("audiences: [{name: buyers, conditions: [{mode: required, event: "
                                     "{name: Bought}}]}]")
    assert cdp(cli_env, "apply", str(tmp_path / "d.yaml"), "-w", tenant.name).returncode == 0
    process, out, err = _watch(cli_env, watcher, "-w", tenant.name)
    assert err.next_line(30) == f"watching membership changes of {tenant.name} (Ctrl-C stops)"

    sent = await http.post(f"{tenant.base}/track", headers=tenant.headers, json={"userId": "cy", "event": "Bought"})
    assert sent.status_code == 200
    line = out.next_line(60)
    at, change, audience, profile, reason, position = line.split(" ")
    assert (change, audience, reason) == ("entered", 'audience="buyers"', "reason=event")
    cy = (await http.get(f"{tenant.base}/profiles/userId:cy/traits", headers=tenant.headers)).json()["id"]
    assert profile == f"profile={cy}" and at.endswith("Z") and position.startswith("position=")
    assert _stop(process) == 0

    # From the start of the log, as JSON lines: the same change.
    process, out, _ = _watch(cli_env, watcher, "-w", tenant.name, "--from", "start", "--json")
    replayed = json.loads(out.next_line(30))
    assert (replayed["profile_id"], replayed["change"], replayed["audience"]) == (cy, "entered", "buyers")
    assert replayed["position"] == position.removeprefix("position=")
    assert _stop(process) == 0


async def test_watch_refuses_a_malformed_position(cli_env: dict[str, str], tenant: Tenant) -> None:
    done = cdp(cli_env, "watch", "-w", tenant.name, "--from", "nonsense!")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == "cdp: invalid argument: after: 'nonsense!' is not a position from this " \
                                           "stream"
