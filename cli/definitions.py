"""`cdp apply`: audience and computed-trait definitions kept in files, made so in a workspace.

A file, YAML or JSON, holds definitions in the public JSON format (README, "APIs") under one or both of two keys,
each a list of definitions or a single one:

    computed_traits:
      - name: total_revenue
        kind: sum
        property: revenue
        event: {name: Order Completed}
    audiences:
      - name: big spenders
        conditions:
          - mode: required
            computed_trait: {name: total_revenue, op: gt, value: 500}

Definitions are matched by name (a renamed definition is a new one): one that does not exist is created, one that
differs is updated (the whole definition: what the file leaves out is removed), one that is the same is left
alone. Computed traits go first, then each audience after the audiences of the same files it refers to, so that
their references are satisfied. Every file's shape is checked before anything is sent; the rules are the
service's, and its errors name the offending field.
"""

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf.message import Message

from cdp.segmentation.v1 import segmentation_pb2 as pb
from cli.errors import EXIT_REFUSED, CliError
from cli.services import opened
from cli.settings import CliSettings
from gateway.backends import Backends
from gateway.routes.definitions import AUDIENCES, COMPUTED_TRAITS, Kind
from services.common.errors import ValidationError
from services.common.proto_json import parse, to_dict
from services.segmentation.definitions import SET_BY_SERVICE, referenced_audiences

# The files' keys, in the order their definitions are applied.
SECTIONS: dict[str, Kind] = {kind.plural: kind for kind in (COMPUTED_TRAITS, AUDIENCES)}
# Answers about one definition (it is invalid, its name is taken, a rename would break a referrer): reported
# against it, and the others are still applied.
_REFUSALS = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.FAILED_PRECONDITION,
             grpc.StatusCode.NOT_FOUND}


class _Loader(yaml.SafeLoader):
    """YAML without its timestamps: `2026-01-01T00:00:00Z` stays the string it is in JSON, as the format wants."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Definition:
    kind: Kind
    source: str  # where it is written: "defs.yaml: audiences[1]"
    message: Message

    @property
    def name(self) -> str:
        return str(getattr(self.message, "name")).strip()


@dataclass(frozen=True)
class Outcome:
    definition: Definition
    result: str  # created, updated, unchanged or failed
    stored: Message | None = None
    error: str = ""


def parse_text(source: str, text: str) -> Any:
    """A file's content as JSON values: JSON for `.json` files, YAML (a superset) for any other."""
    try:
        if source.endswith(".json"):
            return json.loads(text)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader)
    except json.JSONDecodeError as error:
        raise ValidationError(f"{source}: not valid JSON: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ValidationError(f"{source}: not valid YAML: {problem}{where}") from None
    try:  # YAML has values JSON has not (binary, sets, NaN): the format is JSON's
        return json.loads(json.dumps(data, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise ValidationError(f"{source}: holds a value JSON cannot: {error}") from None


def definitions_of(source: str, data: Any) -> tuple[list[Definition], list[str]]:
    """The definitions a file holds, and what is wrong with its shape (each problem naming its place)."""
    if not isinstance(data, dict) or not data:
        return [], [f"{source}: must be a mapping with the keys {' and/or '.join(SECTIONS)}"]
    found: list[Definition] = []
    problems = [f"{source}: {key}: unknown key; definitions go under {' or '.join(SECTIONS)}"
                for key in data if key not in SECTIONS]
    for key, kind in SECTIONS.items():
        entries = data.get(key)
        if entries is None:
            continue
        if isinstance(entries, dict):
            places = [(key, entries)]
        elif isinstance(entries, list):
            places = [(f"{key}[{i}]", entry) for i, entry in enumerate(entries)]
        else:
            problems.append(f"{source}: {key}: must be a list of definitions, or one definition")
            continue
        for place, entry in places:
            if not isinstance(entry, dict):
                problems.append(f"{source}: {place}: must be a mapping (one {kind.label})")
                continue
            try:
                found.append(Definition(kind, f"{source}: {place}", parse(entry, kind.message())))
            except ValidationError as error:
                problems.append(f"{source}: {place}: {error}")
    return found, problems


def load(paths: Sequence[str]) -> list[Definition]:
    """Every definition of the files, shapes checked; ValidationError listing every problem, one a line."""
    found: list[Definition] = []
    problems: list[str] = []
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
            held, wrong = definitions_of(path, parse_text(path, text))
        except OSError as error:
            held, wrong = [], [f"cannot read {path}: {error.strerror}"]
        except UnicodeDecodeError:
            held, wrong = [], [f"{path}: not UTF-8 text"]
        except ValidationError as error:
            held, wrong = [], [str(error)]
        found += held
        problems += wrong
    first: dict[tuple[str, str], Definition] = {}
    for definition in found:
        earlier = first.setdefault((definition.kind.field, definition.name), definition)
        if earlier is not definition:
            problems.append(f"{definition.kind.label} {definition.name!r} is defined twice: {earlier.source} "
                            f"and {definition.source}")
    if problems:
        raise ValidationError("\n".join(problems))
    if not found:
        raise ValidationError(f"no definitions in {', '.join(paths)}")
    return found


def _audiences_referred_to(definition: Definition) -> set[str]:
    try:
        return referenced_audiences(to_dict(definition.message).get("conditions", []))
    except KeyError:  # an audience condition without a name: the service will say so
        return set()


def in_order(definitions: Sequence[Definition]) -> list[Definition]:
    """Computed traits first, in the files' order; then audiences, each after the ones of these files it refers to
    (in the files' order where that is free; a cycle is left as written, for the service to refuse)."""
    traits = [d for d in definitions if d.kind is COMPUTED_TRAITS]
    audiences = {d.name: d for d in definitions if d.kind is AUDIENCES}
    graph = {name: _audiences_referred_to(d) & audiences.keys() for name, d in audiences.items()}
    try:
        names = list(TopologicalSorter(graph).static_order())
    except CycleError:
        names = list(audiences)
    return [*traits, *(audiences[name] for name in names)]


def public_definition(message: Message) -> dict[str, Any]:
    """What a definition says, as its public JSON without what the service sets and without empty parts (the
    service keeps "every event" as `event: {}`), so a stored definition and a file's compare equal when they
    define the same thing."""
    copy = type(message)()
    copy.CopyFrom(message)
    for name in SET_BY_SERVICE:
        if name in copy.DESCRIPTOR.fields_by_name:  # a computed trait has no size
            copy.ClearField(name)
    setattr(copy, "name", str(getattr(copy, "name")).strip())
    return _pruned(to_dict(copy))


def _pruned(value: Any) -> Any:
    if isinstance(value, dict):
        kept = {key: _pruned(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in (None, {}, [])}
    if isinstance(value, list):
        return [_pruned(item) for item in value]
    return value


async def _rpc(backends: Backends, workspace: str, method: str, **fields: Any) -> Any:
    """SegmentationService.`method` with its `{method}Request` of these fields, for the workspace."""
    request = getattr(pb, f"{method}Request")(**fields)
    return await getattr(backends.segmentation, method)(request, **backends.call_options(workspace))


async def apply_one(backends: Backends, workspace: str, definition: Definition) -> Outcome:
    kind = definition.kind
    try:
        reply = await _rpc(backends, workspace, f"Get{kind.rpc}", name=definition.name)
        current: Message | None = getattr(reply, kind.field)
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.NOT_FOUND:
            raise
        current = None
    try:
        if current is None:
            reply = await _rpc(backends, workspace, f"Create{kind.rpc}", **{kind.field: definition.message})
            return Outcome(definition, "created", getattr(reply, kind.field))
        if public_definition(current) == public_definition(definition.message):
            return Outcome(definition, "unchanged", current)
        reply = await _rpc(backends, workspace, f"Update{kind.rpc}", id=getattr(current, "id"),
                           **{kind.field: definition.message})
        return Outcome(definition, "updated", getattr(reply, kind.field))
    except grpc.aio.AioRpcError as error:
        if error.code() not in _REFUSALS:
            raise
        return Outcome(definition, "failed", error=error.details() or error.code().name.lower())


def _describe(outcome: Outcome) -> str:
    definition = outcome.definition
    what = f"{outcome.result:<9} {definition.kind.label} {definition.name!r}"
    if outcome.stored is None:
        return f"{what}: {outcome.error} ({definition.source})"
    stored = outcome.stored
    return f"{what} (version {getattr(stored, 'version')}, {getattr(stored, 'status').state})"


def _as_json(outcome: Outcome) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": outcome.definition.kind.field, "name": outcome.definition.name,
                            "result": outcome.result, "source": outcome.definition.source}
    if outcome.stored is not None:
        stored = to_dict(outcome.stored)
        body |= {"id": stored.get("id"), "version": stored.get("version"), "status": stored.get("status")}
    else:
        body["error"] = outcome.error
    return body


async def run(args: argparse.Namespace, settings: CliSettings) -> int:
    try:
        definitions = in_order(load(args.files))
    except ValidationError as error:
        raise CliError(str(error), EXIT_REFUSED) from None
    outcomes = []
    async with opened(settings) as backends:
        for definition in definitions:
            outcome = await apply_one(backends, args.workspace, definition)
            outcomes.append(outcome)
            if not args.json:
                print(_describe(outcome), flush=True)
    if args.json:
        print(json.dumps({"results": [_as_json(o) for o in outcomes]}, indent=2))
    return EXIT_REFUSED if any(o.result == "failed" for o in outcomes) else 0
