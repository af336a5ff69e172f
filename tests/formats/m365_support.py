"""Helpers for the Microsoft cloud parser tests: bytes -> Source, parse -> (events, issues),
and sql_values for comparing the field normalizers with their SQL twins (see the twin_con
fixture in conftest.py)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from tracehound.formats.base import Sample, Source
from tracehound.model import Event, ParseIssue

TESTS = Path(__file__).resolve().parents[1]
FIXTURES = TESTS / "fixtures" / "cloud"
sys.path.insert(0, str(FIXTURES))

import m365_records as records  # noqa: E402,F401  (re-exported for the tests)


def source_at(path: Path, name: str | None = None) -> Source:
    data = path.read_bytes()
    return Source(name or path.name, path, hashlib.sha256(data).hexdigest(), len(data))


def source_of(tmp_path: Path, data: bytes | str, name: str = "evidence") -> Source:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return source_at(path, name)


def parse(parser, source: Source) -> tuple[list[Event], list[ParseIssue]]:
    items = list(parser.parse(source))
    return ([i for i in items if isinstance(i, Event)],
            [i for i in items if isinstance(i, ParseIssue)])


def sniffed(parser, source: Source) -> str | None:
    return parser.sniff(Sample.of(source))


def sql_values(con, expr: str, values: list, kind: str = "VARCHAR") -> list:
    """expr over column v, evaluated for every value in one query, in order."""
    return [r[0] for r in con.execute(
        f"SELECT {expr} FROM (SELECT unnest(?::{kind}[]) AS v, "
        f"generate_subscripts(?::{kind}[], 1) AS i) ORDER BY i", [values, values]).fetchall()]
