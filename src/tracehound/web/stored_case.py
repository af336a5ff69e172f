"""A case as the workbench stored it, read back for reports without analyzing again.

The analysis job writes case.json (the document), case.duckdb (the case store) and
case-run.json (what a report needs that the document does not hold: originals whose hash
changed during the run, when each file was hashed). `StoredCase` offers what the report
renderers read of a pipeline Case: `to_json()` is the stored document, `events` the events the
record-by-record parsers made, rebuilt from the store in the order they were stored (with their
raw records: a large source's are kept there only), `changed` and `hashed_at` from
case-run.json. Events a bulk loader kept in DuckDB alone were never Python events of the
analysis either: the report reads their excerpts from the evidence file, as it did then.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model import Event, EvidenceRef

RUN_FILE = "case-run.json"
BATCH = 20_000


def save_run(case: Any, case_dir: Path) -> None:
    """case-run.json: the run's facts a report needs beyond the document."""
    path = case_dir / RUN_FILE
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    temporary.write_text(json.dumps({"changed": list(case.changed),
                                     "hashed_at": dict(case.hashed_at)}, sort_keys=True),
                         encoding="utf-8")
    os.replace(temporary, path)


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
