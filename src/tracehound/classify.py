"""Case-type disambiguation (seed 000) and incident type (seed 002) from weighted signals.

Each signal is a fact about the findings and events of a case, with the refs that show it and
a sentence. Signals add weight toward one case type; the heaviest type wins when it is clearly
ahead, otherwise the case is `undetermined` and the verdict names the evidence that is
missing. The weights are data (SIGNAL_WEIGHTS) so they can be reviewed in one place.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from .model import CLOUD_CATEGORIES, EvidenceRef, Event, Finding

AGENT, CLOUD, INJECTION, INSIDER = ("agent-runaway", "cloud-account-compromise",
                                    "prompt-injection", "insider-threat")
UNDETERMINED = "undetermined"
MIN_SCORE = 0.35           # below this the evidence is too thin to lean anywhere
MIN_MARGIN = 0.15          # the winner must be this far ahead of the runner-up
MAX_REFS = 12

SIGNAL_WEIGHTS: dict[str, tuple[str, float]] = {
    "mcp-graph": (AGENT, 0.15),
    "agent-persistence": (AGENT, 0.2),
    "agent-divergence": (AGENT, 0.25),
    "schedule-while-deployer-offline": (AGENT, 0.2),
    "single-agent-session": (AGENT, 0.1),
    "unattended-high-impact": (AGENT, 0.1),
    "tenant-wide-consent": (CLOUD, 0.3),
    "mail-rule-tampering": (CLOUD, 0.25),
    "spread-across-users": (CLOUD, 0.25),
    "credential-then-iam-escalation": (CLOUD, 0.25),
    "identity-anomalies": (CLOUD, 0.15),
    "instructions-in-tool-output": (INJECTION, 0.75),
    "human-approved-or-performed": (INSIDER, 0.45),
}
AGENT_SOURCES = ("agent:", "mcp:")
CLOUD_ESCALATION_CATEGORIES = ("role-assignment", "rbac-change")


@dataclass(frozen=True)
class Signal:
    name: str
    sentence: str
    refs: tuple[EvidenceRef, ...]

    @property
    def case_type(self) -> str:
        return SIGNAL_WEIGHTS[self.name][0]

    @property
    def weight(self) -> float:
        return SIGNAL_WEIGHTS[self.name][1]

    def to_json(self) -> dict[str, Any]:
        return {"signal": self.name, "case_type": self.case_type, "weight": self.weight,
                "sentence": self.sentence,
                "refs": [r.to_json() for r in sorted(set(self.refs))[:MAX_REFS]]}


def _refs(findings: Iterable[Finding]) -> tuple[EvidenceRef, ...]:
    return tuple(sorted({r for f in findings for r in f.refs}))


def _by_category(findings: Sequence[Finding], *categories: str) -> list[Finding]:
    return [f for f in findings if f.category in categories]


def _agent_signals(findings: Sequence[Finding], events: Sequence[Event],
                   graphs: Sequence[dict], traces: Sequence[dict]) -> Iterable[Signal]:
    agent_runtime = any(e.source.startswith(AGENT_SOURCES) for e in events)
    mcp_refs = tuple(e.ref for e in events if e.source.startswith("mcp:")
                     or e.source == "agent:mcp_node")
    if any(g.get("kind") == "mcp-call-graph" for g in graphs) and mcp_refs:
        yield Signal("mcp-graph", "An MCP tool-call graph was reconstructed for the agent "
                     "session.", mcp_refs[:MAX_REFS])
    persistence = [f for f in _by_category(findings, "persistence") if agent_runtime]
    if persistence:
        yield Signal("agent-persistence", f"{len(persistence)} persistence mechanism(s) were "
                     "installed from the agent runtime.", _refs(persistence))
    divergent = _by_category(findings, "prompt-action-divergence", "scope-creep")
    if divergent and agent_runtime:
        steps = sorted({f.step for f in divergent if f.step is not None})
        yield Signal("agent-divergence", f"Actions left the agent's stated or deployed scope "
                     f"at step(s) {', '.join(map(str, steps)) or 'unknown'}.", _refs(divergent))
    offline = [e for e in events if e.source == "agent:approval"
               and str(e.attrs.get("deployer_status", "")).lower() == "offline"]
    if persistence and offline:
        yield Signal("schedule-while-deployer-offline", "The schedule was added by the agent "
                     "runtime while the deploying operator was recorded offline.",
                     _refs(persistence) + tuple(e.ref for e in offline[:3]))
    sessions = [t for t in traces if t.get("steps")]
    if len(sessions) == 1 and len(sessions[0]["steps"]) >= 3:
        steps = sessions[0]["steps"]
        refs = tuple(EvidenceRef(**r) for s in steps[:1] + steps[-1:] for r in s["refs"])
        yield Signal("single-agent-session", f"The tool-call ledger is anchored to one agent "
                     f"session ({len(steps)} steps).", refs)
    unattended = _by_category(findings, "unattended-action")
    if unattended:
        yield Signal("unattended-high-impact", f"{len(unattended)} high-impact step(s) ran "
                     "with no human approver.", _refs(unattended))


def _cloud_signals(findings: Sequence[Finding], has_agent: bool) -> Iterable[Signal]:
    consent = [f for f in _by_category(findings, "oauth-consent")
               if "allprincipals" in (f.statement + str(f.details)).lower()
               or "tenant-wide" in (f.statement + f.title).lower()]
    if consent:
        yield Signal("tenant-wide-consent", "A third-party application was granted "
                     "tenant-wide consent.", _refs(consent))
    mail = _by_category(findings, "transport-rule", "inbox-rule", "mail-forwarding")
    if mail:
        yield Signal("mail-rule-tampering", f"{len(mail)} mail rule or forwarding change(s) "
                     "were made.", _refs(mail))
    cloud = _by_category(findings, *CLOUD_CATEGORIES)
    actors = {f.actor.lower() for f in cloud if f.actor}
    if len(actors) >= 3 and not has_agent:
        yield Signal("spread-across-users", f"Suspicious activity spans {len(actors)} accounts "
                     "with no agent trace or MCP record in the evidence.", _refs(cloud))
    escalation = _by_category(findings, *CLOUD_ESCALATION_CATEGORIES)
    keys = [f for f in escalation if "access key" in f.statement.lower()]
    leaked = _by_category(findings, "credential-exposure") + keys
    # a new access key is the credential half only; the escalation half is a further grant
    escalated = len(keys) < len(escalation)
    if escalated and leaked and not has_agent:
        yield Signal("credential-then-iam-escalation", "A credential was exposed or created "
                     "and IAM privileges were escalated, with no agent runtime in the path.",
                     _refs(escalation + leaked))
    identity = _by_category(findings, "anomalous-signin", "mfa-change")
    if identity:
        yield Signal("identity-anomalies", f"{len(identity)} sign-in or MFA anomaly(ies) were "
                     "found.", _refs(identity))


def _injection_and_insider(findings: Sequence[Finding], events: Sequence[Event]
                           ) -> Iterable[Signal]:
    injected = _by_category(findings, "prompt-injection-indicator")
    if injected:
        yield Signal("instructions-in-tool-output", "Instructions inside tool output or "
                     "retrieved content were carried out by the agent.", _refs(injected))
    risky = {(f.session, f.step) for f in findings if f.step is not None and f.category in
             ("scope-creep", "prompt-action-divergence", "exfiltration", "persistence")}
    approved = [e for e in events if e.approver and (e.session, e.step) in risky]
    humans = [e for e in events if e.actor_kind == "human" and e.source.startswith("agent:")
              and e.action_class in ("egress", "delete", "permission-change", "persistence")]
    if approved or humans:
        refs = tuple(e.ref for e in approved + humans)
        yield Signal("human-approved-or-performed", "A human principal approved or performed "
                     "the out-of-scope actions.", refs[:MAX_REFS])


def collect_signals(findings: Sequence[Finding], events: Sequence[Event],
                    graphs: Sequence[dict], traces: Sequence[dict]) -> list[Signal]:
    has_agent = any(e.source.startswith(AGENT_SOURCES) for e in events)
    signals = [*_agent_signals(findings, events, graphs, traces),
               *_cloud_signals(findings, has_agent),
               *_injection_and_insider(findings, events)]
    return sorted(signals, key=lambda s: (-s.weight, s.name))


def incident_type(case_type: str, findings: Sequence[Finding]) -> str:
    """Seed 002's three agent incident types; `none` when the case is not an agent incident."""
    categories = Counter(f.category for f in findings)
    if categories["runtime-escape-indicator"]:
        return "runtime-escape"
    if categories["prompt-injection-indicator"] or case_type == INJECTION:
        return "reasoning-compromise"
    if case_type in (AGENT, INSIDER) and (categories["over-privileged-grant"]
                                         or categories["scope-creep"]
                                         or categories["prompt-action-divergence"]
                                         or categories["exfiltration"]):
        return "privilege-escape"
    return "none"


MISSING_HINTS = (
    ("agent:tool_call", "an agent tool-call trace for the session"),
    ("mcp:", "MCP client/server logs for the session window"),
    ("agent:grant", "the IAM role / OAuth grants held by the agent principal"),
    ("aws:cloudtrail", "cloud audit logs (CloudTrail / Azure activity) for the window"),
    ("m365:", "the tenant's unified audit log"),
    ("entra:", "sign-in logs for the affected accounts"),
)


def _missing(events: Sequence[Event]) -> list[str]:
    sources = {e.source for e in events}
    return [hint for prefix, hint in MISSING_HINTS
            if not any(s.startswith(prefix) for s in sources)]


def classify(findings: Sequence[Finding], events: Sequence[Event], graphs: Sequence[dict],
             traces: Sequence[dict]) -> dict[str, Any]:
    signals = collect_signals(findings, events, graphs, traces)
    scores: Counter[str] = Counter()
    for signal in signals:
        scores[signal.case_type] += signal.weight
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    top, top_score = ranked[0] if ranked else (UNDETERMINED, 0.0)
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    decided = top_score >= MIN_SCORE and top_score - second >= MIN_MARGIN
    case_type = top if decided else UNDETERMINED
    confidence = 0.0
    if decided:
        confidence = round(min(0.99, top_score) * (0.6 + 0.4 * (top_score - second) / top_score),
                           2)
    mine = [s for s in signals if s.case_type == case_type]
    if decided:
        explanation = (f"Lean toward {case_type} because: "
                       + "; ".join(s.sentence.rstrip(".") for s in mine) + ".")
    else:
        explanation = _undetermined_text(ranked, events)
    return {
        "case_type": case_type,
        "confidence": confidence,
        "incident_type": incident_type(case_type, findings),
        "explanation": explanation,
        "scores": {k: round(v, 2) for k, v in sorted(scores.items())},
        "signals": [s.to_json() for s in signals],
        "missing_evidence": _missing(events) if not decided else [],
    }


def _undetermined_text(ranked: list[tuple[str, float]], events: Sequence[Event]) -> str:
    if not ranked:
        lead = "No signal toward any case type was found in the evidence."
    else:
        shown = ", ".join(f"{k} {v:.2f}" for k, v in ranked[:3])
        lead = f"The signals are too thin or too evenly split to lean either way ({shown})."
    missing = _missing(events)
    if missing:
        lead += " Missing: " + "; ".join(missing) + "."
    return lead
