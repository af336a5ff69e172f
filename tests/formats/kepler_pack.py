"""Test helpers for the kepler parsers: the generated pack, sources, and parse results."""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from tracehound.fixtures import kepler
from tracehound.formats import registry
from tracehound.formats.base import Sample, Source
from tracehound.model import Event, ParseIssue

TRACE = "agent-tool-call-trace.ndjson"
DIVERGENCE = "prompt-action-divergence-corpus.ndjson"
ACCOUNTABILITY = "accountability-attribution-corpus.ndjson"
NETWORK = "agent-network-events.ndjson"
IAM = "iam-role-grant.json"
CREDENTIALS = "credential-handling-audit.json"
GRAPH = "mcp-server-call-graph.json"
PERSISTENCE = "persistence-mechanism-artifacts.json"
CONFIG = "agent-runtime-config.json"
KEPLER_FORMATS = tuple(fmt for fmt, _ in kepler.FILES.values())


@lru_cache(maxsize=1)
def pack() -> Path:
    """The pack, generated once per test session into a private temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="tracehound-kepler-test-"))
    atexit.register(shutil.rmtree, folder, True)
    kepler.write_pack(folder)
    return folder


def source_of(path: Path) -> Source:
    data = path.read_bytes()
    return Source(path.name, path, hashlib.sha256(data).hexdigest(), len(data))


def variant(tmp: Path, name: str, data: bytes) -> Source:
    path = tmp / name
    path.write_bytes(data)
    return source_of(path)


def parse(fmt: str, source: Source) -> tuple[list[Event], list[ParseIssue]]:
    events: list[Event] = []
    issues: list[ParseIssue] = []
    for item in registry.get(fmt).parse(source):
        (issues if isinstance(item, ParseIssue) else events).append(item)
    return events, issues


def parse_file(fmt: str, name: str) -> tuple[list[Event], list[ParseIssue], Source]:
    source = source_of(pack() / name)
    events, issues = parse(fmt, source)
    return events, issues, source


def sniffed_by(source: Source) -> str | None:
    sample = Sample.of(source)
    for parser in registry.all_parsers():
        if parser.sniff(sample):
            return parser.name
    return None


def replace_line(data: bytes, number: int, text: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[number - 1] = text
    return b"\n".join(lines)
