"""Drift rows -> Findings: the wording of each detection lives here, beside its titles.

One finding per (detection, kind, agent, subject): the first time a tool, a data scope, a
labelled resource or a version was seen, or one agent-week of a soft signal. Its refs are the
first evidence rows in time order (`drift_max_refs` of them; details.occurrences counts all).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Mapping

from ..baseline import AgentBaseline, Baseline
from ..model import EvidenceRef, Finding
from . import escalation
from .run import HIT_KEY, DriftResult

RULES = {
    "D1": ("TH-DRIFT-NEW-TOOL", "drift-new-tool"),
    "D2": ("TH-DRIFT-NEW-DATA-SCOPE", "drift-new-data-scope"),
    "D3": ("TH-DRIFT-LABEL-BREACH", "drift-label-breach"),
    "D4": ("TH-DRIFT-VOLUME", "drift-volume"),
    "D5": ("TH-DRIFT-POLICY-HIT-RATE", "drift-policy-hit-rate"),
    "D6": ("TH-DRIFT-VERSION-CHANGE", "drift-version-change"),
}
TITLES = {
    ("D1", "tool"): "Agent used a tool outside its allowlist",
    ("D1", "operation"): "Agent used a tool operation its allowlist does not grant",
    ("D1", "action"): "Agent took an action outside its envelope",
    ("D2", "scope"): "Agent accessed a data scope outside its allowlist",
    ("D3", "prohibited-label"): "Agent reached content with a prohibited sensitivity label",
    ("D3", "policy-block"): "Policy blocked or restricted the agent's access",
    ("D3", "label-not-allowed"): "Agent reached content with a label outside its allowed set",
    ("D4", "weekly-volume"): "Weekly activity above the agent's volume bound",
    ("D4", "rate-minute"): "Actions per minute above the agent's limit",
    ("D4", "notify-hour"): "Notifications per hour above the agent's limit",
    ("D4", "off-hours"): "Activity outside the agent's business hours",
    ("D5", "policy-hit-rate"): "Rising policy hit rate",
    ("D6", "unlisted-version"): "Agent version not in the baseline",
    ("D6", "no-ticket"): "Agent version without an approved change ticket",
}
# The sentence of each hard-signal kind; evidence values arrive quoted (see quoted()).
HARD_STATEMENTS = {
    "tool": "{who} used tool {subject}, which its baseline does not allow ({times}).",
    "operation": ("{who} used tool {subject} with operation {detail}; its baseline allows "
                  "only {operations} ({times})."),
    "action": ("{who} took {subject} actions, outside its action envelope ({actions}) "
               "({times})."),
    "scope": "{who} accessed {subject}, which matches none of its data_sources patterns ({times}).",
    "prohibited-label": ("{who} accessed {subject}, labelled {detail}, a label its baseline "
                         "prohibits ({times}; blocked {blocked} of {occurrences})."),
    "policy-block": ("Policy {detail} blocked or restricted the access of agent {agent} to "
                     "{subject} ({times})."),
    "label-not-allowed": ("{who} accessed {subject}, labelled {detail}, outside its allowed "
                          "labels ({allowed}) ({times})."),
    "unlisted-version": ("{who} ran as version {subject}, which its baseline does not list "
                         "({times})."),
    "no-ticket": ("{who} ran as version {subject}, which its baseline lists without an approved "
                  "change ticket ({times})."),
}
MEASURES = {
    "weekly-volume": ("actions", "volume_factor", "prior_median", "prior_weeks"),
    "rate-minute": ("peak_per_minute", "limit", "minutes_over"),
    "notify-hour": ("peak_per_hour", "limit", "hours_over"),
    "off-hours": (None, "from_minute", "to_minute"),
    "policy-hit-rate": ("hits", "actions", "previous_hits", "previous_actions"),
}
MAX_TEXT = 200


def quoted(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…")


def _times(hit: Mapping[str, Any]) -> str:
    n = hit["occurrences"]
    return f"{n} time{'s' if n != 1 else ''}, first {hit['first_ts']}"


def _clock(minutes: float | None) -> str:
    value = int(minutes or 0)
    return f"{value // 60:02d}:{value % 60:02d}"


def statement(hit: Mapping[str, Any], agent: AgentBaseline, m: Mapping[str, Any]) -> str:
    """One sentence stating what the evidence shows; evidence text is quoted and shortened."""
    if hit["rule"] in ("D4", "D5"):
        return _soft_statement(hit, agent, m)
    return _hard_statement(hit, agent)


def _hard_statement(hit: Mapping[str, Any], agent: AgentBaseline) -> str:
    operations = next((", ".join(t.operations) for t in agent.tools
                       if t.name.lower() == str(hit["subject"]).lower()), "")
    return HARD_STATEMENTS[hit["kind"]].format(
        who=f"Agent {agent.agent_id}", agent=agent.agent_id, times=_times(hit),
        subject=quoted(hit["subject"]), detail=quoted(hit["detail"]),
        blocked=hit["blocked"], occurrences=hit["occurrences"], operations=operations,
        actions=", ".join(agent.actions) or "none", allowed=", ".join(agent.labels.allowed))


def _soft_statement(hit: Mapping[str, Any], agent: AgentBaseline, m: Mapping[str, Any]) -> str:
    kind, who, week = hit["kind"], f"Agent {agent.agent_id}", hit["subject"]
    if kind == "weekly-volume":
        return (f"{who} took {int(m['actions'])} actions in the week of {week}, more than "
                f"{m['volume_factor']:g} x the median {m['prior_median']:g} of its "
                f"{int(m['prior_weeks'])} prior active weeks.")
    if kind in ("rate-minute", "notify-hour"):
        unit = "minute" if kind == "rate-minute" else "hour"
        what = "actions" if kind == "rate-minute" else "notifications"
        over = int(m[f"{unit}s_over"])
        return (f"{who} exceeded its limit of {int(m['limit'])} {what} per {unit} in {over} "
                f"{unit}{'s' if over != 1 else ''} of the week of {week} (peak "
                f"{int(m[f'peak_per_{unit}'])}).")
    if kind == "off-hours":
        hours = agent.limits.business_hours
        window = (f"{_clock(m['from_minute'])}-{_clock(m['to_minute'])} {hours.tz}"
                  if hours else "business hours")
        return (f"{who} took {hit['occurrences']} actions outside business hours ({window}) "
                f"in the week of {week}.")
    now = m["hits"] / m["actions"] if m["actions"] else 0.0
    before = m["previous_hits"] / m["previous_actions"] if m["previous_actions"] else 0.0
    return (f"{who}'s actions that hit a policy rose to {int(m['hits'])} of "
            f"{int(m['actions'])} ({now:.0%}) in the week of {week}, from "
            f"{int(m['previous_hits'])} of {int(m['previous_actions'])} ({before:.0%}) "
            f"the week before.")


def _group(rows: Iterable[Mapping[str, Any]]) -> dict[tuple, list[Mapping[str, Any]]]:
    grouped: dict[tuple, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[tuple(row[k] for k in HIT_KEY)].append(row)
    return grouped


def measures(hit: Mapping[str, Any]) -> dict[str, Any]:
    names = MEASURES.get(hit["kind"], ())
    values = (hit["m1"], hit["m2"], hit["m3"], hit["m4"])
    return {name: value for name, value in zip(names, values) if name}


def build_findings(result: DriftResult, baseline: Baseline, engine_version: str,
                   tool: str = "drift") -> list[Finding]:
    refs, links = _group(result.refs), _group(result.links)
    out = []
    for hit in result.hits:
        agent = baseline.agent(hit["agent_key"])
        if agent is None:
            continue
        key = tuple(hit[k] for k in HIT_KEY)
        out.append(_finding(hit, agent, baseline, refs.get(key, []),
                            (links.get(key) or [None])[0], engine_version, tool))
    return sorted(out, key=Finding.sort_key)


def _finding(hit: Mapping[str, Any], agent: AgentBaseline, baseline: Baseline,
             ref_rows: list[Mapping[str, Any]], link: Mapping[str, Any] | None,
             engine_version: str, tool: str) -> Finding:
    rule, kind = hit["rule"], hit["kind"]
    rule_id, category = RULES[rule]
    ordered = sorted(ref_rows, key=lambda r: r["seq"])
    audit = next(({"sha256": r["sha256"], "locator": r["locator"]} for r in ordered
                  if r["decision_id"] is None), None)
    entry = escalation.entry(rule, kind, agent, baseline, audit, link)
    found = measures(hit)
    details: dict[str, Any] = {
        "detection": rule, "kind": kind, "signal": entry["signal"],
        "subject": hit["subject"], "detail": hit["detail"] or None, "week": hit["week"],
        "first_seen": hit["first_ts"], "last_seen": hit["last_ts"],
        "occurrences": hit["occurrences"], "events": hit["events"], "blocked": hit["blocked"],
        "measures": found, "agent": {"id": agent.agent_id, "name": agent.name,
                                     "owner": agent.owner, "zone": agent.zone},
        "items": sorted({r["item"] for r in ordered if r["item"]}),
        "escalation": entry,
        "enforcement": escalation.enforcement(rule, kind, hit["subject"], hit["detail"],
                                              hit["blocked"] < hit["occurrences"]),
        "scope": "baseline",
    }
    return Finding(
        rule=rule_id, tool=tool, category=category,
        severity=escalation.FINDING_SEVERITY[entry["severity"]],
        title=TITLES[(rule, kind)], statement=statement(hit, agent, found),
        refs=tuple(EvidenceRef(r["sha256"], r["locator"]) for r in ordered),
        time=hit["first_ts"], actor=agent.agent_id, target=hit["subject"],
        engine_version=engine_version, details=details,
        key="|".join(str(hit[k]) for k in HIT_KEY[1:]))

