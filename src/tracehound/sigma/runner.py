"""Run converted Sigma rules on the case store in one batched pass.

Rules are grouped by the events they read (a logsource's `Event.source` values; logsources
that read a common source, such as the four M365 ones on the UAL, form one group). Per group
the runner materializes ONE helper table: the events' evidence columns (`_th_sha256`,
`_th_locator`, `_th_time`, `_th_actor`, `_th_action`, `_th_target`) and one VARCHAR column
per distinct place a rule field is read from (`attrs`, a typed column or the vendor record:
`logsources.py`). The JSON of a row is parsed once for all of them (DuckDB's list form of
json_extract_string). Each logsource then gets a view that names those columns as its rules
spell them, and one query per logsource (BATCH rules at a time) returns only the rows some
rule matched, with one boolean per rule. A batch whose query fails is run again rule by rule,
so the failing rule is named and the others still run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import duckdb

from ..store import events_with_attrs
from .backend import TEXT_COLUMN
from .convert import ConvertedRule
from .logsources import BY_KEY, Logsource

EVIDENCE = ("_th_sha256", "_th_locator", "_th_time", "_th_actor", "_th_action", "_th_target")
BASE_COLUMNS = {"_th_sha256": "sha256", "_th_locator": "locator", "_th_time": "time",
                "_th_actor": "actor_id", "_th_action": "action", "_th_target": "target_id",
                "_th_source": "source"}
MATCH_KEYS = ("sha256", "locator", "time", "actor", "action", "target")
BATCH = 64                      # rules per query: bounds the SQL text, not the number of scans


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


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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


@dataclass
class ScanPlan:
    """One helper table over the events of `sources`, shared by the logsources reading them."""

    sources: tuple[str, ...]
    table: str
    places: dict[tuple[str, ...], str] = field(default_factory=dict)   # locations -> column
    views: dict[str, dict[str, str]] = field(default_factory=dict)     # key -> {name: column}
    keywords: bool = False

    def add(self, source: Logsource, rules: Sequence[ConvertedRule]) -> None:
        names, keywords = _columns(rules)
        self.keywords = self.keywords or keywords
        named = self.views.setdefault(source.key, {})
        for name in sorted(names.values(), key=str.lower):
            where = source.where(name)
            named[name] = self.places.setdefault(where, f"_c{len(self.places)}")

    def table_sql(self, con: Any = None) -> str:
        """The helper table. Given the connection, attrs keys come from
        `store.events_with_attrs`: a bulk-loaded row's typed columns instead of its attrs JSON
        built and parsed again (on a 1M-row UAL that JSON is most of the pass's cost)."""
        raw_paths: list[str] = []
        attr_paths: list[str] = []
        attr_keys: list[str] = []
        selects = [f"{column} AS {alias}" for alias, column in BASE_COLUMNS.items()]
        for where, column in self.places.items():
            parts = []
            for location in where:
                kind, _, path = location.partition(":")
                if kind == "raw":
                    raw_paths.append(json_path(path))
                    parts.append(f"_rv[{len(raw_paths)}]")
                elif kind == "attrs":
                    attr_paths.append(json_path(path))
                    attr_keys.append(path)
                    parts.append(f"_av[{len(attr_paths)}]")
                else:
                    parts.append(f"CAST({path} AS VARCHAR)")
            selects.append(f"coalesce({', '.join(parts)}) AS {column}" if len(parts) > 1
                           else f"{parts[0]} AS {column}")
        if self.keywords:
            selects.append(f"raw AS {TEXT_COLUMN}")
        sources = ", ".join(_literal(s) for s in self.sources)
        if con is not None and attr_keys:
            events, attrs = f"({events_with_attrs(con, attr_keys, raw=True)})", "_attrs"
        else:
            events, attrs = "events", _extract("attrs", attr_paths)
        inner = (f"SELECT *, {_extract('raw', raw_paths)} AS _rv, "
                 f"{attrs} AS _av FROM {events} WHERE source IN ({sources})")
        return (f"CREATE OR REPLACE TEMP TABLE {self.table} AS SELECT "
                f"{', '.join(selects)} FROM ({inner})")

    def view_sql(self, source: Logsource) -> str:
        selects = list(EVIDENCE) + ([TEXT_COLUMN] if self.keywords else [])
        selects += [f"{column} AS {_quoted(name)}"
                    for name, column in self.views[source.key].items()]
        only = ("" if set(source.sources) == set(self.sources) else
                f" WHERE _th_source IN ({', '.join(_literal(s) for s in source.sources)})")
        return (f"CREATE OR REPLACE TEMP VIEW {source.table} AS SELECT {', '.join(selects)} "
                f"FROM {self.table}{only}")


def _extract(column: str, paths: list[str]) -> str:
    if not paths:
        return "NULL::VARCHAR[]"
    return f"json_extract_string({column}, [{', '.join(_literal(p) for p in paths)}])"


def table_sql(source: Logsource, rules: Sequence[ConvertedRule]) -> str:
    """The helper table of one logsource alone (kept for callers that want just one)."""
    plan = ScanPlan(source.sources, source.table)
    plan.add(source, rules)
    return plan.table_sql()


def run_rules(con: Any, rules: Sequence[ConvertedRule]) -> list[RuleRun]:
    """Run every mapped rule, in the order given; unmapped ones come back with the reason
    they did not run."""
    runs: dict[int, RuleRun] = {}
    by_logsource: dict[str, list[int]] = {}
    for index, rule in enumerate(rules):
        if rule.logsource in BY_KEY:
            by_logsource.setdefault(rule.logsource, []).append(index)
        else:
            runs[index] = RuleRun(rule, error=f"no tracehound parser produces "
                                              f"{rule.info.logsource} records")
    for number, (sources, keys) in enumerate(scans(by_logsource)):
        by_key = {key: by_logsource[key] for key in keys}
        plan = ScanPlan(sources, f"th_sigma_scan_{number}")
        for key in sorted(by_key):
            plan.add(BY_KEY[key], [rules[i] for i in by_key[key]])
        con.execute(plan.table_sql(con))
        try:
            if con.execute(f"SELECT 1 FROM {plan.table} LIMIT 1").fetchone() is None:
                runs.update((i, RuleRun(rules[i])) for ids in by_key.values() for i in ids)
                continue                       # none of these records in the case
            for key in sorted(by_key):
                source = BY_KEY[key]
                con.execute(plan.view_sql(source))
                try:
                    chosen = by_key[key]
                    for start in range(0, len(chosen), BATCH):
                        batch = chosen[start:start + BATCH]
                        found = _run_batch(con, source.table, [rules[i] for i in batch])
                        runs.update(zip(batch, found))
                finally:
                    con.execute(f"DROP VIEW IF EXISTS {source.table}")
        finally:
            con.execute(f"DROP TABLE IF EXISTS {plan.table}")
    return [runs[i] for i in range(len(rules))]


def scans(keys: Iterable[str]) -> list[tuple[tuple[str, ...], list[str]]]:
    """Logsources grouped so that the ones reading any common `source` share one scan: (the
    sources read, the logsource keys), in a stable order."""
    groups: list[tuple[set[str], list[str]]] = []
    for key in sorted(keys):
        sources, members = set(BY_KEY[key].sources), [key]
        for group in [g for g in groups if g[0] & sources]:
            groups.remove(group)
            sources |= group[0]
            members += group[1]
        groups.append((sources, members))
    return sorted((tuple(sorted(s)), sorted(m)) for s, m in groups)


def _matches_sql(rule: ConvertedRule) -> str:
    return " OR ".join(f"({where})" for where in rule.wheres)


def _run_batch(con: Any, view: str, rules: Sequence[ConvertedRule]) -> list[RuleRun]:
    """One query for a batch of rules: the rows any of them matched, a flag per rule."""
    flags = [f"coalesce({_matches_sql(rule)}, false) AS _r{n}" for n, rule in enumerate(rules)]
    where = " OR ".join(f"({_matches_sql(rule)})" for rule in rules)
    sql = (f"SELECT {', '.join(EVIDENCE)}, {', '.join(flags)} FROM {view} WHERE {where} "
           f"ORDER BY _th_time, _th_sha256, _th_locator")
    try:
        rows = con.execute(sql).fetchall()
    except duckdb.Error:
        return [_run_one(con, view, rule) for rule in rules]
    found: list[dict[tuple[str, str], dict[str, Any]]] = [{} for _ in rules]
    for values in rows:
        row = dict(zip(MATCH_KEYS, values[:len(EVIDENCE)]))
        for n, hit in enumerate(values[len(EVIDENCE):]):
            if hit:
                found[n].setdefault((row["sha256"], row["locator"]), row)
    return [RuleRun(rule, _ordered(matches)) for rule, matches in zip(rules, found)]


def _run_one(con: Any, view: str, rule: ConvertedRule) -> RuleRun:
    """One rule alone: how a failing batch finds the rule that fails."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for where in rule.wheres:
        sql = (f"SELECT {', '.join(EVIDENCE)} FROM {view} WHERE {where} "
               f"ORDER BY _th_time, _th_sha256, _th_locator")
        try:
            cursor = con.execute(sql)
        except duckdb.Error as exc:
            return RuleRun(rule, error=str(exc).splitlines()[0][:300])
        for values in cursor.fetchall():
            row = dict(zip(MATCH_KEYS, values))
            found.setdefault((row["sha256"], row["locator"]), row)
    return RuleRun(rule, _ordered(found))


def _ordered(found: dict[tuple[str, str], dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(found.values(), key=lambda r: (r["time"] or "", r["sha256"], r["locator"]))
