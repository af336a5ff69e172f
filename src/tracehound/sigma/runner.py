"""Run converted Sigma rules on the case store: one table per logsource, one query per rule.

For each mapped logsource that some rule reads, the runner materializes a helper table once:
the events of that logsource's sources, their evidence columns (`_th_sha256`, `_th_locator`,
`_th_time`, `_th_actor`, `_th_action`, `_th_target`) and one VARCHAR column per field the rules
read, filled from `attrs`, a typed column or the vendor record (`logsources.py` says where).
JSON is parsed once per table (DuckDB's list form of json_extract_string), so a 100-rule
folder over a million-row export costs one pass plus one column scan per rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import duckdb

from .backend import TEXT_COLUMN
from .convert import ConvertedRule
from .logsources import BY_KEY, Logsource

EVIDENCE = ("_th_sha256", "_th_locator", "_th_time", "_th_actor", "_th_action", "_th_target")
BASE_COLUMNS = {"_th_sha256": "sha256", "_th_locator": "locator", "_th_time": "time",
                "_th_actor": "actor_id", "_th_action": "action", "_th_target": "target_id"}


@dataclass
class RuleRun:
    rule: ConvertedRule
    matches: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None             # why the query could not run


def json_path(dotted: str) -> str:
    """`$."a"."b"` for a dotted path (keys quoted, so any spelling survives)."""
    keys = (part.replace("\\", "\\\\").replace('"', '\\"') for part in dotted.split("."))
    return "$." + ".".join(f'"{key}"' for key in keys)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns(rules: Iterable[ConvertedRule]) -> tuple[dict[str, str], bool]:
    """Column name (first spelling, unique by lower case) per field, and keyword use."""
    names: dict[str, str] = {}
    keywords = False
    for rule in rules:
        keywords = keywords or rule.keywords
        for name in rule.fields:
            names.setdefault(name.lower(), name)
    names = {k: v for k, v in names.items() if k not in {c.lower() for c in BASE_COLUMNS}}
    return names, keywords


def table_sql(source: Logsource, rules: Sequence[ConvertedRule]) -> str:
    names, keywords = _columns(rules)
    raw_paths: list[str] = []
    attr_paths: list[str] = []
    selects = [f"{column} AS {alias}" for alias, column in BASE_COLUMNS.items()]
    for name in sorted(names.values(), key=str.lower):
        parts = []
        for location in source.where(name):
            kind, _, path = location.partition(":")
            if kind == "raw":
                raw_paths.append(json_path(path))
                parts.append(f"_rv[{len(raw_paths)}]")
            elif kind == "attrs":
                attr_paths.append(json_path(path))
                parts.append(f"_av[{len(attr_paths)}]")
            else:
                parts.append(f"CAST({path} AS VARCHAR)")
        quoted = '"' + name.replace('"', '""') + '"'
        selects.append(f"coalesce({', '.join(parts)}) AS {quoted}" if len(parts) > 1
                       else f"{parts[0]} AS {quoted}")
    if keywords:
        selects.append(f"raw AS {TEXT_COLUMN}")
    sources = ", ".join(_literal(s) for s in source.sources)
    inner = (f"SELECT *, {_extract('raw', raw_paths)} AS _rv, "
             f"{_extract('attrs', attr_paths)} AS _av FROM events WHERE source IN ({sources})")
    return (f"CREATE OR REPLACE TEMP TABLE {source.table} AS SELECT "
            f"{', '.join(selects)} FROM ({inner})")


def _extract(column: str, paths: list[str]) -> str:
    if not paths:
        return "NULL::VARCHAR[]"
    return f"json_extract_string({column}, [{', '.join(_literal(p) for p in paths)}])"


def run_rules(con: Any, rules: Sequence[ConvertedRule]) -> list[RuleRun]:
    """Run every mapped rule; unmapped ones come back with the reason they did not run."""
    runs: list[RuleRun] = []
    by_source: dict[str, list[ConvertedRule]] = {}
    for rule in rules:
        if rule.logsource in BY_KEY:
            by_source.setdefault(rule.logsource, []).append(rule)
        else:
            runs.append(RuleRun(rule, error=f"no tracehound parser produces "
                                            f"{rule.info.logsource} records"))
    for key in sorted(by_source):
        source = BY_KEY[key]
        con.execute(table_sql(source, by_source[key]))
        try:
            runs.extend(_run_one(con, source, rule) for rule in by_source[key])
        finally:
            con.execute(f"DROP TABLE IF EXISTS {source.table}")
    return runs


def _run_one(con: Any, source: Logsource, rule: ConvertedRule) -> RuleRun:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for where in rule.wheres:
        sql = (f"SELECT {', '.join(EVIDENCE)} FROM {source.table} WHERE {where} "
               f"ORDER BY _th_time, _th_sha256, _th_locator")
        try:
            cursor = con.execute(sql)
        except duckdb.Error as exc:
            return RuleRun(rule, error=str(exc).splitlines()[0][:300])
        for values in cursor.fetchall():
            row = dict(zip(("sha256", "locator", "time", "actor", "action", "target"), values))
            found.setdefault((row["sha256"], row["locator"]), row)
    return RuleRun(rule, sorted(found.values(), key=lambda r: (r["time"] or "", r["sha256"],
                                                                r["locator"])))
