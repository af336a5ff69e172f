"""The NIST SP 800-61 phase runbook for each agent incident type (seed 002), in our words.

Data only: one row per phase per incident type, the containment rung, and who owns
eradication. `runbook_for` picks the rows for a classified case.
"""

from __future__ import annotations

from typing import Any, Sequence

PHASES = ("detect", "analyze", "contain", "eradicate", "recover", "post-incident")

RUNBOOKS: dict[str, dict[str, Any]] = {
    "runtime-escape": {
        "phases": (
            "Watch kernel-level signals: namespace switches, mounts, capability use.",
            "Trace process lineage from the agent workload and review its neighbours.",
            "Isolate the workload from its node and network.",
            "Rebuild the image and tighten the sandbox profile.",
            "Redeploy from a known-clean image.",
            "Update the sandbox policy with what this escape used.",
        ),
        "containment_rung": "kill",
        "eradication_owner": "security and platform",
    },
    "privilege-escape": {
        "phases": (
            "Compare the auth-plane activity of the agent identity with its baseline scope.",
            "Follow the identity events and the delegation graph of the credentials it held.",
            "Revoke the excess permissions and freeze the agent's credentials.",
            "Audit every grant on the agent principal and rotate its credentials.",
            "Grant back only the least-privilege scope the task needs.",
            "Update the access-grant policy so the excess grant cannot recur.",
        ),
        "containment_rung": "soft-quarantine",
        "eradication_owner": "platform and IAM",
    },
    "reasoning-compromise": {
        "phases": (
            "Look for anomalies in prompt context and assemble the chain of tool calls.",
            "Trace where the context came from: retrieved documents, tool catalog, inputs.",
            "Soft-quarantine the agent and pin the corpus it reads from.",
            "Quarantine the poisoned sources, audit prompt provenance, review the tool catalog.",
            "Rebuild the behavioural baseline in a clean staging environment.",
            "Update the per-agent profile and the governance of its corpus.",
        ),
        "containment_rung": "soft-quarantine",
        "eradication_owner": "AI engineering (corpus, tool catalog), platform (input channels) "
                             "and security (threat model)",
    },
}


def runbook_for(incident_type: str, finding_categories: Sequence[str]) -> dict[str, Any] | None:
    entry = RUNBOOKS.get(incident_type)
    if entry is None:
        return None
    rung = entry["containment_rung"]
    why = "the default rung for this incident type"
    if "persistence" in finding_categories and rung != "kill":
        rung = "kill"
        why = ("the agent installed persistence, so its schedule and worker must be stopped, "
               "not only severed from external reach")
    return {
        "incident_type": incident_type,
        "phases": [{"phase": p, "action": a} for p, a in zip(PHASES, entry["phases"])],
        "containment_rung": rung,
        "containment_reason": why,
        "eradication_owner": entry["eradication_owner"],
    }
