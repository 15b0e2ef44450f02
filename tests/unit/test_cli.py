"""The admin CLI's pure parts: arguments, JSONL lines and batches, definition files and their order, retries,
progress and the text it prints."""

import io
from typing import Any

import grpc
import pytest
from pymongo.errors import ServerSelectionTimeoutError

from cdp.ingest.v1 import ingest_pb2
from cdp.segmentation.v1 import segmentation_pb2 as pb
from cli import definitions, importing
from cli.errors import EXIT_FAILED, EXIT_REFUSED, CliError, rpc_failure, store_failure
from cli.main import parser, settings_for
from cli.memberships import describe
from cli.profiles import render
from cli.progress import Progress
from cli.retry import delays, retrying
from cli.settings import MAKE_RUN_STORE
from gateway.limits import Limits
from gateway.routes.definitions import AUDIENCES, COMPUTED_TRAITS
from services.common.errors import ValidationError
from services.common.proto_json import parse

LIMITS = Limits(message_bytes=2048, request_bytes=1 << 20, batch_messages=2500, nesting_depth=32)


# Arguments.

def test_commands_parse_with_their_flags() -> None:
    args = parser().parse_args(["import", "events.jsonl", "-w", "acme/web/WEB", "--batch-size", "250",
                                "--ingest", "10.0.0.1:50051", "--json"])
    assert (args.file, args.workspace, args.batch_size, args.target, args.json, args.timeout) == (
        "events.jsonl", "acme/web/WEB", 250, "10.0.0.1:50051", True, 120.0)
    defaults = parser().parse_args(["import", "-", "-w", "acme/web/WEB"])
    assert (defaults.batch_size, defaults.retries, defaults.target, defaults.json) == (100, 5, None, False)
    assert args.run == "cli.importing:run" and args.service == "ingest"
    args = parser().parse_args(["tenant", "create", "acme/web/WEB", "--rotate"])
    assert (args.workspace, args.rotate, args.run) == ("acme/web/WEB", True, "cli.tenants:create")
    args = parser().parse_args(["apply", "a.yaml", "b.json", "--workspace", "acme/web/WEB"])
    assert args.files == ["a.yaml", "b.json"] and args.service == "segmentation"
    args = parser().parse_args(["audience", "members", "big spenders", "-w", "acme/web/WEB", "--limit", "5"])
    assert (args.audience, args.limit) == ("big spenders", 5)
    args = parser().parse_args(["watch", "-w", "acme/web/WEB", "--from", "start"])
    assert (args.start, args.audience) == ("start", "")
    args = parser().parse_args(["profile", "show", "email:joe@example.com", "-w", "acme/web/WEB"])
    assert args.identifier == "email:joe@example.com" and args.service == "profile"


@pytest.mark.parametrize(("argv", "complaint"), [
    (["tenant", "create", "acme/web"], "must be client/account/BRAND"),
    (["tenant", "create", "acme/w eb/WEB"], "must be 1-64 letters"),
    (["import", "f.jsonl"], "the following arguments are required: -w/--workspace"),
    (["import", "f.jsonl", "-w", "a/b/c", "--batch-size", "2501"], "not between 1 and 2500"),
    (["import", "f.jsonl", "-w", "a/b/c", "--batch-size", "many"], "'many' is not a whole number"),
    (["audience", "members", "x", "-w", "a/b/c", "--limit", "0"], "0 is less than 1"),
    (["watch", "-w", "a/b/c", "--timeout", "-1"], "must be more than 0 seconds"),
    (["apply", "-w", "a/b/c"], "the following arguments are required: FILE"),
    ([], "the following arguments are required: COMMAND"),
])
def test_bad_arguments_exit_2_saying_why(argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args(argv)
    assert exit_.value.code == EXIT_REFUSED
    assert complaint in capsys.readouterr().err


def test_flags_override_the_gateways_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)
    monkeypatch.setenv("CDP_GATEWAY_INGEST_TARGET", "dns:///ingest:50051")
    monkeypatch.setenv("CDP_GATEWAY_REQUEST_TIMEOUT_SECONDS", "4")
    settings = settings_for(parser().parse_args(["import", "f", "-w", "a/b/c", "--timeout", "30"]))
    assert (settings.ingest_target, settings.mongodb_uri) == ("dns:///ingest:50051", MAKE_RUN_STORE)
    assert settings.request_timeout_seconds == 4  # an import's --timeout is per batch, not every call's
    settings = settings_for(parser().parse_args(["import", "f", "-w", "a/b/c", "--ingest", "10.0.0.1:1"]))
    assert settings.ingest_target == "10.0.0.1:1"
    settings = settings_for(parser().parse_args(["profile", "show", "id:x", "-w", "a/b/c", "--timeout", "2.5"]))
    assert settings.request_timeout_seconds == 2.5
    settings = settings_for(parser().parse_args(["tenant", "create", "a/b/c", "--mongodb-uri", "mongodb://db",
                                                 "--database", "crm"]))
    assert (settings.mongodb_uri, settings.mongodb_database) == ("mongodb://db", "crm")


def test_a_bad_environment_is_named_by_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDP_GATEWAY_REQUEST_TIMEOUT_SECONDS", "soon")
    with pytest.raises(CliError) as error:
        settings_for(parser().parse_args(["watch", "-w", "a/b/c"]))
    assert error.value.code == EXIT_REFUSED
    assert str(error.value).startswith("bad setting in the environment: CDP_GATEWAY_REQUEST_TIMEOUT_SECONDS: ")


# Failures as one line.

def _rpc_error(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details)


def test_service_answers_become_one_line_and_an_exit_code() -> None:
    down = rpc_failure(_rpc_error(grpc.StatusCode.UNAVAILABLE, "failed to connect"), "ingest", "10.0.0.1:1")
    assert down.code == EXIT_FAILED
    assert str(down).startswith("the ingest service at 10.0.0.1:1 is unavailable (failed to connect)")
    assert "CDP_GATEWAY_INGEST_TARGET" in str(down)
    refused = rpc_failure(_rpc_error(grpc.StatusCode.NOT_FOUND, "no profile with userId:x"), "profile", "p:1")
    assert (str(refused), refused.code) == ("not found: no profile with userId:x", EXIT_REFUSED)
    broken = rpc_failure(_rpc_error(grpc.StatusCode.INTERNAL, "the store refused the operation"), "profile", "p:1")
    assert broken.code == EXIT_FAILED
    slow = rpc_failure(_rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded"), "ingest", "i:1")
    assert "did not answer in time" in str(slow) and "\n" not in str(slow)


def test_a_store_failure_never_prints_the_uri_password() -> None:
    error = store_failure(ServerSelectionTimeoutError("timed out"), "mongodb://admin:s3cret@db:27017/?tls=true")
    assert "s3cret" not in str(error) and "mongodb://db:27017" in str(error) and error.code == EXIT_FAILED


# JSONL lines and batches.

def test_lines_are_parsed_strictly_and_numbered_skipping_blank_ones() -> None:
    stream = io.BytesIO(b'{"type": "track"}\n\n   \nnot json\n[1]\n{"x": NaN}\n{"y": 1}')
    lines = list(importing.read_lines(stream))
    assert [line.number for line in lines] == [1, 4, 5, 6, 7]
    assert lines[0].value == {"type": "track"} and lines[0].size == len(b'{"type": "track"}\n')
    assert lines[1].error.startswith("not valid JSON: Expecting value")
    assert lines[2].value == [1] and not lines[2].error
    assert lines[3].error == "not valid JSON: NaN is not a JSON number"
    assert lines[4].value == {"y": 1}


def test_invalid_utf8_is_a_rejected_line_not_a_crash() -> None:
    (line,) = importing.read_lines(io.BytesIO(b'{"name": "\xff"}\n'))
    assert line.error.startswith("not valid JSON")


def _lines(*sizes: int) -> list[importing.Line]:
    return [importing.Line(number, size, value={}) for number, size in enumerate(sizes, start=1)]


def test_batches_keep_to_a_count_and_a_size() -> None:
    by_count = list(importing.batches(_lines(*[10] * 7), most=3, max_bytes=1000))
    assert [[line.number for line in batch] for batch in by_count] == [[1, 2, 3], [4, 5, 6], [7]]
    by_size = list(importing.batches(_lines(400, 400, 400, 50), most=100, max_bytes=1000))
    assert [[line.number for line in batch] for batch in by_size] == [[1, 2], [3, 4]]
    # A line larger than a batch may be goes alone (and is rejected by the message limit, not lost).
    alone = list(importing.batches(_lines(10, 5000, 10), most=100, max_bytes=1000))
    assert [[line.number for line in batch] for batch in alone] == [[1], [2], [3]]
    assert list(importing.batches([], most=3, max_bytes=1000)) == []


def test_a_batch_is_translated_as_the_gateway_does_and_refusals_keep_their_line() -> None:
    batch = [
        importing.Line(1, 10, value={"type": "track", "userId": "joe", "event": "Bought"}),
        importing.Line(2, 10, error="not valid JSON: Expecting value"),
        importing.Line(3, 10, value=[1, 2]),
        importing.Line(4, 10, value={"type": "identify", "userId": "joe", "messageId": "m-4"}),
        importing.Line(5, 10, value={"type": "track", "userId": "x", "properties": {"p": "y" * 3000}}),
    ]
    to_send, refused = importing.prepare(batch, LIMITS)
    assert [number for number, _ in to_send] == [1, 4]
    first, fourth = (message for _, message in to_send)
    assert first.message_id  # given before the first attempt, so a retry is the same message
    assert (first.type, first.event, fourth.message_id) == ("track", "Bought", "m-4")
    assert [(r.line, r.reason) for r in refused] == [
        (2, "not valid JSON: Expecting value"),
        (3, "a message must be a JSON object, not an array"),
        (5, "the message is 3051 bytes, over the limit of 2048 bytes per message"),
    ]


def test_the_summary_counts_ingest_answers_by_line() -> None:
    summary = importing.Summary()
    summary.record([3, 7, 9], ingest_pb2.IngestResponse(results=[
        ingest_pb2.MessageResult(index=0, accepted=True),
        ingest_pb2.MessageResult(index=1, accepted=True, duplicate=True),
        ingest_pb2.MessageResult(index=2, accepted=False, error="event must not be empty for a track call"),
    ]))
    assert (summary.accepted, summary.duplicates) == (1, 1)
    assert summary.rejected == [importing.Rejection(9, "event must not be empty for a track call")]
    assert summary.counts() == "1 accepted, 1 duplicate, 1 rejected"


# Retries.

async def test_unavailable_is_retried_with_backoff_and_other_errors_are_not() -> None:
    answers: list[Any] = [_rpc_error(grpc.StatusCode.UNAVAILABLE, "down"),
                          _rpc_error(grpc.StatusCode.UNAVAILABLE, "down"), "stored"]
    waited: list[float] = []
    heard: list[float] = []

    async def call() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return str(answer)

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    assert await retrying(call, retries=5, notify=lambda _, delay: heard.append(delay), sleep=sleep) == "stored"
    assert waited == heard == [0.5, 1.0]

    answers[:] = [_rpc_error(grpc.StatusCode.UNAVAILABLE, "down")] * 3
    with pytest.raises(grpc.aio.AioRpcError):
        await retrying(call, retries=2, notify=lambda *_: None, sleep=sleep)
    assert answers == []  # the first attempt and two retries

    answers[:] = [_rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "bad"), "never"]
    with pytest.raises(grpc.aio.AioRpcError):
        await retrying(call, retries=5, notify=lambda *_: None, sleep=sleep)
    assert answers == ["never"]


def test_backoff_doubles_up_to_a_ceiling() -> None:
    waits = delays(first=0.5, longest=4)
    assert [next(waits) for _ in range(6)] == [0.5, 1, 2, 4, 4, 4]


# Definition files.

def _load(source: str, text: str) -> tuple[list[definitions.Definition], list[str]]:
    return definitions.definitions_of(source, definitions.parse_text(source, text))


def test_a_file_holds_computed_traits_and_audiences_as_lists_or_one_each() -> None:
    found, problems = _load("defs.yaml", """
computed_traits:
  name: total_revenue
  kind: sum
  property: revenue
  event: {name: Order Completed}
audiences:
  - name: big spenders
    conditions:
      - mode: required
        computed_trait: {name: total_revenue, op: gt, value: 500}
  - name: recent
    conditions:
      - mode: required
        event: {name: Bought, window: {kind: after, at: 2026-01-01T00:00:00Z}}
""")
    assert problems == []
    assert [(d.kind.label, d.name, d.source) for d in found] == [
        ("computed trait", "total_revenue", "defs.yaml: computed_traits"),
        ("audience", "big spenders", "defs.yaml: audiences[0]"),
        ("audience", "recent", "defs.yaml: audiences[1]"),
    ]
    # YAML's timestamps stay the strings the format wants.
    assert found[2].message.conditions[0].event.window.at.ToJsonString() == "2026-01-01T00:00:00Z"


def test_json_files_are_read_as_json() -> None:
    found, problems = _load("defs.json", '{"audiences": [{"name": "a", "conditions": []}]}')
    assert problems == [] and found[0].name == "a"


@pytest.mark.parametrize(("source", "text", "problem"), [
    ("bad.yaml", "audiences:\n  - name: x\n    conditions: [\n", "bad.yaml: not valid YAML: expected the node "
                                                                "content, but found '<stream end>' (line 4, column 1)"),
    ("bad.yaml", "audiences: [\n\t- x]", "bad.yaml: not valid YAML:"),
    ("bad.json", '{"audiences": [', "bad.json: not valid JSON: Expecting value: line 1 column 16"),
    ("bad.yaml", "ratio: .nan\n", "bad.yaml: holds a value JSON cannot"),
    ("bad.yaml", "payload: !!binary aGk=\n", "bad.yaml: holds a value JSON cannot"),
])
def test_unreadable_files_name_the_file_and_the_place(source: str, text: str, problem: str) -> None:
    with pytest.raises(ValidationError) as error:
        definitions.parse_text(source, text)
    assert str(error.value).startswith(problem)


@pytest.mark.parametrize(("text", "problems"), [
    ("", ["f.yaml: must be a mapping with the keys computed_traits and/or audiences"]),
    ("- name: x", ["f.yaml: must be a mapping with the keys computed_traits and/or audiences"]),
    ("segments: []\naudiences: []", ["f.yaml: segments: unknown key; definitions go under computed_traits or "
                                     "audiences"]),
    ("audiences: 3", ["f.yaml: audiences: must be a list of definitions, or one definition"]),
    ("audiences: [x]", ["f.yaml: audiences[0]: must be a mapping (one audience)"]),
    ("audiences:\n  - name: a\n    conditons: []\n  - name: b\n    conditions: [{mode: 1}]",
     ["f.yaml: audiences[0]: conditons: unknown field", "f.yaml: audiences[1]: conditions[0].mode: must be a string"]),
    ("computed_traits: [{name: t, kind: [sum]}]", ["f.yaml: computed_traits[0]: kind: must be a string"]),
])
def test_shape_problems_are_all_reported_with_their_place(text: str, problems: list[str]) -> None:
    assert _load("f.yaml", text)[1] == problems


def test_loading_refuses_a_name_defined_twice_and_files_without_definitions(tmp_path: Any) -> None:
    one, two = tmp_path / "one.yaml", tmp_path / "two.json"
    one.write_text("audiences: [{name: a, conditions: []}]")
    two.write_text('{"audiences": [{"name": " a ", "conditions": []}], "computed_traits": [{"name": "a"}]}')
    with pytest.raises(ValidationError) as error:
        definitions.load([str(one), str(two)])
    assert str(error.value) == (f"audience 'a' is defined twice: {one}: audiences[0] and {two}: audiences[0]")
    empty = tmp_path / "empty.yaml"
    empty.write_text("audiences: []")
    with pytest.raises(ValidationError, match="no definitions in"):
        definitions.load([str(empty)])
    with pytest.raises(ValidationError, match="cannot read .*missing.yaml: No such file or directory"):
        definitions.load([str(tmp_path / "missing.yaml")])


def _audience(name: str, *refers_to: str) -> definitions.Definition:
    conditions = [{"mode": "required", "audience": {"name": other, "member": True}} for other in refers_to]
    return definitions.Definition(AUDIENCES, "f", parse({"name": name, "conditions": conditions}, pb.Audience()))


def test_computed_traits_go_first_and_audiences_after_those_they_refer_to() -> None:
    trait = definitions.Definition(COMPUTED_TRAITS, "f", parse({"name": "t", "kind": "count"}, pb.ComputedTrait()))
    ordered = definitions.in_order([_audience("c", "b"), _audience("b", "a", "elsewhere"), trait, _audience("a"),
                                    _audience("d")])
    names = [d.name for d in ordered]
    assert names[0] == "t"
    assert names.index("a") < names.index("b") < names.index("c") and "d" in names


def test_a_cycle_is_left_in_the_files_order_for_the_service_to_refuse() -> None:
    assert [d.name for d in definitions.in_order([_audience("x", "y"), _audience("y", "x")])] == ["x", "y"]


def test_a_stored_definition_equals_the_file_that_defines_the_same_thing() -> None:
    written = parse({"name": " total ", "kind": "count"}, pb.ComputedTrait())
    stored = parse({"name": "total", "kind": "count", "event": {}, "id": "0b6f", "version": 3,
                    "status": {"state": "ready", "progress": 1}, "created_at": "2026-12-03T10:00:00Z"},
                   pb.ComputedTrait())
    assert definitions.public_definition(written) == definitions.public_definition(stored) == {
        "name": "total", "kind": "count"}
    changed = parse({"name": "total", "kind": "count", "description": "new"}, pb.ComputedTrait())
    assert definitions.public_definition(changed) != definitions.public_definition(stored)


# What is printed.

def test_a_profile_reads_as_text() -> None:
    text = render({"id": "p1", "user_id": "joe", "emails": ["joe@example.com"], "traits": {"plan": "pro",
                   "age": 30, "address": {"city": "Leeds"}}, "computed": {"total_revenue": 620},
                   "audiences": ["big spenders", "all"], "created_at": "2026-12-03T10:00:00Z"})
    assert text.splitlines() == [
        "profile p1", "  userId: joe", "  emails: joe@example.com", "  created: 2026-12-03T10:00:00Z",
        "traits:", '  address: {"city": "Leeds"}', "  age: 30", "  plan: pro",
        "computed traits:", "  total_revenue: 620",
        "audiences:", "  all", "  big spenders",
    ]
    assert render({"id": "p2"}).splitlines() == ["profile p2", "traits: none", "computed traits: none",
                                                  "audiences: none"]


def test_a_membership_change_is_one_line_ending_with_its_position() -> None:
    change = pb.MembershipChange(position="cG9z", profile_id="p1", audience="big spenders", change="entered",
                                 reason="event")
    change.at.FromJsonString("2026-12-03T10:00:01.250Z")
    assert describe(change) == ('2026-12-03T10:00:01.250Z entered audience="big spenders" profile=p1 '
                                "reason=event position=cG9z")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_occasional_lines_elsewhere() -> None:
    now = [0.0]
    log = io.StringIO()
    progress = Progress(log, total=1000, unit="lines", every=2.0, clock=lambda: now[0])
    for moment, done in ((1.0, 100), (1.5, 200), (3.5, 500)):
        now[0] = moment
        progress.show(done, done // 10, "ok")
    progress.finish()
    assert log.getvalue().splitlines() == [
        "[###...........................]  10% 10 lines, ok, 10 lines/s",
        "[###############...............]  50% 50 lines, ok, 14 lines/s",
    ]
    terminal = _Terminal()
    bar = Progress(terminal, total=None, unit="lines", clock=lambda: 1.0)
    bar.show(0, 5, "ok")
    bar.show(0, 6, "ok")
    bar.finish()
    assert terminal.getvalue().count("\r") == 2 and terminal.getvalue().endswith("\n")
