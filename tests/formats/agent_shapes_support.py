"""What the agent-shape parser tests share: fixture paths, parsing helpers, a projection of
events for golden files, and hypothesis strategies for the never-raise property."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable

from hypothesis import HealthCheck, given, settings, strategies as st

from tracehound.formats import get
from tracehound.formats.base import Source
from tracehound.model import Event, ParseIssue

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
AGENT_FIXTURES = FIXTURES / "agent"
LOCATOR_FORMS = ("line ", "row ", "json:")
SHAPES = {"claude_code": "claude-code", "otel_genai": "otel-genai", "mcp_jsonrpc": "mcp-jsonrpc",
          "openai_chat": "openai-chat", "langfuse": "langfuse"}


def source_of(path: Path) -> Source:
    data = path.read_bytes()
    return Source(path.name, path, hashlib.sha256(data).hexdigest(), len(data))


def fixture(shape: str, name: str) -> Path:
    matches = sorted((AGENT_FIXTURES / shape).glob(f"{name}.*"))
    assert len(matches) == 1, f"expected one {shape}/{name}.* fixture, found {matches}"
    return matches[0]


def parse_path(parser: str, path: Path) -> tuple[list[Event], list[ParseIssue]]:
    items = list(get(parser).parse(source_of(path)))
    events = [i for i in items if isinstance(i, Event)]
    issues = [i for i in items if isinstance(i, ParseIssue)]
    assert len(events) + len(issues) == len(items)
    return events, issues


def parse_fixture(shape: str, name: str) -> tuple[list[Event], list[ParseIssue]]:
    return parse_path(SHAPES[shape], fixture(shape, name))


def parse_bytes(parser: str, data: bytes) -> list[Event | ParseIssue]:
    """Parse bytes held in memory (the agent parsers read only `source.data`)."""
    source = Source("input", Path("/nonexistent/input"), hashlib.sha256(data).hexdigest(),
                    len(data))
    source.__dict__["data"] = data          # fills the cached_property without a file
    return list(get(parser).parse(source))


def assert_well_formed(items: Iterable[Any]) -> None:
    """The property every parse result must have, whatever the input."""
    for item in items:
        assert isinstance(item, (Event, ParseIssue)), item
        if isinstance(item, ParseIssue):
            assert item.locator.startswith(LOCATOR_FORMS), item
            assert item.problem
        else:
            assert item.ref.locator.startswith(LOCATOR_FORMS), item.ref
            json.dumps(dict(item.attrs), default=str)
            assert item.time is None or (isinstance(item.time, str) and item.time[-1] == "Z")
            for number in (item.step, item.parent_step, item.bytes_in, item.bytes_out):
                assert number is None or (type(number) is int and 0 <= number < 2 ** 63)


def by_source(events: Iterable[Event]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in events:
        counts[event.source] = counts.get(event.source, 0) + 1
    return dict(sorted(counts.items()))


def calls(events: Iterable[Event]) -> list[Event]:
    return [e for e in events if e.source == "agent:tool_call"]


def call_rows(events: Iterable[Event]) -> list[tuple]:
    """(locator, step, parent step, action, target) of each tool call, in step order. No
    class: parsers do not class steps (the effects layer does, issue 13)."""
    return [(e.ref.locator, e.step, e.parent_step, e.action, e.target_id)
            for e in sorted(calls(events), key=lambda e: (e.session or "", e.step or 0))]


def fields(event: Event) -> dict[str, Any]:
    """Every field of an event except the raw record (and the file hash)."""
    return {"locator": event.ref.locator, "source": event.source, "time": event.time,
            "action": event.action, "action_class": event.action_class,
            "actor_id": event.actor_id, "actor_kind": event.actor_kind,
            "target_id": event.target_id, "target_type": event.target_type,
            "target_label": event.target_label, "outcome": event.outcome,
            "session": event.session, "step": event.step, "parent_step": event.parent_step,
            "approver": event.approver, "bytes_in": event.bytes_in, "bytes_out": event.bytes_out,
            "attrs": json.loads(json.dumps(dict(event.attrs), sort_keys=True, default=str))}


def projection(events: list[Event], issues: list[ParseIssue]) -> dict[str, Any]:
    """A fixture's whole parse, as a golden file holds it."""
    return {"events": [fields(e) for e in events],
            "issues": [{"locator": i.locator, "problem": i.problem} for i in issues]}


# ----------------------------------------------------------------------------- hypothesis

# kept small: the machine is shared, and the parsers' branches are reached by `shaped`
PROPERTY = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

def json_values(keys: list[str], words: list[str]) -> st.SearchStrategy:
    """JSON-ish values whose keys and strings come partly from a shape's own vocabulary, so
    the parser's deeper branches are reached."""
    scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
               | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
               | st.sampled_from(words))
    key = st.sampled_from(keys) | st.text(max_size=6)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(key, inner, max_size=5), max_leaves=16)


def never_raise_properties(parser: str, keys: list[str], words: list[str]):
    """The two never-raise properties every agent shape has: arbitrary bytes, and arbitrary
    JSON (one document or NDJSON lines) built from the shape's own keys and words. A test
    module binds them to its own test names:

        test_arbitrary_bytes_never_raise, test_arbitrary_json_never_raises = \
            never_raise_properties(PARSER, KEYS, WORDS)
    """
    def bytes_property(data):
        assert_well_formed(parse_bytes(parser, data))

    def json_property(value, as_lines):
        assert_well_formed(parse_bytes(parser, encode(value, as_lines)))

    # named per parser before @given sees them, so each shape has its own example database
    for test, what in ((bytes_property, "bytes"), (json_property, "json")):
        test.__name__ = test.__qualname__ = (
            f"test_arbitrary_{what}_never_raises_{parser.replace('-', '_')}")
    bytes_property = PROPERTY(given(st.binary(max_size=600))(bytes_property))
    json_property = PROPERTY(given(json_values(keys, words), st.booleans())(json_property))
    return bytes_property, json_property


def encode(value: Any, as_lines: bool) -> bytes:
    """The value as one JSON document, or (lists) as NDJSON lines."""
    if as_lines and isinstance(value, list):
        return "\n".join(json.dumps(v, allow_nan=True) for v in value).encode()
    return json.dumps(value, allow_nan=True).encode()


def shaped(any_value: st.SearchStrategy, **fields: st.SearchStrategy) -> st.SearchStrategy:
    """Dicts with some of the shape's own keys, each holding the expected kind of value or,
    sometimes, any JSON value: records that look right but are wrong in places."""
    return st.fixed_dictionaries({}, optional={key: strategy | any_value
                                               for key, strategy in fields.items()})


TIMES = st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-01T00:00:01.5+02:00", "yesterday",
                         "1767225600", ""])
