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


def _sources_and_window(events: Sequence[Event]) -> tuple[dict[str, set[str]], str]:
    """In one pass: the sha256 of the files each event source came from, and the session
    window of the tool calls (" for session s-1 (start to end)", or "" without calls)."""
    shas: dict[str, set[str]] = {}
    last_source = last_sha = None
    start = end = None
    sessions: set[str] = set()
    for event in events:
        source, sha = event.source, event.ref.sha256
        if source is not last_source or sha is not last_sha:     # runs of one file and source
            shas.setdefault(source, set()).add(sha)
            last_source, last_sha = source, sha
        if source == "agent:tool_call" and event.time:
            time = event.time
            start = time if start is None or time < start else start
            end = time if end is None or time > end else end
            if event.session:
                sessions.add(event.session)
    if start is None:
        return shas, ""
    who = f" for session {next(iter(sessions))}" if len(sessions) == 1 else ""
    return shas, f"{who} ({start} to {end})"


def checklist(events: Sequence[Event], evidence: Sequence[EvidenceFile]) -> dict[str, Any]:
    by_sha = {e.sha256: e.path for e in evidence}
    shas, window = _sources_and_window(events)
    supplied, missing = [], []
    for artifact, prefixes in ARTIFACTS:
        files = sorted({by_sha.get(sha, sha) for source, found in shas.items()
                        if source.startswith(prefixes) for sha in found})
        if files:
            supplied.append({"artifact": artifact, "evidence": files})
        else:
            missing.append({"artifact": artifact, "note": f"none supplied{window}"})
    return {"supplied": supplied, "missing": missing}
