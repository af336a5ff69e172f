"""The baseline, the settings and the vocabularies as the small tables the drift SQL joins.

Keys are lower-cased here once (agent ids, tool names, operations, labels, action words), so
the SQL compares with `=`. A baseline key the entry leaves out is not checked: the `checks_*`
columns of `drift_agents` say which allowlists an agent has.
"""

from __future__ import annotations

from typing import Any, Mapping

import pyarrow as pa

from ..baseline import ACTIONS, AgentBaseline, Baseline, BusinessHours, glob_regex
from .escalation import SEVERITY_TABLE

SETTINGS = {                       # --setting KEY=VALUE names and their defaults
    "drift_min_policy_hits": 3,    # D5: fewer policy hits in a week are never "rising"
    "drift_min_prior_weeks": 2,    # D4: prior active weeks needed for a weekly median
    "drift_max_refs": 20,          # evidence refs kept per finding (all are counted)
    "drift_decision_window_seconds": 900,   # decision-log entries this near count as related
    "drift_top_n": 5,              # entries in the metrics' top lists
}

# Words the sources use for an action -> seed 003's B4 categories.
ACTION_WORDS: Mapping[str, str] = {
    **{a.lower(): a for a in ACTIONS},
    "list": "Read", "search": "Read", "get": "Read", "view": "Read", "open": "Read",
    "query": "Read", "summarize": "Generate", "respond": "Generate", "answer": "Generate",
    "write": "DraftWrite", "draft": "DraftWrite", "create": "DraftWrite", "edit": "DraftWrite",
    "update": "DraftWrite", "modify": "DraftWrite",
    "send": "Notify", "email": "Notify", "post": "Notify", "message": "Notify",
    "egress": "Notify", "share": "Notify",
    "run": "Execute", "invoke": "Execute", "delete": "Execute",
    "permission-change": "Execute", "persistence": "Execute",
    "deny": "Block",
}

_S, _I, _F, _B = pa.string(), pa.int64(), pa.float64(), pa.bool_()
SCHEMAS: dict[str, pa.Schema] = {
    "drift_agents": pa.schema([
        ("agent_key", _S), ("agent_id", _S), ("name", _S), ("owner", _S), ("zone", _I),
        ("baseline_line", _I), ("checks_tools", _B), ("checks_sources", _B),
        ("checks_labels", _B), ("checks_actions", _B), ("checks_versions", _B),
        ("volume_factor", _F), ("max_per_minute", _I), ("max_notify_per_hour", _I),
        ("hours_tz", _S), ("hours_from", _I), ("hours_to", _I)]),
    "drift_allowed_tools": pa.schema([("agent_key", _S), ("tool_key", _S), ("operation", _S)]),
    "drift_allowed_sources": pa.schema([("agent_key", _S), ("pattern", _S), ("regex", _S)]),
    "drift_label_rules": pa.schema([("agent_key", _S), ("label_key", _S), ("display", _S),
                                    ("class", _S)]),
    "drift_allowed_actions": pa.schema([("agent_key", _S), ("action_key", _S)]),
    "drift_business_days": pa.schema([("agent_key", _S), ("dow", _I)]),
    "drift_versions": pa.schema([("agent_key", _S), ("version", _S), ("ticket", _S)]),
    "drift_action_map": pa.schema([("word", _S), ("category", _S)]),
    "drift_settings": pa.schema([("min_policy_hits", _I), ("min_prior_weeks", _I),
                                 ("max_refs", _I), ("decision_window_seconds", _I),
                                 ("top_n", _I)]),
    "drift_severity": pa.schema([("rule", _S), ("kind", _S), ("severity", _S)]),
}


def settings_of(given: Mapping[str, Any]) -> dict[str, int]:
    """The drift settings with defaults; a value that is not a positive number is an error."""
    out = {}
    for name, default in SETTINGS.items():
        value = given.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"--setting {name}={value!r}: expected a number of at least 0")
        out[name] = int(value)
    return out


def input_tables(baseline: Baseline, settings: Mapping[str, int]) -> dict[str, pa.Table]:
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in SCHEMAS}
    for agent in baseline.agents:
        _agent_rows(agent, rows)
    rows["drift_action_map"] = [{"word": w, "category": c} for w, c in sorted(ACTION_WORDS.items())]
    rows["drift_settings"] = [{
        "min_policy_hits": settings["drift_min_policy_hits"],
        "min_prior_weeks": settings["drift_min_prior_weeks"],
        "max_refs": settings["drift_max_refs"],
        "decision_window_seconds": settings["drift_decision_window_seconds"],
        "top_n": settings["drift_top_n"]}]
    rows["drift_severity"] = [{"rule": r, "kind": k, "severity": s}
                              for (r, k), s in sorted(SEVERITY_TABLE.items())]
    return {name: pa.Table.from_pylist(_unique(name, rows[name]), schema=SCHEMAS[name])
            for name in SCHEMAS}


UNIQUE_KEYS = {"drift_versions": ("agent_key", "version"),
               "drift_label_rules": ("agent_key", "label_key", "class")}


def _unique(name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows without repeats of their key (the first wins), so joins never double a row."""
    columns = UNIQUE_KEYS.get(name, tuple(SCHEMAS[name].names))
    seen, out = set(), []
    for row in rows:
        key = tuple(row[c] for c in columns)
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def _agent_rows(agent: AgentBaseline, rows: dict[str, list[dict[str, Any]]]) -> None:
    key = agent.agent_id.lower()
    hours: BusinessHours | None = agent.limits.business_hours
    rows["drift_agents"].append({
        "agent_key": key, "agent_id": agent.agent_id, "name": agent.name, "owner": agent.owner,
        "zone": agent.zone, "baseline_line": agent.line,
        "checks_tools": "tools" in agent.specified,
        "checks_sources": "data_sources" in agent.specified,
        "checks_labels": bool(agent.labels.allowed),
        "checks_actions": "actions" in agent.specified,
        "checks_versions": "versions" in agent.specified,
        "volume_factor": agent.limits.volume_factor,
        "max_per_minute": agent.limits.max_actions_per_minute,
        "max_notify_per_hour": agent.limits.max_notifications_per_hour,
        "hours_tz": hours.tz if hours else None,
        "hours_from": BusinessHours.minutes(hours.start) if hours else None,
        "hours_to": BusinessHours.minutes(hours.end) if hours else None})
    for grant in agent.tools:
        for op in grant.operations:
            rows["drift_allowed_tools"].append(
                {"agent_key": key, "tool_key": grant.name.lower(), "operation": op})
    for pattern in agent.data_sources:
        rows["drift_allowed_sources"].append(
            {"agent_key": key, "pattern": pattern, "regex": glob_regex(pattern)})
    rows["drift_label_rules"].extend(_label_rows(agent, key))
    for action in agent.actions:
        rows["drift_allowed_actions"].append({"agent_key": key, "action_key": action.lower()})
    for day in hours.days if hours else ():
        rows["drift_business_days"].append({"agent_key": key, "dow": day})
    for version in agent.versions:
        rows["drift_versions"].append(
            {"agent_key": key, "version": version.version, "ticket": version.ticket})


def _label_rows(agent: AgentBaseline, key: str) -> list[dict[str, Any]]:
    """A row per way a label may be written (its name, or a GUID that names maps to it)."""
    labels = agent.labels
    guids: dict[str, list[str]] = {}
    out = []
    for guid, display in sorted(labels.names.items()):
        guids.setdefault(display.lower(), []).append(guid.lower())
        out.append({"agent_key": key, "label_key": guid.lower(), "display": display,
                    "class": "name"})
    for klass, names in (("prohibited", labels.prohibited), ("allowed", labels.allowed)):
        for name in names:
            for spelling in [name.lower(), *guids.get(name.lower(), [])]:
                out.append({"agent_key": key, "label_key": spelling, "display": name,
                            "class": klass})
    return out
