"""What the Sentinel table tests share: the fixture folder, a parse of one file or of bytes,
and an event's normalized fields (everything but where it was read and the raw record)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cloud_support import parse_bytes, sniff_and_parse
from tracehound.formats import registry
from tracehound.model import Event, ParseIssue

ROOT = Path(__file__).resolve().parents[1]
SENTINEL = ROOT / "fixtures" / "cloud" / "sentinel"
CLOUD = ROOT / "fixtures" / "cloud"
REAL = ROOT / "data" / "real" / "sentinel"
PARSER = "sentinel-log-analytics"


def parse(path: Path) -> tuple[list[Event], list[ParseIssue], str | None]:
    events, issues, name, _ = sniff_and_parse(path)
    return events, issues, name


def parse_text(text: str, tz: str | None = None) -> list[Any]:
    """Every item the Sentinel parser yields for `text` (a CSV or JSON export)."""
    parser = registry.get(PARSER)
    if tz is None:
        return parse_bytes(parser, text.encode("utf-8"))
    import tempfile
    from tracehound.evidence import sha256_file
    from tracehound.formats.base import Source
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "blob"
        path.write_bytes(text.encode("utf-8"))
        source = Source(str(path), path, sha256_file(path), path.stat().st_size, tz=tz)
        return list(parser.parse(source))


def split(items: list[Any]) -> tuple[list[Event], list[ParseIssue]]:
    return ([i for i in items if isinstance(i, Event)],
            [i for i in items if isinstance(i, ParseIssue)])


def normalized(event: Event) -> dict[str, Any]:
    """An event as the tools see it, without its ref and raw record."""
    return {"source": event.source, "time": event.time, "action": event.action,
            "action_class": event.action_class, "actor_id": event.actor_id,
            "actor_kind": event.actor_kind, "target_id": event.target_id,
            "target_type": event.target_type, "outcome": event.outcome,
            "session": event.session, "attrs": json.loads(json.dumps(event.attrs, default=str))}


def projection(events: list[Event], issues: list[ParseIssue]) -> dict[str, Any]:
    """A whole parse as its golden file holds it."""
    return {"events": [{"locator": e.ref.locator, **normalized(e)} for e in events],
            "issues": [{"locator": i.locator, "problem": i.problem} for i in issues]}
