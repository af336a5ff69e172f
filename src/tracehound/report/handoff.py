"""Hand-off notes for the four teams an agent incident reaches: platform / SRE, security / IR,
privacy / counsel and vendor support. Each item is filled from the case's facts; an item with
nothing behind it says that the supplied evidence does not show it.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .facts import instant

NOT_SHOWN = "not shown by the supplied evidence"


def _item(label: str, text: str, values: Sequence[Any] = (), links: Sequence[Any] = (),
          href: str | None = None) -> dict[str, Any]:
    return {"label": label, "text": text, "values": [str(v) for v in values if v],
            "links": list(links), "href": href}


def _join(values: Sequence[Any]) -> str:
    return ", ".join(str(v) for v in values if v)


def platform(f: Mapping[str, Any]) -> list[dict[str, Any]]:
    creds, aibom = f["credentials"], f.get("aibom") or {}
    agents = sorted({s["agent"] for s in f["sessions"] if s.get("agent")})
    items = [_item("Agent", f"{len(agents)} agent identit(ies) in the trace" if agents
                   else f"agent identity {NOT_SHOWN}", agents + list(aibom.get("models") or ()))]
    if creds["over"]:
        items.append(_item("Grants to revoke or narrow", "Principals whose grants go beyond "
                           "the written intent; revoke or narrow them, then confirm in a fresh "
                           "IAM / OAuth export.", creds["principals"], creds["over"]))
    else:
        items.append(_item("Grants to revoke or narrow", creds["verdict"], creds["principals"]))
    for row in f["persistence"]:
        where = row.get("target") or "the target named in the finding"
        text = (f"Remove the {row.get('mechanism') or 'schedule or trigger'}"
                + (f" ({row['schedule']})" if row.get("schedule") else "")
                + f" the agent set on {where}"
                + (f" through {row['installed_via']}" if row.get("installed_via") else "")
                + (f" at step {row['step']}" if row.get("step") is not None else "")
                + "; restore its previous configuration from change records, then check the "
                  "cloud audit log shows no further invocations.")
        items.append(_item("Undo persistence", text, [where],
                           [{"number": row["number"], "anchor": row["anchor"]}]))
    if not f["persistence"]:
        items.append(_item("Undo persistence", f"persistence {NOT_SHOWN}"))
    if creds["beyond_intent"] or creds["within_intent"]:
        items.append(_item("IAM policy difference", "Permissions granted beyond the written "
                           "intent: " + (_join(creds["beyond_intent"]) or "none") + ". Within "
                           "the intent: " + (_join(creds["within_intent"]) or "none") + ".",
                           href="#credentials"))
    else:
        items.append(_item("IAM policy difference", f"grant statements {NOT_SHOWN}"))
    outside = sorted(set(aibom.get("tools_used") or ()) - set(aibom.get("tools_available") or ()))
    if aibom.get("tools_available") and outside:
        items.append(_item("MCP / tool allowlist", "Tools the agent called that are not on its "
                           "allowlist; remove them from the allowlist or the server.", outside))
    elif aibom.get("tools_available"):
        items.append(_item("MCP / tool allowlist", "Every tool called is on the allowlist "
                           "recorded in the runtime config; narrow the allowlist to the tools "
                           "the task needs.", aibom.get("tools_available") or ()))
    else:
        items.append(_item("MCP / tool allowlist", f"tool allowlist {NOT_SHOWN}"))
    return items


def security(f: Mapping[str, Any]) -> list[dict[str, Any]]:
    steps = sum(s["steps"] for s in f["sessions"])
    items = [_item("Tool-call trace", f"{steps} step(s) in {len(f['sessions'])} session(s), "
                   "step by step in the timeline section." if steps else
                   f"tool-call trace {NOT_SHOWN}", [s["session"] for s in f["sessions"]],
                   href="#steps" if steps else None)]
    data = f["data"]
    objects = [f"{r['object']} ({r['bytes']:,} bytes)" if r.get("bytes") is not None
               else str(r["object"]) for r in data["rows"] if r.get("object")]
    items.append(_item("Exfiltration object keys", f"{len(objects)} object(s) named by "
                       "exfiltration findings." if objects else f"exfiltration {NOT_SHOWN}",
                       objects, [{"number": r["number"], "anchor": r["anchor"]}
                                 for r in data["rows"]]))
    mechanisms = [f"{r.get('mechanism') or 'persistence'} on {r.get('target')}"
                  for r in f["persistence"]]
    items.append(_item("Persistence mechanism", "See the persistence section." if mechanisms
                       else f"persistence {NOT_SHOWN}", mechanisms,
                       href="#persistence" if mechanisms else None))
    window = f.get("window")
    span = f" between {window['start']} and {window['end']}" if window else ""
    items.append(_item("Cloud audit correlation", "Search the cloud audit log (CloudTrail / "
                       f"activity log) for these principals{span}; the execution graph shows "
                       f"{f['cloud_calls']} tool call(s) already joined to a cloud API record.",
                       f["credentials"]["principals"]))
    return items


def privacy(f: Mapping[str, Any]) -> list[dict[str, Any]]:
    data = f["data"]
    if data["categories"]:
        items = [_item("Data categories", "Data categories the records name for what the agent "
                       "read or sent.", data["categories"])]
    else:
        items = [_item("Data categories", "No record labels the data by category; the "
                       "exfiltration findings name these objects." if data["objects"] else
                       f"data categories {NOT_SHOWN}", data["objects"])]
    times = sorted((r["time"] for r in data["rows"] if r.get("time")), key=instant)
    if times:
        text = (f"Earliest recorded egress: {times[0]}; latest: {times[-1]}. Bytes named by "
                f"exfiltration findings: {data['finding_bytes_text'] or 'not recorded'}. "
                "Deadlines, if any, run from dates counsel determines; these are the times "
                "the records show.")
    else:
        text = f"egress times {NOT_SHOWN}"
    items.append(_item("Notification timeline", text))
    items.append(_item("Preservation memo", f"{len(f['evidence'])} file(s) with SHA-256, size "
                       "and format in the preservation log.", href="#preservation"))
    return items


def vendor(f: Mapping[str, Any]) -> list[dict[str, Any]]:
    aibom = f.get("aibom") or {}
    models = list(aibom.get("models") or ()) or [s["model"] for s in f["scope"]
                                                 if s.get("model")]
    items = [_item("Session id", "Quote these in the ticket.", [s["session"]
                                                                 for s in f["sessions"]]),
             _item("Model version", "As recorded by the runtime." if models else
                   f"model version {NOT_SHOWN}", models)]
    spans = f["export_spans"]
    if spans:
        first = min((e["first"] for e in spans), key=instant)
        last = max((e["last"] for e in spans), key=instant)
        text = (f"The records in the {len(spans)} timed export(s) run from {first} to {last}; "
                "the preservation log gives each file's own range"
                + (" and when it was hashed." if f["hashed_times"] else "."))
    else:
        text = f"record times {NOT_SHOWN}"
    items.append(_item("Export time spans", text, href="#preservation"))
    return items


def handoff(facts: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"team": "Platform / SRE", "key": "platform", "items": platform(facts)},
            {"team": "Security / IR", "key": "security", "items": security(facts)},
            {"team": "Privacy / counsel", "key": "privacy", "items": privacy(facts)},
            {"team": "Vendor support", "key": "vendor", "items": vendor(facts)}]
