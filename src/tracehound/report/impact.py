"""What the agent could use and what it touched: credentials and grants, data and egress,
approvals, persistence. Each function reads findings (by category) and the events they cite;
the sentences name counts and values found, and say plainly when an export was not supplied.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..model import HIGH_IMPACT_CLASSES as HIGH_IMPACT, Event
from .citations import Citations
from .facts import byte_text, cited_events, first_of

DATA_KEYS = ("data_category", "data_categories", "category_label", "label", "labels",
             "sensitivity", "target_label")
BYTE_KEYS = ("bytes_out", "egress_bytes", "bytes")
MAX_LISTED = 400


def _of(numbered: Sequence[Mapping[str, Any]], *categories: str) -> list[Mapping[str, Any]]:
    return [f for f in numbered if f["category"] in categories]


def _ref_list(findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"number": f["number"], "anchor": f["anchor"]} for f in findings]


def _details(finding: Mapping[str, Any]) -> Mapping[str, Any]:
    details = finding.get("details")
    return details if isinstance(details, Mapping) else {}


def _principal(value: Any) -> str | None:
    """A principal as text; a structured credential record gives its ARN or name."""
    if isinstance(value, Mapping):
        value = first_of([value.get(k) for k in ("principal_arn", "arn", "principal",
                                                   "role_arn", "role", "name")])
    return str(value) if value not in (None, "") else None


def credentials(numbered: Sequence[Mapping[str, Any]], events: Sequence[Event],
                traces: Sequence[Mapping[str, Any]], cite: Citations) -> dict[str, Any]:
    """Which principal the agent used and whether its grants exceed the written intent."""
    over = _of(numbered, "over-privileged-grant")
    exposed = _of(numbered, "credential-exposure")
    grants = sorted((e for e in events if e.source == "agent:grant"),
                    key=lambda e: (str(e.attrs.get("principal") or e.actor_id or ""), e.ref))
    found: list[Any] = []
    for event in events:
        if event.source in ("agent:credential_use", "agent:tool_call", "agent:config"):
            found.append(event.attrs.get("credential"))
        if event.source == "agent:grant":
            found.append(event.attrs.get("role_name") or event.attrs.get("principal")
                         or event.actor_id)
    found += [_details(finding).get("principal") for finding in over + exposed]
    found += [row.get("credential") for t in traces for row in t["rows"]]
    principals = {name for name in map(_principal, found) if name}
    rows = [{"principal": g.attrs.get("principal") or g.actor_id,
             "role": g.attrs.get("role_name"), "kind": g.attrs.get("grant_kind"),
             "permissions": [str(p) for p in g.attrs.get("permissions") or ()],
             "resources": [str(r) for r in g.attrs.get("resources") or ()] or
             ([g.target_id] if g.target_id else []),
             "effect": g.attrs.get("effect"), "intended": g.attrs.get("intended"),
             "links": cite.cite([g.ref.to_json()])} for g in grants[:MAX_LISTED]]
    if over:
        verdict = (f"Yes: {len(over)} finding(s) show a grant to the agent's principal that "
                   "goes beyond the written intent.")
    elif grants:
        verdict = ("No grant beyond the written intent was found in the supplied grant and "
                   "policy exports.")
    else:
        verdict = ("Not assessed: no IAM policy, trust policy or OAuth grant export was "
                   "supplied.")
    return {"principals": sorted(principals)[:MAX_LISTED], "grants": rows,
            "exceeded": bool(over), "verdict": verdict, "over": _ref_list(over),
            "exposed": _ref_list(exposed),
            "beyond_intent": sorted({p for r in rows if r["intended"] is False
                                     for p in r["permissions"]}),
            "within_intent": sorted({p for r in rows if r["intended"] is True
                                     for p in r["permissions"]})}


def _bytes_of(finding: Mapping[str, Any], cited: Sequence[Event]) -> int | None:
    details = _details(finding)
    for key in BYTE_KEYS:
        if isinstance(details.get(key), int):
            return details[key]
    counts = [e.bytes_out for e in cited if e.bytes_out is not None]
    return sum(counts) if counts else None


def _labels(finding: Mapping[str, Any], cited: Sequence[Event]) -> list[str]:
    found = set()
    details = _details(finding)
    for key in DATA_KEYS:
        value = details.get(key)
        if isinstance(value, str) and value:
            found.add(value)
        elif isinstance(value, (list, tuple)):
            found.update(str(v) for v in value if v)
    found.update(e.target_label for e in cited if e.target_label)
    return sorted(found)


def data_and_egress(numbered: Sequence[Mapping[str, Any]], events: Sequence[Event],
                    lookup: Mapping[tuple[str, str], Event]) -> dict[str, Any]:
    """Data categories touched and bytes sent out, per exfiltration finding and in sum."""
    rows = []
    for finding in _of(numbered, "exfiltration"):
        cited = cited_events(finding, lookup)
        details = _details(finding)
        rows.append({"number": finding["number"], "anchor": finding["anchor"],
                     "time": finding.get("time"), "step": finding.get("step"),
                     "object": first_of([details.get("object_key"), details.get("object"),
                                         finding.get("target")]
                                        + [e.attrs.get("object_key") for e in cited]
                                        + [e.target_id for e in cited]),
                     "destination": first_of([details.get("destination"),
                                              details.get("dest_host"), details.get("remote")]
                                             + [e.attrs.get("dest_host") for e in cited]
                                             + [e.attrs.get("url") for e in cited]),
                     "bytes": _bytes_of(finding, cited), "labels": _labels(finding, cited)})
    touched = sorted({e.target_label for e in events if e.target_label
                      and e.source.startswith(("agent:", "mcp:"))
                      and e.action_class in ("read", "egress", "list")}
                     | {label for row in rows for label in row["labels"]})
    network = [e for e in events if e.source == "agent:network" and e.bytes_out is not None]
    counted = [r["bytes"] for r in rows if r["bytes"] is not None]
    objects = sorted({str(r["object"]) for r in rows if r.get("object")})
    return {"rows": rows, "categories": touched, "objects": objects,
            "finding_bytes": sum(counted) if counted else None,
            "finding_bytes_text": byte_text(sum(counted)) if counted else None,
            "network_records": len(network),
            "network_bytes_text": byte_text(sum(e.bytes_out for e in network))
            if network else None}


def approvals(doc: Mapping[str, Any], traces: Sequence[Mapping[str, Any]],
              numbered: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Steps with no approver on record, the high-impact ones first; approvers that exist."""
    unapproved, approved = [], []
    total = 0
    for trace in traces:
        for row in trace["rows"]:
            total += 1
            entry = {"session": trace["session"], "index": row.get("index"),
                     "anchor": row["anchor"] if row["shown"] else None,
                     "time": row.get("time"), "tool": row.get("tool"),
                     "target": row.get("target"), "phase": row["phase"],
                     "action_class": row.get("action_class"), "approver": row.get("approver"),
                     "links": row["links"],
                     # a row of the printed step table too (shown, and not a plain step)
                     "printed_row": row["shown"] and not row.get("plain")}
            if row.get("approver"):
                approved.append(entry)
            elif row.get("action_class") in HIGH_IMPACT or row["phase"] in (
                    "scope creep", "exfiltration", "persistence"):
                unapproved.append(entry)
    unattended = _of(numbered, "unattended-action")
    null_count = sum(1 for t in traces for r in t["rows"] if not r.get("approver"))
    return {"steps": total, "null_count": null_count, "unapproved": unapproved[:MAX_LISTED],
            "unapproved_total": len(unapproved), "approved": approved[:MAX_LISTED],
            "unattended": _ref_list(unattended)}


def persistence(numbered: Sequence[Mapping[str, Any]], events: Sequence[Event],
                lookup: Mapping[tuple[str, str], Event]) -> list[dict[str, Any]]:
    """Each persistence finding with the mechanism, target and schedule the evidence names."""
    rows = []
    for finding in _of(numbered, "persistence"):
        cited = cited_events(finding, lookup)
        details = _details(finding)
        attrs = [e.attrs for e in cited]
        rows.append({"number": finding["number"], "anchor": finding["anchor"],
                     "time": finding.get("time"), "step": finding.get("step"),
                     "target": first_of([finding.get("target")] + [e.target_id for e in cited]),
                     "mechanism": first_of([details.get("mechanism")]
                                           + [a.get("mechanism") for a in attrs]),
                     "schedule": first_of([details.get("schedule_expression"),
                                           details.get("schedule")]
                                          + [a.get("schedule_expression") for a in attrs]),
                     "installed_via": first_of([details.get("installed_via")]
                                               + [a.get("installed_via") for a in attrs]
                                               + [e.action for e in cited
                                                  if e.source == "agent:tool_call"]),
                     "statement": finding.get("statement")})
    return rows
