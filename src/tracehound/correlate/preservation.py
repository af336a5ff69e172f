"""Preservation checklist (seed 001, "the first 10 minutes"): which artifacts were supplied.

Each artifact the seed asks a responder to preserve is matched to the event sources that
show it was handed over. What is missing is named plainly, with the session window when one
is known ("none supplied for session s-1 (…14:00:00Z to …14:08:30Z)").
"""

from __future__ import annotations

from typing import Any, Sequence

from ..model import EvidenceFile, Event

# (artifact, event source prefixes that count as supplying it)
ARTIFACTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("agent tool-call trace for the session", ("agent:tool_call",)),
    ("MCP server logs for the session window", ("mcp:", "agent:mcp_node")),
    ("OAuth consent grants and IAM role / trust policies of the agent principal",
     ("agent:grant", "oauth:")),
    ("agent runtime config snapshot (model id, tool allowlist, deployed prompt version)",
     ("agent:config",)),
    ("cloud audit log for the agent identity (CloudTrail / Azure activity / GCP audit)",
     ("aws:cloudtrail", "azure:activity", "gcp:")),
    ("vendor admin audit (Copilot / Claude / Gemini workspace exports, if the agent ran there)",
     ("copilot:", "m365:", "entra:")),
    ("intent summaries or prompt-vs-action records", ("agent:intent", "agent:prompt")),
    ("accountability / approval records", ("agent:approval",)),
    ("agent network / egress log", ("agent:network",)),
    ("persistence and system state exports", ("agent:persistence",)),
)


def _window(events: Sequence[Event]) -> str:
    calls = [e for e in events if e.source == "agent:tool_call" and e.time]
    if not calls:
        return ""
    sessions = sorted({e.session for e in calls if e.session})
    start, end = min(e.time for e in calls), max(e.time for e in calls)
    who = f" for session {sessions[0]}" if len(sessions) == 1 else ""
    return f"{who} ({start} to {end})"


def checklist(events: Sequence[Event], evidence: Sequence[EvidenceFile]) -> dict[str, Any]:
    by_sha = {e.sha256: e.path for e in evidence}
    window = _window(events)
    supplied, missing = [], []
    for artifact, prefixes in ARTIFACTS:
        files = sorted({by_sha.get(e.ref.sha256, e.ref.sha256) for e in events
                        if e.source.startswith(prefixes)})
        if files:
            supplied.append({"artifact": artifact, "evidence": files})
        else:
            missing.append({"artifact": artifact, "note": f"none supplied{window}"})
    return {"supplied": supplied, "missing": missing}
