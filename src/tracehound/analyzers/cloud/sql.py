"""SQL detections over the case store: one query in, rows (and their evidence refs) out.

Cloud analyzers state a detection as a query over the `events` table (schema in
`tracehound/store.py`; attrs keys in `docs/events-cloud.md`), read with `attrs->>'$.key'`.
A query returns either one event per row (columns `sha256`, `locator`) or one group per row
with a `refs` column built by `REFS` (a list of {sha256, locator} structs). This module turns
those rows into EvidenceRefs; the analyzer writes the Finding wording.

When an analyzer runs without a case store (a unit test on a few events), `connection` builds
an in-memory one from the events it was given, so the same SQL runs either way.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from ...model import Event, EvidenceRef
from ..registry import Context

# Aggregate that collects a group's evidence refs in a stable order.
REFS = ("list(struct_pack(sha256 := sha256, locator := locator) "
        "ORDER BY time NULLS FIRST, sha256, locator)")
MAX_REFS = 200          # a burst of 10,000 downloads cites its first 200 rows


WORK_MEMORY = 512 * 1024 * 1024     # what a tool's queries get at least (sorts, aggregates)


@contextmanager
def connection(events: Sequence[Event], ctx: Context) -> Iterator[Any]:
    """The case's DuckDB connection, or a temporary store holding just `events`.

    A spilling case store may be set to keep less in memory than a grouped or sorted query
    over a million rows needs; the tool gets WORK_MEMORY while it runs."""
    from ...store import CaseStore, memory_at_least
    if ctx.store is not None:
        with memory_at_least(ctx.store.con, WORK_MEMORY):
            yield ctx.store.con
        return
    with CaseStore() as store:
        store.load_events(events)
        yield store.con


def shared_rows(ctx: Context) -> dict[Any, list[dict[str, Any]]] | None:
    """Query results tools of one case may share (the same SQL over the same case store), or
    None when the tool runs on its own events without a store."""
    if ctx.store is None:
        return None
    return ctx.shared.setdefault("cloud_query_rows", {})


def rows(con: Any, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """The query's rows as dicts keyed by column name."""
    cursor = con.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def refs_of(row: dict[str, Any]) -> tuple[EvidenceRef, ...]:
    """EvidenceRefs of a row: its own sha256/locator, or the `refs` list of a group."""
    if row.get("refs"):
        refs = row["refs"][:MAX_REFS]
        return tuple(EvidenceRef(r["sha256"], r["locator"]) for r in refs)
    return (EvidenceRef(row["sha256"], row["locator"]),)


def with_ref(row: dict[str, Any]) -> dict[str, Any]:
    """An artifact row of one event: its `sha256` and `locator` columns moved into `ref`."""
    ref = {"sha256": row.pop("sha256"), "locator": row.pop("locator")}
    return {**row, "ref": ref}


def sql_list(values: Sequence[str]) -> str:
    """A SQL list literal of constant strings (for detection definitions kept as data)."""
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"
