"""A case as the workbench stored it, read back for reports without analyzing again.

The analysis job writes case.json (the document), case.duckdb (the case store) and
case-run.json (what a report needs that the document does not hold: originals whose hash
changed during the run, when each file was hashed). `StoredCase` offers what the report
renderers read of a pipeline Case: `to_json()` is the stored document, `events` the events the
record-by-record parsers made, rebuilt from the store in the order they were stored (with their
raw records: a large source's are kept there only), `changed` and `hashed_at` from
case-run.json. Events a bulk loader kept in DuckDB alone were never Python events of the
analysis either: the report reads their excerpts from the evidence file, as it did then.
`stored_timeline` builds the super-timeline from the same three files (the store's events and
the document's findings), so the timeline download does not analyze again either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..model import Event, EvidenceRef

RUN_FILE = "case-run.json"
BATCH = 20_000


def save_run(case: Any, case_dir: Path) -> None:
    """case-run.json: the run's facts a report needs beyond the document."""
    from .cases import write_json_atomic
    write_json_atomic(case_dir / RUN_FILE, {"changed": list(case.changed),
                                           "hashed_at": dict(case.hashed_at)})


@dataclass
class StoredCase:
    document: dict[str, Any]
    events: list[Event]
    changed: list[str] = field(default_factory=list)
    hashed_at: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, list] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return self.document

    @classmethod
    def open(cls, case_dir: Path) -> "StoredCase":
        """The stored case; FileNotFoundError when the folder holds no finished analysis."""
        document = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))
        run = json.loads((case_dir / RUN_FILE).read_text(encoding="utf-8"))
        return cls(document, stored_events(case_dir / "case.duckdb"), list(run["changed"]),
                   dict(run["hashed_at"]))


def stored_events(path: Path) -> list[Event]:
    """The record-by-record parsers' events of a case store, in the order they were stored."""
    import duckdb
    from ..store import EVENT_SCHEMA, PARSED
    names = [f.name for f in EVENT_SCHEMA if f.name != "event_id"]
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute(f"SELECT {', '.join(names)} FROM {PARSED} ORDER BY rowid")
        events = []
        while rows := cursor.fetchmany(BATCH):
            for row in rows:
                values = dict(zip(names, row))
                ref = EvidenceRef(values.pop("sha256"), values.pop("locator"))
                values["attrs"] = json.loads(values["attrs"])
                values["raw"] = json.loads(values["raw"])
                events.append(Event(ref=ref, **values))
        return events
    finally:
        con.close()


def _document_finding(finding: dict[str, Any]) -> SimpleNamespace:
    """A finding of the stored document with the attributes the timeline reads of a Finding
    (its id as the analysis wrote it: a keyed finding's id cannot be computed again)."""
    names = ("time", "severity", "statement", "tool", "actor", "target", "session", "step",
             "category", "rule", "id")
    return SimpleNamespace(refs=tuple(EvidenceRef(r["sha256"], r["locator"])
                                      for r in finding["refs"]),
                           **{name: finding.get(name) for name in names})


def stored_timeline(case_dir: Path) -> list[dict[str, Any]]:
    """The super-timeline of the stored case, the same rows `Options(timeline=True)` gives;
    FileNotFoundError when the folder holds no finished analysis."""
    import duckdb
    from ..correlate.timeline import build_timeline
    document = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))
    store_path = case_dir / "case.duckdb"
    for needed in (store_path, case_dir / RUN_FILE):       # case-run.json: written last
        if not needed.is_file():
            raise FileNotFoundError(needed)
    con = duckdb.connect(str(store_path), read_only=True)
    try:
        evidence = [SimpleNamespace(path=e["path"], sha256=e["sha256"])
                    for e in document.get("evidence", [])]
        findings = [_document_finding(f) for f in document.get("findings", [])]
        return build_timeline(SimpleNamespace(con=con), findings, evidence)
    finally:
        con.close()
