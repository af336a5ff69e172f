"""Detections kept as data: a SQL condition plus the wording of the finding it yields.

An analyzer builds one base table of its events (one row per event or per operation, with
the columns its wording needs), then runs each `SqlRule` as `SELECT * FROM base WHERE
<condition>`. Every matching row becomes one Finding worded by the rule's templates
(`str.format` over the row's columns; a missing value reads `unknown`). A row whose `failed`
column is true is a refused attempt: the finding keeps the rule but one severity step lower,
and its statement says the request was refused and with which error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

from ...model import SEVERITIES, SEVERITY_RANK, Finding
from .sql import refs_of, rows

ROW_COLUMNS = ("time", "actor", "target", "session")


@dataclass(frozen=True)
class SqlRule:
    rule: str
    category: str
    severity: str
    title: str
    statement: str                      # template over the row's columns
    where: str                          # SQL condition over the base table
    techniques: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()       # extra select items ("expr AS name")

    def query(self, table: str) -> str:
        extra = "".join(f", {column}" for column in self.columns)
        return f"SELECT *{extra} FROM {table} WHERE {self.where} ORDER BY time, sha256, locator"


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "unknown"


def wording(template: str, row: Mapping[str, Any]) -> str:
    values = _Blank({k: _text(v) for k, v in row.items() if v not in (None, "", [])})
    return template.format_map(values)


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def lowered(severity: str) -> str:
    return SEVERITIES[max(1, SEVERITY_RANK[severity] - 1)]


def has_events(con: Any, source: str) -> bool:
    """True when the case holds at least one event of this source (skip the work otherwise)."""
    return con.execute("SELECT 1 FROM events WHERE source = ? LIMIT 1", [source]).fetchone() \
        is not None


def run_rules(con: Any, table: str, rules: Iterable[SqlRule], tool: str, engine_version: str,
              detail_keys: tuple[str, ...]) -> Iterator[Finding]:
    """Every rule's rows as findings (in rule order, then time)."""
    for spec in rules:
        for row in rows(con, spec.query(table)):
            yield finding(spec, row, tool, engine_version, detail_keys)


def finding(spec: SqlRule, row: Mapping[str, Any], tool: str, engine_version: str,
            detail_keys: tuple[str, ...]) -> Finding:
    statement = wording(spec.statement, row)
    severity = spec.severity
    if row.get("failed"):
        severity = lowered(severity)
        statement += wording(" The request was refused ({error}).", row)
    details = {key: row[key] for key in detail_keys if row.get(key) not in (None, "", [])}
    return Finding(
        rule=spec.rule, tool=tool, category=spec.category, severity=severity,
        title=wording(spec.title, row), statement=statement, refs=refs_of(dict(row)),
        time=row.get("time"), session=row.get("session"), actor=row.get("actor"),
        target=row.get("target"), techniques=spec.techniques, engine_version=engine_version,
        details=details)
