"""The CloudTrail rule table (data/cloudtrail_rules.yaml) as SqlRules, and runs of like
findings folded into one grouped finding.

A rule's SQL may name fragments as `${NAME}`; fragments may name other fragments. Grouping
(CONTRACT.md, grouped findings): findings of one rule by one principal that follow each other
within an hour are one finding (on the same object, or across objects for rules marked
`group: actor`); its time is the first member's, its severity the worst, its refs every
member's, and its details name how many calls and which objects.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

from ...model import SEVERITY_RANK, Finding
from .sql_rules import SqlRule
from ...formats.times import parse_utc

RULES_FILE = Path(__file__).resolve().parent / "data" / "cloudtrail_rules.yaml"
GROUP_GAP_SECONDS = 3600
_NAME = re.compile(r"\$\{([A-Z_]+)\}")
# wording columns that name the object of a call whose record names no target
OBJECT_DETAILS = ("log_group", "detector", "config_object", "anchor", "profile_name",
                  "sso_object", "db", "target_user", "policy", "log_config", "flow_logs")
RULE_KEYS = {"rule", "category", "severity", "title", "statement", "where", "techniques",
             "columns", "group"}


def expand(text: str, fragments: dict[str, str], depth: int = 0) -> str:
    """`text` with every `${NAME}` replaced by its fragment (fragments may nest)."""
    if depth > 8:
        raise ValueError(f"fragments nest too deep in {text[:60]!r}")

    def one(match: re.Match) -> str:
        name = match.group(1)
        if name not in fragments:
            raise KeyError(f"unknown fragment ${{{name}}} in {RULES_FILE.name}")
        return expand(fragments[name], fragments, depth + 1)
    return _NAME.sub(one, text)


@lru_cache(maxsize=4)
def load_rules(table: str, path: Path = RULES_FILE) -> tuple[tuple[SqlRule, ...],
                                                            dict[str, str]]:
    """(the rules in file order, {rule id: group mode}) with fragments and `${TABLE}` filled in."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    fragments = {k: " ".join(str(v).split()) for k, v in document["fragments"].items()}
    fragments["TABLE"] = table
    rules, groups, seen = [], {}, set()
    for entry in document["rules"]:
        unknown = set(entry) - RULE_KEYS
        if unknown:
            raise ValueError(f"{path.name}: rule {entry.get('rule')}: unknown keys {unknown}")
        if entry["rule"] in seen:
            raise ValueError(f"{path.name}: rule {entry['rule']} defined twice")
        seen.add(entry["rule"])
        rules.append(SqlRule(
            entry["rule"], entry["category"], entry["severity"],
            expand(entry["title"], fragments), expand(entry["statement"], fragments),
            expand(" ".join(entry["where"].split()), fragments),
            tuple(entry.get("techniques", ())),
            tuple(expand(c, fragments) for c in entry.get("columns", ()))))
        groups[entry["rule"]] = entry.get("group", "target")
    return tuple(rules), groups


def _seconds(time: str | None) -> float:
    if not time:
        return 0.0
    return parse_utc(time).timestamp()


def group_runs(found: Iterable[Finding], modes: dict[str, str]) -> list[Finding]:
    """Runs of like findings (same rule and principal, and object unless the rule groups by
    actor; each within GROUP_GAP_SECONDS of the previous) as one grouped finding each."""
    runs: dict[tuple, list[list[Finding]]] = {}
    for item in sorted(found, key=Finding.sort_key):
        object_key = "" if modes.get(item.rule) == "actor" else _object(item)
        key = (item.rule, item.actor or "", object_key)
        groups = runs.setdefault(key, [])
        if groups and _seconds(item.time) - _seconds(groups[-1][-1].time) <= GROUP_GAP_SECONDS:
            groups[-1].append(item)
        else:
            groups.append([item])
    out = [_merged(group) if len(group) > 1 else group[0]
           for groups in runs.values() for group in groups]
    return sorted(out, key=Finding.sort_key)


def _object(item: Finding) -> str:
    if item.target:
        return item.target
    for key in OBJECT_DETAILS:
        value = item.details.get(key)
        if value:
            return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return ""


def _merged(members: list[Finding]) -> Finding:
    first = members[0]
    worst = max(members, key=lambda f: SEVERITY_RANK[f.severity]).severity
    targets = sorted({_object(m) for m in members} - {""})
    refs = tuple(dict.fromkeys(r for m in members for r in m.refs))
    details = dict(first.details)
    details.update(count=len(members), targets=targets, last_time=members[-1].time)
    on = f" on {len(targets)} object(s): {', '.join(targets)}" if len(targets) > 1 else ""
    statement = (f"{first.statement} It is the first of {len(members)} like calls by "
                 f"{first.actor} from {first.time} to {members[-1].time}{on}.")
    return replace(first, severity=worst, refs=refs, statement=statement, details=details,
                   count=len(members))
