"""The DuckDB case store: normalized events (and the tables analyzers add) for SQL detections.

Events go in as Arrow batches, never one INSERT a row. The SQL that analyzers run against it
is written once and can be transpiled for Spark (see the drift engine).
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import duckdb
import pyarrow as pa

from .model import Event

BATCH = 50_000
# One encoder for every row: the same text as json.dumps(value, sort_keys=True, default=str),
# without building an encoder per call (two calls a row add up over millions of events).
_TO_JSON = json.JSONEncoder(sort_keys=True, default=str).encode

EVENT_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("sha256", pa.string()), ("locator", pa.string()),
    ("source", pa.string()), ("time", pa.string()), ("action", pa.string()),
    ("action_class", pa.string()), ("actor_id", pa.string()), ("actor_kind", pa.string()),
    ("target_id", pa.string()), ("target_type", pa.string()), ("target_label", pa.string()),
    ("outcome", pa.string()), ("session", pa.string()), ("step", pa.int64()),
    ("parent_step", pa.int64()), ("approver", pa.string()), ("bytes_in", pa.int64()),
    ("bytes_out", pa.int64()), ("attrs", pa.string()), ("raw", pa.string()),
])


# What Python hands DuckDB for each event: every column but event_id, which the INSERT
# computes from sha256 and locator exactly as Event.id does (first 16 hex digits of the
# sha256 of "<sha256>\0<locator>"), in C++ rather than once per event in Python.
INCOMING_SCHEMA = pa.schema([f for f in EVENT_SCHEMA if f.name != "event_id"])
_ROW = ("substr(sha256(sha256 || chr(0) || locator), 1, 16), "
        + ", ".join(f.name for f in INCOMING_SCHEMA))


def event_table(events: Sequence[Event]) -> pa.Table:
    """The rows of `events` for the events table, as Arrow (without event_id)."""
    columns = {
        "sha256": [e.ref.sha256 for e in events],
        "locator": [e.ref.locator for e in events],
        "source": [e.source for e in events],
        "time": [e.time for e in events],
        "action": [e.action for e in events],
        "action_class": [e.action_class for e in events],
        "actor_id": [e.actor_id for e in events],
        "actor_kind": [e.actor_kind for e in events],
        "target_id": [e.target_id for e in events],
        "target_type": [e.target_type for e in events],
        "target_label": [e.target_label for e in events],
        "outcome": [e.outcome for e in events],
        "session": [e.session for e in events],
        "step": [e.step for e in events],
        "parent_step": [e.parent_step for e in events],
        "approver": [e.approver for e in events],
        "bytes_in": [e.bytes_in for e in events],
        "bytes_out": [e.bytes_out for e in events],
        "attrs": [_TO_JSON(e.attrs) for e in events],
        "raw": [_TO_JSON(e.raw) for e in events],
    }
    return pa.table(columns, schema=INCOMING_SCHEMA)


PARSED = "parsed_events"     # the table the record-by-record parsers' events go into


@dataclass(frozen=True)
class EventBranch:
    """Events a bulk loader keeps in typed tables of its own, seen through the `events` view.

    `columns` gives every EVENT_SCHEMA column as an SQL expression over `relation` (a FROM
    clause); the view computes them only for the columns a query reads, so a JSON column such
    as attrs costs nothing to a query that does not select it. `typed_attrs` gives attrs keys
    the branch holds in typed columns, as expressions over the same relation: readers of those
    keys (`events_with_attrs`) then skip building and parsing the attrs JSON."""

    name: str
    relation: str
    columns: Mapping[str, str]
    typed_attrs: Mapping[str, str] = field(default_factory=dict)
    # keys read out of the attrs JSON; any other key, when other_attrs is set, through that
    # expression template (with {path}, the key's JSON path) instead
    json_keys: Sequence[str] = ()
    other_attrs: str = ""

    def select(self, names: Sequence[str] = tuple(f.name for f in EVENT_SCHEMA),
               extra: str = "") -> str:
        """SELECT of the named event columns (all, in schema order, by default) and `extra`."""
        exprs = [f"{self.columns[name]} AS {name}" for name in names] + ([extra] if extra else [])
        return f"SELECT {', '.join(exprs)} FROM {self.relation}"

    def attr(self, key: str) -> str:
        """A key's value as text: the typed column, else read out of the attrs JSON."""
        typed = self.typed_attrs.get(key)
        if typed is not None:
            return typed
        if self.other_attrs and key.split(".")[0] not in self.json_keys:
            return self.other_attrs.format(path=attr_path(key))
        return f"json_extract_string({self.columns['attrs']}, '{attr_path(key)}')"


class CaseStore:
    """An in-memory (or on-disk, for the web UI's cases) DuckDB database for one case.

    `events` is a view: the rows of the `parsed_events` table (what the record-by-record
    parsers load) and of every EventBranch a bulk loader added."""

    def __init__(self, path: str = ":memory:", spill_dir: str | None = None,
                 memory_limit: str | None = None):
        """`spill_dir` + `memory_limit` (e.g. "256MB"): a large case keeps at most that much
        of the store in memory and spills the rest to temporary files under `spill_dir`."""
        self.con = duckdb.connect(path)
        self.con.execute("SET threads TO 2")
        if spill_dir is not None:
            self.con.execute("SET temp_directory = ?", [spill_dir])
        if memory_limit is not None:
            self.con.execute("SET memory_limit = ?", [memory_limit])
        self.con.execute(
            f"CREATE TABLE IF NOT EXISTS {PARSED} (" + ", ".join(
                f"{f.name} {_sql_type(f.type)}" for f in EVENT_SCHEMA) + ")")
        self.con.execute(f"CREATE VIEW IF NOT EXISTS events AS SELECT * FROM {PARSED}")
        self.con.execute("CREATE TABLE IF NOT EXISTS event_branches (name VARCHAR, spec JSON)")

    def add_branch(self, branch: EventBranch) -> None:
        """Show a bulk loader's rows in the `events` view (once per branch name). Kept in the
        database (`event_branches`), so a store opened again, or any code holding only the
        connection, sees the same branches; inside a transaction it is undone with it."""
        add_branch(self.con, branch)

    def __enter__(self) -> "CaseStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def watched(self, report: Callable[[float], None], every: float = 0.1) -> Iterator[None]:
        """While the block runs, DuckDB's own progress of the query under way (0-1, never
        going back) goes to `report` every `every` seconds, from a thread that polls the
        connection (its progress bar on, printing nothing)."""
        names = ("enable_progress_bar", "enable_progress_bar_print", "progress_bar_time")
        before = self.con.execute("SELECT " + ", ".join(
            f"current_setting('{name}')" for name in names)).fetchone()
        self.con.execute("SET enable_progress_bar = true")
        self.con.execute("SET enable_progress_bar_print = false")
        self.con.execute("SET progress_bar_time = 0")         # from the query's start
        stop = threading.Event()

        def poll() -> None:
            best = 0.0
            while not stop.wait(every):
                with suppress(duckdb.Error):
                    share = self.con.query_progress() / 100
                    if share > best:
                        best = min(share, 1.0)
                        report(best)
        poller = threading.Thread(target=poll, name="tracehound-query-progress", daemon=True)
        poller.start()
        try:
            yield
        finally:
            stop.set()
            poller.join()
            for name, value in reversed(list(zip(names, before))):   # the time first
                self.con.execute(f"SET {name} = ?", [value])

    def load_events(self, events: Iterable[Event]) -> int:
        total = 0
        batch: list[Event] = []
        for event in events:
            batch.append(event)
            if len(batch) >= BATCH:
                total += self._append(batch)
                batch = []
        if batch:
            total += self._append(batch)
        return total

    def begin(self) -> None:
        """Start one transaction for many loads (end it with commit or rollback). DuckDB then
        writes whole row groups as they fill, where a transaction per small load merges each
        into the table on its own, several times slower (8 s instead of 3 s for a million
        agent events here)."""
        self.con.execute("BEGIN TRANSACTION")

    def commit(self) -> None:
        self.con.execute("COMMIT")

    def rollback(self) -> None:
        with suppress(duckdb.Error):        # a failed statement may have ended it already
            self.con.execute("ROLLBACK")

    def _append(self, events: Sequence[Event]) -> int:
        self.insert_table(event_table(events))
        return len(events)

    def insert_table(self, table: pa.Table) -> None:
        """Insert rows built by `event_table`. Through a relation, not a registered view:
        inside a transaction a dropped view keeps its Arrow table alive until the commit."""
        self.con.from_arrow(table).project(_ROW).insert_into(PARSED)

    def replace_events(self, refs: Iterable[tuple[str, str]], events: Sequence[Event]) -> None:
        """Replace the stored rows at `refs` ((sha256, locator) pairs) by `events`, which are
        all the events now at those refs (session assembly changed, moved or dropped some).
        A row whose new event no longer holds its raw record (a large source's) keeps the
        raw text it had."""
        keys = sorted(set(refs))
        if not keys:
            return
        match = ("EXISTS (SELECT 1 FROM _replaced_refs r WHERE r.sha256 = {t}.sha256 "
                 "AND r.locator = {t}.locator)").format(t=PARSED)
        self.begin()
        try:
            self.con.from_arrow(pa.table({"sha256": [k[0] for k in keys],
                                          "locator": [k[1] for k in keys]})) \
                .create("_replaced_refs")
            self.con.execute(f"CREATE TABLE _replaced_raw AS SELECT sha256, locator, "
                             f"any_value(raw) AS raw FROM {PARSED} WHERE {match} "
                             f"GROUP BY sha256, locator")
            self.con.execute(f"DELETE FROM {PARSED} WHERE {match}")
            self.load_events(events)
            self.con.execute(f"UPDATE {PARSED} SET raw = r.raw FROM _replaced_raw r WHERE "
                             f"{PARSED}.sha256 = r.sha256 AND {PARSED}.locator = r.locator "
                             f"AND {PARSED}.raw = 'null'")
            self.con.execute("DROP TABLE _replaced_raw")
            self.con.execute("DROP TABLE _replaced_refs")
        except BaseException:
            self.rollback()
            raise
        self.commit()


def branches(con: Any) -> list[EventBranch]:
    """The EventBranches the store's `events` view shows, by name."""
    found = con.execute("SELECT spec FROM event_branches ORDER BY name").fetchall()
    out = []
    for spec, in found:
        fields = json.loads(spec)
        out.append(EventBranch(**{**fields, "json_keys": tuple(fields["json_keys"])}))
    return out


def add_branch(con: Any, branch: EventBranch) -> None:
    """CaseStore.add_branch for code that holds only the connection."""
    known = {b.name: b for b in branches(con)}
    if known.get(branch.name) == branch:
        return
    con.execute("DELETE FROM event_branches WHERE name = ?", [branch.name])
    con.execute("INSERT INTO event_branches VALUES (?, ?)",
                [branch.name, json.dumps(asdict(branch), sort_keys=True)])
    known[branch.name] = branch
    selects = [f"SELECT * FROM {PARSED}"] + [b.select() for _, b in sorted(known.items())]
    con.execute("CREATE OR REPLACE VIEW events AS " + "\nUNION ALL\n".join(selects))


def attr_path(key: str) -> str:
    """The JSON path of an attrs key; a dotted key (`arguments.Bucket`) goes down the levels."""
    return "$." + ".".join('"' + part.replace('"', '\\"') + '"' for part in key.split("."))


def events_with_attrs(con: Any, keys: Sequence[str], *, raw: bool = False) -> str:
    """SQL of every event's columns but attrs and raw (raw too when asked), plus `_attrs`: the
    values of `keys` (a VARCHAR list in that order; a dotted key goes down the levels), read
    from typed columns where a branch has them and parsed out of the attrs JSON (once a row)
    where not."""
    paths = "[" + ", ".join(f"'{attr_path(k)}'" for k in keys) + "]"
    names = [f.name for f in EVENT_SCHEMA if f.name not in ("attrs", "raw")] + (
        ["raw"] if raw else [])
    parts = [f"SELECT {', '.join(names)}, json_extract_string(attrs, {paths}) AS _attrs "
             f"FROM {PARSED}"]
    for branch in branches(con):
        values = "[" + ", ".join(f"CAST({branch.attr(k)} AS VARCHAR)" for k in keys) + "]"
        parts.append(branch.select(names, f"{values} AS _attrs"))
    return "\nUNION ALL\n".join(parts)


def _sql_type(arrow_type: pa.DataType) -> str:
    return "BIGINT" if pa.types.is_integer(arrow_type) else "VARCHAR"


_UNITS = {"bytes": 1, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3, "TiB": 1024 ** 4,
          "KB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3, "TB": 1000 ** 4}


def raise_memory(con: Any, floor: int) -> str | None:
    """At least `floor` bytes of DuckDB memory from now on (a limit already higher stays);
    the limit it replaced, or None when it was high enough."""
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    if _setting_bytes(limit) >= floor:
        return None
    con.execute(f"SET memory_limit = '{floor // 1024 ** 2}MiB'")
    return limit


@contextmanager
def memory_at_least(con: Any, floor: int) -> Iterator[None]:
    """At least `floor` bytes of DuckDB memory while a step runs, then the limit it had.

    A spilling case store keeps little in memory; a step that cannot work below some size (the
    CSV reader holds a buffer as large as the longest row it accepts, per thread; some
    aggregates do not spill) raises the limit for its own run only."""
    before = raise_memory(con, floor)
    try:
        yield
    finally:
        if before is not None:
            con.execute("SET memory_limit = ?", [before])


def _setting_bytes(size: str) -> float:
    """DuckDB's rendering of a memory setting ('122.0 MiB') in bytes; unreadable: unlimited."""
    number, _, unit = size.strip().partition(" ")
    try:
        return float(number) * _UNITS[unit.strip()]
    except (ValueError, KeyError):
        return float("inf")
