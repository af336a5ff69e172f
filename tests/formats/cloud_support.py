"""What the cloud parser tests share: a file parsed the way the pipeline does it (intake, sniff,
the sniffed parser), bytes parsed by one parser, and the located-item property."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Iterable

from tracehound.evidence import collect, sha256_file
from tracehound.formats.base import Source
from tracehound.model import Event, ParseIssue
from tracehound.sniff import sniff

LOCATOR_FORMS = ("line ", "row ", "json:")


def sniff_and_parse(path: Path) -> tuple[list[Event], list[ParseIssue], str | None, str]:
    """(events, issues, name of the sniffed parser or None, sha256 of the file)."""
    with collect([path]) as intake:
        source = intake.sources[0]
        found = sniff(source)
        items = list(found.parser.parse(source)) if found.parser else []
    events = [i for i in items if isinstance(i, Event)]
    issues = [i for i in items if isinstance(i, ParseIssue)]
    assert len(events) + len(issues) == len(items), items
    return events, issues, found.parser.name if found.parser else None, source.sha256


def parse_bytes(parser, data: bytes) -> list[Any]:
    """Every item `parser` yields for `data` written to a temporary file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "blob"
        path.write_bytes(data)
        source = Source(str(path), path, sha256_file(path), path.stat().st_size)
        return list(parser.parse(source))


def assert_located(items: Iterable[Any]) -> None:
    """Each item is an Event or a ParseIssue, and each names its place in the file."""
    for item in items:
        assert isinstance(item, (Event, ParseIssue)), item
        if isinstance(item, ParseIssue):
            assert item.locator.startswith(LOCATOR_FORMS) and item.problem, item
        else:
            assert item.ref.locator.startswith(LOCATOR_FORMS), item.ref
