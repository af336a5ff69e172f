"""Bulk path of the UAL parser: a Purview CSV export straight into the `events` table with SQL.

DuckDB reads the CSV, parses AuditData once per row and computes every typed column and attrs
key with the SQL twins of the normalizers in `m365_fields` (same rules as `m365_ual.parse`).
Python touches only what is small: the header, the distinct operation names (action classes
come from `taxonomy.classify_action`), the few directory-change rows (`m365_directory`), and
the rejected rows. Anything DuckDB cannot read as the header says makes this path step aside
(returns None) so the record-by-record parser takes the file instead.

Row numbers: DuckDB keeps file order (`row_number() OVER ()` on the scan); rows it rejects are
reported by record number and the accepted rows after them are renumbered, which matches the
Python reader for exports without blank lines (Purview writes none).
"""

from __future__ import annotations

import csv
import json
import re
from typing import Any

import pyarrow as pa

from ..model import ParseIssue
from ..taxonomy import classify_action
from . import m365_fields as f
from .base import Source
from .m365_directory import DIRECTORY_OPERATIONS, directory_details
from .m365_ual import (JSON_FIELDS, LIST_FIELDS, SOURCE, TEXT_FIELDS, WORKLOAD_TARGETS,
                       AUDIT_DATA_KEYS)
from .readers import detect_encoding

MAX_LINE = 64 * 1024 * 1024


def bulk_load_csv(source: Source, store: Any) -> tuple[int, list[ParseIssue]] | None:
    header = _csv_header(source)
    if header is None or "AuditData" not in header:
        return None
    con = store.con
    con.execute(f.TIME_MACRO)
    tag = source.sha256[:12]
    try:
        con.execute(_insert_sql(header, tag, source))
    except Exception:     # duckdb cannot read it as declared: the Python parser will
        return None
    issues = sorted(_rejected(con, source, tag) + _invalid(con, source),
                    key=lambda issue: int(issue.locator.split()[1]))
    _classify(con, source.sha256)
    _directory_details(con, source.sha256)
    loaded = con.execute("SELECT count(*) FROM events WHERE sha256 = ? AND source = ?",
                         [source.sha256, SOURCE]).fetchone()[0]
    return loaded, issues


def _csv_header(source: Source) -> list[str] | None:
    with open(source.fs_path, "rb") as handle:
        head = handle.read(64 * 1024)
    encoding, skip = detect_encoding(head)
    if encoding != "utf-8":
        return None
    first = head[skip:].split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")
    try:
        names = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return None
    names = [name.strip() for name in names]
    return names if len(set(names)) == len(names) and all(names) else None


class _Paths:
    """The AuditData keys the load reads, each extracted once per row into one list."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.json: list[str] = []

    def text_at(self, key: str) -> str:
        if key not in self.text:
            self.text.append(key)
        return f"tv[{self.text.index(key) + 1}]"

    def json_at(self, key: str) -> str:
        if key not in self.json:
            self.json.append(key)
        return f"jv[{self.json.index(key) + 1}]"

    def lists(self) -> tuple[str, str]:
        def paths(keys: list[str]) -> str:
            return "[" + ", ".join(f"'$.\"{k}\"'" for k in keys) + "]"
        return paths(self.text), paths(self.json)


def _pick_sql(keys: tuple[tuple[str, ...], tuple[str, ...]], header: list[str],
              paths: _Paths) -> str:
    audit_keys, envelope_keys = keys
    parts = [f"nullif({paths.text_at(k)}, '')" for k in audit_keys]
    parts += [f'nullif("{k}", \'\')' for k in envelope_keys if k in header]
    return f"coalesce({', '.join(parts)})"


def _pick_json_sql(keys: tuple[tuple[str, ...], tuple[str, ...]], header: list[str],
                   paths: _Paths) -> str:
    audit_keys, envelope_keys = keys
    whens = [f"WHEN nullif({paths.text_at(k)}, '') IS NOT NULL THEN {paths.json_at(k)}"
             for k in audit_keys]
    whens += [f'WHEN nullif("{k}", \'\') IS NOT NULL THEN to_json("{k}")'
              for k in envelope_keys if k in header]
    return f"CASE {' '.join(whens)} END"


def _list_json_sql(keys: tuple[str, ...], paths: _Paths) -> str:
    whens = " ".join(f"WHEN {paths.text_at(k)} <> '' THEN {paths.json_at(k)}" for k in keys)
    return f"CASE {whens} END"


def _fields_sql(header: list[str], paths: _Paths) -> str:
    cols = [f"{_pick_sql(keys, header, paths)} AS t_{name}" for name, keys in TEXT_FIELDS.items()]
    cols += [f"{_pick_json_sql(keys, header, paths)} AS j_{name}"
             for name, keys in JSON_FIELDS.items()]
    for name, column in (("parameters", "params"), ("extended_properties", "extended")):
        cols.append(f"{f.name_value_map_sql(_list_json_sql(LIST_FIELDS[name], paths))} AS {column}")
    cols.append(f"{f.modified_map_sql(_list_json_sql(LIST_FIELDS['modified_properties'], paths))}"
                " AS modified")
    return ",\n  ".join(cols)


def _insert_sql(header: list[str], tag: str, source: Source) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", source.sha256):
        raise ValueError("source sha256 is not a hex digest")
    path = str(source.fs_path).replace("'", "''")
    columns = "{" + ", ".join("'" + h.replace("'", "''") + "': 'VARCHAR'" for h in header) + "}"
    audit_col = next(k for k in AUDIT_DATA_KEYS if k in header)
    envelope = ", ".join(f'"{k}"' for keys in (*TEXT_FIELDS.values(), *JSON_FIELDS.values())
                         for k in keys[1] if k in header)
    targets = " ".join(f"WHEN '{w}' THEN '{t}'" for w, t in WORKLOAD_TARGETS.items())
    paths = _Paths()
    fields = _fields_sql(header, paths)
    text_paths, json_paths = paths.lists()
    attrs = ", ".join(
        [f"'{n}', t_{n}" for n in TEXT_FIELDS if n not in ("time", "client_ip", "user_agent",
                                                           "app_id")]
        + [f"'client_ip', {f.client_ip_sql('t_client_ip')}",
           "'user_agent', coalesce(t_user_agent, json_extract_string(extended, '$.UserAgent'))",
           "'app_id', lower(t_app_id)", "'record_type', j_record_type",
           "'parameters', params::JSON", "'modified_properties', modified::JSON",
           "'extended_properties', extended::JSON"])
    return f"""
INSERT INTO events
WITH c AS (
  SELECT row_number() OVER () AS n, * FROM read_csv('{path}', header = true, auto_detect = false,
    columns = {columns}, delim = ',', quote = '"', escape = '"', ignore_errors = true,
    store_rejects = true, rejects_table = 'th_rejects_{tag}', rejects_scan = 'th_scans_{tag}',
    max_line_size = {MAX_LINE})
), p AS (
  SELECT 'row ' || n AS loc, c."{audit_col}" AS audit_text, {envelope},
    regexp_matches(c."{audit_col}", '^[ \t\r\n]*[{{]') AS is_object,
    try(json_extract_string(c."{audit_col}", {text_paths})) AS tv,
    try(json_extract(c."{audit_col}", {json_paths})) AS jv
  FROM c
), v AS (
  SELECT loc, audit_text, is_object AND tv IS NOT NULL AS ok, {fields}
  FROM p
), w AS (
  SELECT *, {f.canonical_operation_sql('t_operation')} AS act FROM v
)
SELECT left(sha256('{source.sha256}' || chr(0) || loc), 16), '{source.sha256}', loc, '{SOURCE}',
  {f.utc_time_sql('t_time')}, act, 'other',
  {f.actor_id_sql('t_user_id')}, {f.actor_kind_sql('t_user_id', 'j_user_type')},
  coalesce(nullif(json_extract_string(params, '$.Identity'), ''), t_object_id),
  CASE t_workload {targets} END,
  NULL, {f.outcome_sql('t_result_status', 'act')}, NULL, NULL, NULL, NULL, NULL, NULL,
  CASE WHEN ok THEN json_object({attrs}) END,
  CASE WHEN NOT ok THEN
    CASE WHEN coalesce(trim(audit_text), '') = '' THEN 'record has no AuditData'
         ELSE 'AuditData is not a JSON object' END
  WHEN act = '' THEN 'record names no Operation' ELSE audit_text END
FROM w
"""


def _rejected(con: Any, source: Source, tag: str) -> list[ParseIssue]:
    """Issues for the rows DuckDB rejected; accepted rows after them are renumbered."""
    rejects = con.execute(
        f"SELECT line, min(error_type), min(error_message) FROM th_rejects_{tag} "
        "GROUP BY line ORDER BY line"
    ).fetchall()
    con.execute(f"DROP TABLE IF EXISTS th_rejects_{tag}")
    con.execute(f"DROP TABLE IF EXISTS th_scans_{tag}")
    if not rejects:
        return []
    rows = [line - 1 for line, _, _ in rejects]
    shifts = [row - index for index, row in enumerate(rows)]      # accepted rows before each
    con.execute("CREATE OR REPLACE TEMP TABLE th_shift AS SELECT unnest(?) AS pos", [shifts])
    con.execute("""
        UPDATE events SET locator = 'row ' || (n + s), event_id = left(sha256(sha256 || chr(0)
               || 'row ' || (n + s)), 16)
        FROM (SELECT e.event_id AS id, CAST(substr(e.locator, 5) AS BIGINT) AS n,
                     (SELECT count(*) FROM th_shift WHERE pos <= CAST(substr(e.locator, 5) AS BIGINT)) AS s
              FROM events e WHERE e.sha256 = ? AND e.source = ?) AS m
        WHERE events.event_id = m.id AND m.s > 0""", [source.sha256, SOURCE])
    return [ParseIssue(source.path, f"row {row}", f"unreadable CSV row: {kind.lower()}: {message}")
            for row, (_, kind, message) in zip(rows, rejects)]


def _invalid(con: Any, source: Source) -> list[ParseIssue]:
    """Rows loaded without a usable record: reported, then removed from the table."""
    found = con.execute(
        "SELECT locator, raw FROM events WHERE sha256 = ? AND source = ? "
        "AND (attrs IS NULL OR action = '')", [source.sha256, SOURCE]).fetchall()
    con.execute("DELETE FROM events WHERE sha256 = ? AND source = ? AND (attrs IS NULL OR action = '')",
                [source.sha256, SOURCE])
    return [ParseIssue(source.path, locator, problem) for locator, problem in found]


def _classify(con: Any, sha256: str) -> None:
    actions = [a for (a,) in con.execute(
        "SELECT DISTINCT action FROM events WHERE sha256 = ? AND source = ?",
        [sha256, SOURCE]).fetchall()]
    table = pa.table({"action": actions, "klass": [classify_action(a) for a in actions]})
    con.register("th_classes", table)
    con.execute("UPDATE events SET action_class = k.klass FROM th_classes k "
                "WHERE events.action = k.action AND events.sha256 = ? AND events.source = ?",
                [sha256, SOURCE])
    con.unregister("th_classes")


def _directory_details(con: Any, sha256: str) -> None:
    found = con.execute(
        "SELECT event_id, action, attrs, raw FROM events WHERE sha256 = ? AND source = ? "
        "AND list_contains(?, action)", [sha256, SOURCE, sorted(DIRECTORY_OPERATIONS)]).fetchall()
    if not found:
        return
    ids, attrs_out, targets, kinds = [], [], [], []
    for event_id, action, attrs_text, raw_text in found:
        attrs, audit = json.loads(attrs_text), json.loads(raw_text)
        details = directory_details(action, attrs["modified_properties"],
                                    f.pick(audit, *LIST_FIELDS["targets"]), attrs["object_id"])
        attrs.update(details)
        user = details.get("target_user")
        ids.append(event_id)
        attrs_out.append(json.dumps(attrs, sort_keys=True))
        targets.append(user)
        kinds.append("user" if user else None)
    con.register("th_dir", pa.table({"id": ids, "attrs": attrs_out, "target": targets,
                                     "kind": kinds}))
    con.execute("UPDATE events SET attrs = d.attrs, target_id = coalesce(d.target, events.target_id), "
                "target_type = coalesce(d.kind, events.target_type) FROM th_dir d "
                "WHERE events.event_id = d.id AND events.sha256 = ?", [sha256])
    con.unregister("th_dir")
