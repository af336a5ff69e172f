"""Builders so an analyzer test reads like the audit records it checks.

`ual(...)`, `signins(...)` etc. turn records made by tests/fixtures/cloud/m365_records.py into
Events exactly as the parsers do (line N refs on a fixed fake file hash), and `run` calls an
analyzer without a case store, so the analyzer builds its own from the events.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterable

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cloud"
sys.path.insert(0, str(FIXTURES))

import m365_records as R  # noqa: E402

from tracehound.analyzers import Context, get  # noqa: E402
from tracehound.formats.cloud.entra import signin_event, signin_fields  # noqa: E402
from tracehound.formats.cloud.m365_ual import record_event  # noqa: E402
from tracehound.formats.cloud.oauth_grants import record_events  # noqa: E402
from tracehound.model import Event, Finding, line_ref  # noqa: E402

SHA_UAL, SHA_SIGNIN, SHA_OAUTH = "a" * 64, "b" * 64, "c" * 64


def ual(*records: dict[str, Any]) -> list[Event]:
    out: list[Event] = []
    for n, record in enumerate(records, start=1):
        out += list(record_event(line_ref(SHA_UAL, n), record, {}, "ual.ndjson"))
    return out


def signins(*records: dict[str, Any]) -> list[Event]:
    out: list[Event] = []
    for n, record in enumerate(records, start=1):
        out += list(signin_event(line_ref(SHA_SIGNIN, n), signin_fields(record), record, "s"))
    return out


def oauth(*records: dict[str, Any]) -> list[Event]:
    out: list[Event] = []
    for n, record in enumerate(records, start=1):
        out += list(record_events(line_ref(SHA_OAUTH, n), record, "g"))
    return out


def run(tool: str, events: Iterable[Event], **settings: Any) -> list[Finding]:
    analyzer = get(tool)
    mine = [e for e in events if analyzer.wants(e)]
    return sorted(analyzer.run(mine, Context(settings=settings)), key=Finding.sort_key)


def artifacts(tool: str, events: Iterable[Event], **settings: Any) -> dict:
    analyzer = get(tool)
    return dict(analyzer.artifacts([e for e in events if analyzer.wants(e)],
                                   Context(settings=settings)))


def summary(findings: list[Finding]) -> list[tuple]:
    return [(f.rule, f.severity, f.time, [r.locator for r in f.refs]) for f in findings]


def rule(name: str, when: str = "2024-03-11T02:31:07", user: str = "megan.bowen@contoso.com",
         **params: str) -> dict[str, Any]:
    return R.exchange(when, "New-InboxRule", user, "45.142.120.33:52311", f"Megan Bowen\\{name}",
                      Name=name, **params)
