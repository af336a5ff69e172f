"""What the OpenHands, SWE-agent and Aider parser tests share: parsing a file (with --tz),
the well-formedness check (file-level issues have the locator `file`), the fixture
generators, and the files each parser must decline."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Any, Iterable

from agent_shapes_support import AGENT_FIXTURES, FIXTURES, LOCATOR_FORMS
from tracehound.formats import all_parsers, get
from tracehound.formats.base import Sample, Source
from tracehound.model import Event, ParseIssue

REAL = Path(__file__).resolve().parents[1] / "data" / "real"


def source_of(path: Path, tz: str | None = None) -> Source:
    data = path.read_bytes()
    return Source(path.name, path, hashlib.sha256(data).hexdigest(), len(data), tz=tz)


def parse_file(parser: str, path: Path, tz: str | None = None
               ) -> tuple[list[Event], list[ParseIssue]]:
    items = list(get(parser).parse(source_of(path, tz)))
    well_formed(items)
    return ([i for i in items if isinstance(i, Event)],
            [i for i in items if isinstance(i, ParseIssue)])


def issue_rows(issues: Iterable[ParseIssue]) -> list[tuple[str, str]]:
    return [(i.locator, i.problem) for i in issues]


def well_formed(items: Iterable[Any]) -> None:
    """Every item is an Event or a located ParseIssue (`file` for a file-level issue)."""
    for item in items:
        assert isinstance(item, (Event, ParseIssue)), item
        if isinstance(item, ParseIssue):
            assert item.locator == "file" or item.locator.startswith(LOCATOR_FORMS), item
            assert item.problem
            continue
        assert item.ref.locator.startswith(LOCATOR_FORMS), item.ref
        json.dumps(dict(item.attrs), default=str)
        assert item.time is None or (isinstance(item.time, str) and item.time[-1] == "Z")
        for number in (item.step, item.parent_step, item.bytes_in, item.bytes_out):
            assert number is None or (type(number) is int and 0 <= number < 2 ** 63)


def calls(events: Iterable[Event]) -> list[Event]:
    return [e for e in events if e.source == "agent:tool_call"]


def at(events: Iterable[Event], locator: str, source: str = "agent:tool_call") -> Event:
    found = [e for e in events if e.ref.locator == locator and e.source == source]
    assert len(found) == 1, (locator, found)
    return found[0]


def ref_of(path: Path, locator: str) -> dict[str, str]:
    return {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "locator": locator}


# ----------------------------------------------------------------------------- generators


def rendered_fixtures(shape: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the shape's generate.py renders, what is on disk), both as bytes or text."""
    path = AGENT_FIXTURES / shape / "generate.py"
    spec = importlib.util.spec_from_file_location(f"agent_runtime_fixture_{shape}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rendered = module.render()
    on_disk = {}
    for item in (AGENT_FIXTURES / shape).iterdir():
        if item.is_file() and item.suffix != ".py":
            raw = item.read_bytes()
            sample = next(iter(rendered.values()), b"")
            on_disk[item.name] = raw if isinstance(sample, bytes) else raw.decode("utf-8")
    return rendered, on_disk


# ----------------------------------------------------------------------------- sniffing


def files_of_others(shape: str, runtime: str) -> list[Path]:
    """Every fixture outside the shape's own folder and every real file of other runtimes."""
    own = AGENT_FIXTURES / shape
    found = [p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix != ".py"
             and "__pycache__" not in p.parts and own not in p.parents]
    if REAL.is_dir():
        found += [p for p in REAL.rglob("*") if p.is_file() and p.name != "manifest.json"
                  and p.relative_to(REAL).parts[0] != runtime]
    return sorted(found)


def claims(path: Path) -> list[str]:
    sample = Sample.of(source_of(path))
    return [parser.name for parser in all_parsers() if parser.sniff(sample)]
