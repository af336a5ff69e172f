"""Bulk path of the UAL parser: a large export straight into a typed DuckDB table.

Every shape `m365_ual_shapes` names takes this path: the Purview CSV export, JSON lines
(Microsoft-Extractor-Suite's shape; AuditData nested or a JSON string) and a JSON array.

One `INSERT INTO ual_rows SELECT ... FROM <the shape's scan>` does the work, on every
DuckDB thread: DuckDB reads the file and parses each AuditData once (under try(), so a record
that is not JSON is one issue, not an error), keeping the record as it is (`raw`) and, typed,
what tools group and filter on for every row: time, operation, actor, workload, client IP,
user agent, result status, object id, site, the Identity an Exchange cmdlet names. The SQL
twins of the normalizers in `m365_fields` apply the same rules as `m365_ual.parse`.

The rows are not copied into the events table. The store's `events` view shows them (an
EventBranch) and computes locator, event id, action class, target and the attrs JSON only
for the rows and columns a query reads; the attrs keys nobody groups on (record id,
file, app id, record type, the property maps) are read out of `raw` then, by the same rules as
the record-by-record parser. Tools that group on client IP, workload and the like read the
typed columns through `store.events_with_attrs` and never parse JSON.

Python touches only what is small: the header, the distinct operation names (classified by
`taxonomy.classify_action` into `ual_classes`), the directory-change rows (`m365_directory`,
in batches; their full attrs go to `dir_attrs`) and the rejected rows; a row longer than the
CSV reader's line limit is read by Python's csv module at the byte offset DuckDB reports and
parsed by the record-by-record parser. The file's SHA-256 is needed only after the rows are in
(they carry a small source number that `ual_sources` maps to the hash), so the intake may still
be hashing the file while DuckDB reads it.

A CSV that DuckDB cannot read as its header says makes this path step aside (None), so the
record-by-record parser takes it; running out of memory or disk is raised, never turned into a
fallback that would hold the whole export in Python objects.

Row numbers: the insert keeps file order (`preserve_insertion_order`), so the rows of one load
hold consecutive rowids in file order and `row N` (`line N`, `json:/N`) is the rowid's offset
from the load's first. Rows DuckDB rejects are reported by record number and the accepted rows
after them get their number in `n`, which matches the Python reader for exports without blank
lines (Purview writes none; a JSON lines file keeps its blank lines as rows, so its numbers
are its line numbers).

JSON records SQL cannot take as they are (not an object, AuditData that is not one, no
operation, JSON only Python reads) and lines DuckDB's reader rejects go to the record-by-record
parser with their numbers, so their issues read as that parser words them.
"""

from __future__ import annotations

import json
from contextlib import contextmanager, suppress
from typing import Any, Iterator

import duckdb
import pyarrow as pa

from ...model import ParseIssue
from ...store import EVENT_SCHEMA, EventBranch, add_branch, raise_memory
from ...taxonomy import classify_action
from . import m365_fields as f
from ..base import Source
from .m365_directory import DIRECTORY_OPERATIONS, directory_details
from .m365_ual import (ERROR_NUMBER, JSON_FIELDS, LIST_FIELDS, SOURCE, TEXT_FIELDS,
                       WORKLOAD_TARGETS)
from .m365_ual_leftovers import BY_PYTHON, long_rows, number_of, python_records
from .m365_ual_shapes import Shape, newline_count, shape_of

# The longest CSV line (or JSON line) DuckDB reads itself; it holds a buffer of this size per
# thread, so a larger limit costs memory and time on every export. Longer rows (rare: AuditData
# is capped far below this) are read one by one by Python, up to the Python reader's own limit.
MAX_LINE = 2 * 1024 * 1024
LONG_LINE = "LINE SIZE OVER MAXIMUM"
# A spilling case store keeps little in memory, sized for cases whose events Python holds. Rows
# loaded here are held by DuckDB alone, so the store may keep this much of them in memory from
# the load on (raising the limit only for the load would evict the new table to disk as soon
# as it ends, and every tool would read it back).
LOAD_MEMORY = 1024 * 1024 * 1024
DIRECTORY_BATCH = 20_000
SKIP = ""          # the problem of a blank JSON line: no record, no issue
# DuckDB errors that mean "cannot read this file as the header says": the Python parser may
# try it. Anything else (out of memory, disk full, interrupted) propagates.
UNREADABLE = (duckdb.InvalidInputException, duckdb.ConversionException,
              duckdb.BinderException, duckdb.ParserException)
# text fields kept typed for every row; the other attrs keys are read out of raw on demand
TYPED_TEXT = ("time", "operation", "user_id", "workload", "client_ip", "user_agent",
              "result_status", "object_id", "site_url")
# The record's operation and user id are kept only where they differ from the action and the
# actor id made of them (which most records' do not): two columns less to hold per row.
# attrs keys only raw holds, read straight out of it by a reader of one of them
TEXT_ONLY = ("app_id", "client_app_id", "failure_reason", "error_code")
TYPED_VALUES = {"operation": "coalesce(u.operation, u.action)",
                "user_id": "coalesce(u.user_id, u.actor_id)"}
# attrs keys whose envelope fallback (a CSV column) the table keeps for the rows that need it
ENVELOPE_KEPT = {"record_id": TEXT_FIELDS["record_id"], "record_type": JSON_FIELDS["record_type"]}
ROWS_TABLE = """
CREATE TABLE IF NOT EXISTS ual_rows (
  src INTEGER, problem VARCHAR, n BIGINT, time VARCHAR, action VARCHAR, operation VARCHAR,
  actor_id VARCHAR, actor_kind VARCHAR, outcome VARCHAR, user_id VARCHAR, workload VARCHAR,
  result_status VARCHAR,
  object_id VARCHAR, identity VARCHAR, client_ip VARCHAR, user_agent VARCHAR, site_url VARCHAR,
  e_record_id VARCHAR, e_record_type VARCHAR, dir_attrs JSON, dir_target VARCHAR,
  raw VARCHAR);
CREATE TABLE IF NOT EXISTS ual_sources (src INTEGER, sha256 VARCHAR, first BIGINT,
  prefix VARCHAR, base BIGINT);
CREATE TABLE IF NOT EXISTS ual_classes (action VARCHAR, klass VARCHAR);
"""


class _Paths:
    """AuditData keys a statement reads, each once: `<name>[i]` holds key i's value, as text
    (json_extract_string) or as JSON (json_extract)."""

    def __init__(self, name: str, keys: tuple[str, ...] = ()) -> None:
        self.name = name
        self.keys: list[str] = list(keys)

    def at(self, key: str) -> str:
        if key not in self.keys:
            self.keys.append(key)
        return f"{self.name}[{self.keys.index(key) + 1}]"

    def present(self, key: str) -> str:
        """The JSON value is there and neither null nor "" (what `m365_fields.pick` skips)."""
        return f"{self.at(key)} NOT IN ('null', '\"\"')"

    def literal(self) -> str:
        return "[" + ", ".join(f"'$.\"{k}\"'" for k in self.keys) + "]"


def _pick_text(keys: tuple[tuple[str, ...], tuple[str, ...]], shape: Shape,
               tv: _Paths) -> str:
    """First non-empty text among the AuditData spellings, then the envelope columns."""
    audit_keys, envelope_keys = keys
    parts = [f"nullif({tv.at(k)}, '')" for k in audit_keys]
    parts += [f'nullif("{k}", \'\')' for k in envelope_keys if k in shape.envelope]
    return f"coalesce({', '.join(parts)})"


def _pick_json(audit_keys: tuple[str, ...], jv: _Paths, fallback: str = "") -> str:
    whens = [f"WHEN {jv.present(k)} THEN {jv.at(k)}" for k in audit_keys]
    if fallback:
        whens.append(f"WHEN {fallback} IS NOT NULL THEN CAST({fallback} AS JSON)")
    return f"CASE {' '.join(whens)} END"


def _property(list_keys: tuple[str, ...], name: str, tv: _Paths, audit: str) -> str:
    """The value of property `name` in the first present property list (by Name, first wins,
    as `m365_fields.name_value_map`). Only a list whose text names it is parsed again, typed,
    so most rows cost one substring test."""
    text = "coalesce(" + ", ".join(f"nullif({tv.at(k)}, '')" for k in list_keys) + ")"
    literal = _Paths("", list_keys).literal()
    typed = _Paths(f"try(json_extract({audit}, {literal}))", list_keys)
    exact = f.name_value_map_sql(_pick_json(list_keys, typed))
    return (f"CASE WHEN contains({text}, '\"{name}\"') "
            f"THEN nullif(json_extract_string({exact}, '$.\"{name}\"'), '') END")


def _picked_sql(shape: Shape, tv: _Paths) -> str:
    """The `v` step of the load: each typed field picked as the Python parser picks it."""
    cols = [f"{_pick_text(TEXT_FIELDS[name], shape, tv)} AS t_{name}" for name in TYPED_TEXT]
    cols.append(f"{_pick_text(JSON_FIELDS['user_type'], shape, tv)} AS t_user_type")
    cols.append(f"{_property(LIST_FIELDS['parameters'], 'Identity', tv, 'audit')} AS t_identity")
    cols.append(f"{_property(LIST_FIELDS['extended_properties'], 'UserAgent', tv, 'audit')}"
                " AS t_agent")
    for name, (audit_keys, envelope_keys) in ENVELOPE_KEPT.items():
        envelope = [k for k in envelope_keys if k in shape.envelope]
        value = "NULL"
        if envelope:
            missing = " AND ".join(f"nullif({tv.at(k)}, '') IS NULL" for k in audit_keys)
            # record_type keeps its JSON type (e_record_type holds JSON), record_id is text
            kept = [shape.envelope_json(k) if name in JSON_FIELDS else f'"{k}"'
                    for k in envelope]
            fallback = "coalesce(" + ", ".join(
                f'CASE WHEN nullif("{k}", \'\') IS NOT NULL THEN {v} END'
                for k, v in zip(envelope, kept)) + ")"
            value = f"CASE WHEN {missing} THEN {fallback} END"
        cols.append(f"{value} AS e_{name}")
    return ",\n  ".join(cols)


def _insert_sql(shape: Shape, src: int, tag: str) -> str:
    tv = _Paths("tv")
    picked = _picked_sql(shape, tv)
    # A CSV row's problem is its issue; a JSON record with one is read again by Python (for
    # the Python parser's exact issue), so its record text stays in raw.
    if shape.json:
        problem = (f"CASE WHEN rec IS NULL THEN '{SKIP}' "
                   f"WHEN NOT ok OR act = '' THEN '{BY_PYTHON}' END")
        raw = "CASE WHEN ok AND act <> '' THEN audit ELSE rec END"
    else:
        problem = ("CASE WHEN NOT ok THEN CASE WHEN coalesce(trim(audit), '') = '' "
                   "THEN 'record has no AuditData' ELSE 'AuditData is not a JSON object' END "
                   "WHEN act = '' THEN 'record names no Operation' END")
        raw = "CASE WHEN ok AND act <> '' THEN audit END"
    return f"""
INSERT INTO ual_rows
WITH c AS (
  {shape.records_sql(tag, MAX_LINE)}
), p AS (
  SELECT *, try(json_extract_string(audit, {tv.literal()})) AS tv FROM c
), v AS (
  SELECT audit, rec, tv IS NOT NULL AND regexp_matches(audit, '^[ \t\r\n]*[{{]') AS ok,
  {picked}
  FROM p
), w AS (
  SELECT *, {f.canonical_operation_sql('t_operation')} AS act,
    {f.actor_id_sql('t_user_id')} AS aid FROM v
)
SELECT {src}, {problem},
  NULL, {f.utc_time_sql('t_time')}, act, nullif(t_operation, act), aid,
  {f.actor_kind_of_id_sql("coalesce(aid, '')", 't_user_type')},
  {f.outcome_sql('t_result_status', 'act')},
  CASE WHEN t_user_id IS DISTINCT FROM aid THEN t_user_id END, t_workload, t_result_status, t_object_id, t_identity, {f.client_ip_sql('t_client_ip')},
  coalesce(t_user_agent, t_agent), t_site_url, e_record_id, e_record_type, NULL, NULL,
  {raw}
FROM w
"""


def _attrs_parts() -> tuple[str, str, dict[str, str]]:
    """(extraction, attrs, text keys): the columns the relation adds to read the attrs-only
    keys out of raw (pruned by DuckDB when a query does not read attrs), the attrs JSON over
    them, and the expressions of the attrs-only text keys (a reader of one of those keys
    parses raw once, not the attrs JSON built and parsed again)."""
    av, aj = _Paths("u.av"), _Paths("u.aj")

    def text(name: str, fallback: str = "", keys: tuple[str, ...] = ()) -> str:
        parts = [f"nullif({av.at(k)}, '')" for k in keys or TEXT_FIELDS[name][0]]
        return f"coalesce({', '.join(parts + ([fallback] if fallback else []))})"

    values = {name: TYPED_VALUES.get(name, f"u.{name}") for name in TYPED_TEXT if name != "time"}
    values.update({
        "record_id": text("record_id", "u.e_record_id"),
        "app_id": f"lower({text('app_id')})",
        "client_app_id": f"lower({text('client_app_id')})",
        "error_code": f.error_number_sql(text("error_code", keys=ERROR_NUMBER)),
        "file_name": text("file_name"),
        "failure_reason": text("failure_reason"),
        "record_type": _pick_json(JSON_FIELDS["record_type"][0], aj, "u.e_record_type"),
        "parameters": f.name_value_map_sql(_pick_json(LIST_FIELDS["parameters"], aj)),
        "modified_properties": f.modified_map_sql(
            _pick_json(LIST_FIELDS["modified_properties"], aj)),
        "extended_properties": f.name_value_map_sql(
            _pick_json(LIST_FIELDS["extended_properties"], aj)),
    })
    pairs = ", ".join(f"'{k}', {v}" for k, v in sorted(values.items()))
    extraction = (f"json_extract_string(r.raw, {av.literal()}) AS av, "
                  f"json_extract(r.raw, {aj.literal()}) AS aj")
    texts = {k: values[k] for k in TEXT_ONLY}
    return extraction, f"CAST(coalesce(u.dir_attrs, json_object({pairs})) AS VARCHAR)", texts


def _branch() -> EventBranch:
    """The UAL rows as events: the source number gives hash and first rowid, the operation
    its class; rows that carry a problem are issues, not events."""
    extraction, attrs, texts = _attrs_parts()
    targets = " ".join(f"WHEN '{w}' THEN '{t}'" for w, t in WORKLOAD_TARGETS.items())
    nulls = {"session": "VARCHAR", "target_label": "VARCHAR", "approver": "VARCHAR",
             "step": "BIGINT", "parent_step": "BIGINT", "bytes_in": "BIGINT",
             "bytes_out": "BIGINT"}
    columns = {
        "event_id": "left(sha256(u.sha256 || chr(0) || u.locator), 16)",
        "sha256": "u.sha256", "locator": "u.locator", "source": f"'{SOURCE}'",
        "time": "u.time", "action": "u.action", "action_class": "coalesce(k.klass, 'other')",
        "actor_id": "u.actor_id", "actor_kind": "u.actor_kind", "outcome": "u.outcome",
        "target_id": "coalesce(u.dir_target, u.identity, u.object_id)",
        "target_type": f"CASE WHEN u.dir_target IS NOT NULL THEN 'user' "
                       f"ELSE CASE u.workload {targets} END END",
        "attrs": attrs, "raw": "u.raw",
        **{name: f"NULL::{kind}" for name, kind in nulls.items()},
    }
    assert set(columns) == {c.name for c in EVENT_SCHEMA}
    return EventBranch(
        name="m365-ual-bulk",
        relation=("(SELECT r.*, s.sha256, "
                  "s.prefix || coalesce(r.n, r.rowid - s.first + s.base) AS locator, "
                  f"{extraction} FROM ual_rows r JOIN ual_sources s USING (src) "
                  "WHERE r.problem IS NULL) u LEFT JOIN ual_classes k ON k.action = u.action"),
        columns=columns,
        typed_attrs={**{name: TYPED_VALUES.get(name, f"u.{name}")
                        for name in TYPED_TEXT if name != "time"},
                     # a directory change's attrs are Python's (dir_attrs): read them there
                     **{name: f"CASE WHEN u.dir_attrs IS NULL THEN CAST({expr} AS VARCHAR) "
                              f"ELSE u.dir_attrs->>'{name}' END"
                        for name, expr in texts.items()}},
        json_keys=("record_id", "app_id", "client_app_id", "file_name", "failure_reason",
                   "error_code", "record_type", "parameters", "modified_properties",
                   "extended_properties"),
        # any other key only a directory change has, in the attrs Python worked out for it
        other_attrs="u.dir_attrs->>'{path}'",
    )


BRANCH = _branch()


def bulk_load(source: Source, store: Any) -> tuple[int, list[ParseIssue]] | None:
    shape = shape_of(source)
    if shape is None:
        return None
    con = store.con
    con.execute(f.TIME_MACRO)
    con.execute(ROWS_TABLE)
    src = con.execute("SELECT coalesce(max(src), 0) + 1 FROM ual_rows").fetchone()[0]
    with _load_settings(con):
        # One transaction: a load that fails or steps aside leaves nothing behind.
        con.execute("BEGIN TRANSACTION")
        try:
            loaded = _load(con, shape, source, src)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        if loaded is None:
            con.execute("ROLLBACK")
            return None
        con.execute("COMMIT")
    count, issues, leftover = loaded
    # Committed rows get their final rowids (inside the transaction they had provisional
    # ones), consecutive in file order. Only now is the file's hash needed: the intake may
    # have been hashing it while DuckDB read the file.
    con.execute("INSERT INTO ual_sources SELECT ?, ?, min(rowid), ?, ? FROM ual_rows "
                "WHERE src = ?", [src, source.sha256, shape.prefix, shape.base, src])
    add_branch(con, BRANCH)
    if shape.json:
        events, more = python_records(con, shape, source, src, [row for row, _ in leftover])
    elif leftover:
        events, more = long_rows(source, shape.header, leftover)
    else:
        events, more = [], []
    if events:
        store.load_events(events)
        count += len(events)
    return count, sorted(issues + more, key=number_of) if more else issues


@contextmanager
def _load_settings(con: Any) -> Iterator[None]:
    """Insertion order kept while loading (row numbers come from it), then the store's own
    setting back; at least LOAD_MEMORY from now on."""
    order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = true")
    raise_memory(con, LOAD_MEMORY)
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if order else 'false'}")


def _load(con: Any, shape: Shape, source: Source, src: int
          ) -> tuple[int, list[ParseIssue], list[tuple[int, int]]] | None:
    """(rows loaded, issues, (row, byte offset) of rows DuckDB's line reader passed to
    Python), or None when DuckDB cannot read the file."""
    tag = f"{src}"
    try:
        con.execute(_insert_sql(shape, src, tag))
    except UNREADABLE:
        with suppress(duckdb.Error):    # (the rollback drops them, if the error ended it)
            _drop_rejects(con, tag)
        return None
    first, rows = con.execute("SELECT min(rowid), count(*) FROM ual_rows WHERE src = ?",
                              [src]).fetchone()
    rejected, leftover = _rejected(con, source, shape, tag, src, first or 0)
    if shape.json and (rows == 0 or (shape.kind == "lines" and rows + len(leftover)
                                     != newline_count(source))):
        return None       # no records (Python says why), or lines DuckDB split otherwise
    number = f"'row ' || coalesce(n, rowid - {int(first or 0)} + 1)"
    issues = sorted(rejected + ([] if shape.json else _invalid(con, source, src, number)),
                    key=number_of)
    _classify(con, src)
    _directory_details(con, src)
    loaded, = con.execute("SELECT count(*) FROM ual_rows WHERE src = ? AND problem IS NULL",
                          [src]).fetchone()
    return loaded, issues, leftover


def _drop_rejects(con: Any, tag: str) -> None:
    con.execute(f"DROP TABLE IF EXISTS th_rejects_{tag}")
    con.execute(f"DROP TABLE IF EXISTS th_scans_{tag}")


def _rejected(con: Any, source: Source, shape: Shape, tag: str, src: int, first: int
              ) -> tuple[list[ParseIssue], list[tuple[int, int]]]:
    """Issues for the rows DuckDB rejected and (row, byte offset) of those Python reads
    instead (a CSV row rejected only for its length; every rejected JSON line); accepted rows
    after any of them are renumbered."""
    if not shape.rejects:
        return [], []
    rejects = con.execute(
        f"SELECT line, min(error_type), min(error_message), min(byte_position) "
        f"FROM th_rejects_{tag} GROUP BY line ORDER BY line").fetchall()
    _drop_rejects(con, tag)
    if not rejects:
        return [], []
    rows = [line - shape.header_lines for line, *_ in rejects]
    # accepted row n moves down by the number of rejected rows before it: the rejects whose
    # count of accepted rows before them (row - index) is at most n
    shifts = [row - index for index, row in enumerate(rows)]
    con.execute("CREATE OR REPLACE TEMP TABLE th_shift AS SELECT pos, max(k) AS s FROM "
                "(SELECT unnest(?) AS pos, generate_subscripts(?, 1) AS k) GROUP BY pos",
                [shifts, shifts])
    con.execute("""
        UPDATE ual_rows SET n = m.n + m.s
        FROM (SELECT e.rid, e.n, t.s
              FROM (SELECT rowid AS rid, rowid - ? + 1 AS n FROM ual_rows WHERE src = ?) e
              ASOF JOIN th_shift t ON e.n >= t.pos) AS m
        WHERE ual_rows.rowid = m.rid""", [first, src])
    con.execute("DROP TABLE th_shift")
    by_python = [shape.json or kind == LONG_LINE for _, kind, _, _ in rejects]
    issues = [ParseIssue(source.path, f"row {row}",
                         f"unreadable CSV row: {kind.lower()}: {message}")
              for row, (_, kind, message, _), python in zip(rows, rejects, by_python)
              if not python]
    to_python = [(row, offset) for row, (_, _, _, offset), python
                 in zip(rows, rejects, by_python) if python]
    return issues, to_python


def _invalid(con: Any, source: Source, src: int, number: str) -> list[ParseIssue]:
    """Rows loaded without a usable record: issues (the events view leaves them out)."""
    found = con.execute(f"SELECT {number}, problem FROM ual_rows "
                        "WHERE src = ? AND problem IS NOT NULL", [src]).fetchall()
    return [ParseIssue(source.path, locator, problem) for locator, problem in found]


def _classify(con: Any, src: int) -> None:
    """Add the action class of every operation this load brought that no earlier one did."""
    actions = [a for (a,) in con.execute(
        "SELECT DISTINCT action FROM ual_rows WHERE src = ? AND problem IS NULL "
        "AND action NOT IN (SELECT action FROM ual_classes) ORDER BY action", [src]).fetchall()]
    if not actions:
        return
    table = pa.table({"action": pa.array(actions, pa.string()),
                      "klass": pa.array([classify_action(a) for a in actions], pa.string())})
    con.register("th_classes", table)
    try:
        con.execute("INSERT INTO ual_classes SELECT action, klass FROM th_classes")
    finally:
        con.unregister("th_classes")


def _directory_details(con: Any, src: int) -> None:
    """Role, consent, MFA and target-user details of directory changes, a batch at a time:
    their attrs (read out of raw as the events view does) with the details, in dir_attrs."""
    operations = "(" + ", ".join("'" + op.replace("'", "''") + "'"
                                 for op in sorted(DIRECTORY_OPERATIONS)) + ")"
    extraction, attrs, _ = _attrs_parts()
    after = -1
    while True:
        # the rowids first (a scan of short columns), then attrs and raw of just those rows
        batch = con.execute(
            f"SELECT u.rid, u.action, {attrs}, u.raw FROM ("
            f"  SELECT r.rowid AS rid, r.*, {extraction} FROM ual_rows r WHERE r.rowid IN ("
            "    SELECT rowid FROM ual_rows WHERE src = ? AND problem IS NULL "
            f"    AND action IN {operations} AND rowid > ? ORDER BY rowid LIMIT ?)) u "
            "ORDER BY u.rid", [src, after, DIRECTORY_BATCH]).fetchall()
        if not batch:
            return
        _update_directory_rows(con, batch)
        after = batch[-1][0]


def _update_directory_rows(con: Any, found: list[tuple]) -> None:
    rowids, attrs_out, targets = [], [], []
    for rowid, action, attrs_text, raw_text in found:
        attrs, audit = json.loads(attrs_text), json.loads(raw_text)
        details = directory_details(action, attrs["modified_properties"],
                                    f.pick(audit, *LIST_FIELDS["targets"]), attrs["object_id"])
        attrs.update(details)
        rowids.append(rowid)
        attrs_out.append(json.dumps(attrs, sort_keys=True))
        targets.append(details.get("target_user") or None)
    con.register("th_dir", pa.table({"rid": pa.array(rowids, pa.int64()), "attrs": attrs_out,
                                     "target": pa.array(targets, pa.string())}))
    try:
        con.execute("UPDATE ual_rows SET dir_attrs = d.attrs, dir_target = d.target "
                    "FROM th_dir d WHERE ual_rows.rowid = d.rid")
    finally:
        con.unregister("th_dir")
