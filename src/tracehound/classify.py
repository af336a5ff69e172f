"""Case-type disambiguation (seed 000) and incident type (seed 002) from weighted signals.

Only findings above low count, and a signal is driven by findings, named by their rule ids
(never by the wording of a statement, never by the shape of the evidence alone). Each signal
adds its weight toward one case type; the heaviest type wins when it is clearly ahead.

- Nothing above low: `no-incident` (the agent or account did what it was asked), unless the
  evidence is too thin to say so: then `undetermined`, saying why. Thin is: no record
  read at all; steps but no human turn or stated instruction in a
  log that records them (a session log cut short, a sub-agent file alone; an MCP protocol
  log never holds the human's words, so its steps are judged against the default envelope
  and the explanation says the instructions are missing); parse issues on more than a tenth
  of the records. A session with no step is not thin: the agent did not act (it answered the
  human's turns, or the log holds only start-up records and the human's own commands).
- Findings above low but no type clearly ahead: `undetermined`, naming what is missing.
The weights and the rules behind each signal are data (SIGNALS) so they can be reviewed in one
place.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from .model import CLOUD_CATEGORIES, SEVERITY_RANK, EvidenceRef, Event, Finding

AGENT, CLOUD, INJECTION, INSIDER = ("agent-runaway", "cloud-account-compromise",
                                    "prompt-injection", "insider-threat")
UNDETERMINED, NO_INCIDENT = "undetermined", "no-incident"
MIN_SCORE = 0.35           # below this the evidence is too thin to lean anywhere
MIN_MARGIN = 0.15          # the winner must be this far ahead of the runner-up
MAX_REFS = 12
MAX_ISSUE_SHARE = 0.10     # parse issues on more than this share of records: thin evidence
AGENT_SOURCES = ("agent:", "mcp:")
INSTRUCTION_SOURCES = ("agent:instructions", "agent:intent", "agent:config")


@dataclass(frozen=True)
class SignalRule:
    case_type: str
    weight: float
    rules: tuple[str, ...]                      # the finding rules that drive it
    sentence: str                               # "{n}" is the number of findings


SIGNALS: dict[str, SignalRule] = {
    "agent-against-instructions": SignalRule(AGENT, 0.5, ("TH-AGENT-DIVERGENCE",),
        "Agent actions went against what the human said or the stated intent at step(s) "
        "{steps}"),
    "agent-beyond-scope": SignalRule(AGENT, 0.35, ("TH-AGENT-SCOPE-CREEP",),
        "Agent actions went beyond what the human asked and the agent's scope allowed at "
        "step(s) {steps}"),
    "agent-beyond-scope-high": SignalRule(AGENT, 0.45, ("TH-AGENT-SCOPE-CREEP",),
        "Agent actions went beyond what the human asked and the agent's scope allowed, at "
        "high severity, at step(s) {steps}"),
    "agent-persistence": SignalRule(AGENT, 0.2, ("TH-AGENT-PERSISTENCE",),
                                    "{n} persistence mechanism(s) were installed by the agent"),
    "schedule-while-deployer-offline": SignalRule(AGENT, 0.2, ("TH-AGENT-PERSISTENCE",),
        "The schedule was added by the agent runtime while the deploying operator was "
        "recorded offline"),
    "agent-exfiltration": SignalRule(AGENT, 0.15, ("TH-AGENT-EXFILTRATION",),
                                     "{n} transfer(s) out of the agent's reach were found"),
    "mcp-escalation": SignalRule(AGENT, 0.15, ("TH-AGENT-MCP-BRANCH",
                                               "TH-AGENT-MCP-TOOLS-CHANGED"),
                                 "{n} MCP branch(es) or tool-list change(s) left the scope"),
    "unattended-high-impact": SignalRule(AGENT, 0.1, ("TH-AGENT-UNATTENDED",),
                                         "{k} high-impact step(s) ran with no human approver"),
    "agent-over-privileged": SignalRule(AGENT, 0.1, ("TH-AGENT-OVERPRIVILEGED-GRANT",),
                                        "{n} grant(s) held by the agent exceed its intent"),
    "tenant-wide-consent": SignalRule(CLOUD, 0.3, ("TH-M365-OAUTH-CONSENT",
                                                   "TH-OAUTH-SCOPE-RISK"),
                                      "A third-party application was granted tenant-wide "
                                      "consent"),
    "mail-rule-tampering": SignalRule(CLOUD, 0.25, (
        "TH-M365-INBOX-RULE", "TH-M365-MAIL-FORWARDING", "TH-M365-TRANSPORT-RULE"),
        "{n} mail rule or forwarding change(s) were made"),
    "spread-across-users": SignalRule(CLOUD, 0.25, (),
                                      "Suspicious cloud activity spans {n} accounts with no "
                                      "agent trace or MCP record in the evidence"),
    "credential-then-iam-escalation": SignalRule(CLOUD, 0.25, (
        "TH-AWS-ACCESS-KEY-CREATED", "TH-AWS-ACCESS-KEY-OTHER-USER", "TH-AWS-SECRET-READ-BURST",
        "TH-AGENT-CREDENTIAL-EXPOSURE", "TH-M365-APP-CREDENTIAL", "TH-AWS-LOGIN-PROFILE-CREATED",
        "TH-AWS-LOGIN-PROFILE-RESET", "TH-AWS-ROLES-ANYWHERE-ANCHOR", "TH-AWS-FEDERATION-TOKEN",
        "TH-AWS-WORKLOAD-CREDS-OUTSIDE"),
        "A credential was exposed or created and privileges were escalated, with no agent "
        "runtime in the path"),
    "identity-anomalies": SignalRule(CLOUD, 0.15, (
        "TH-SIGNIN-ANOMALY", "TH-SIGNIN-PASSWORD-SPRAY", "TH-SIGNIN-BRUTE-FORCE",
        "TH-MFA-METHOD-CHANGE", "TH-CLOUD-ADDRESS-CHAIN", "TH-AWS-CONSOLE-NO-MFA",
        "TH-SIGNIN-NEW-ADDRESS"),
        "{n} sign-in or MFA anomaly(ies) were found"),
    "account-takeover-steps": SignalRule(CLOUD, 0.3, (
        "TH-M365-INBOX-RULE", "TH-M365-MAIL-FORWARDING", "TH-M365-OAUTH-CONSENT",
        "TH-M365-BULK-DOWNLOAD", "TH-M365-APP-MAIL-READ", "TH-M365-APP-CREDENTIAL",
        "TH-M365-SEARCH-EXPORT", "TH-M365-TRANSPORT-RULE"),
        "After a sign-in anomaly or address chain on {accounts}, the same user account(s) "
        "made {n} mailbox-rule, forwarding, consent or data-access change(s)"),
    "application-backdoor": SignalRule(CLOUD, 0.3, (
        "TH-M365-APP-CREDENTIAL", "TH-M365-APP-MAIL-READ", "TH-ENTRA-FEDERATION-CHANGE"),
        "{n} credential add(s) to applications, mail read by applications or federation "
        "change(s) were found"),
    # AWS (issue 14): the account's own defences turned off, a way back in left behind or data
    # opened to the outside, and workload credentials used where the workload is not; each
    # counts only with no agent trace in the case (an agent's role doing it is agent-runaway)
    "aws-defense-evasion": SignalRule(CLOUD, 0.35, (
        "TH-AWS-TRAIL-STOPPED", "TH-AWS-TRAIL-SELECTORS", "TH-AWS-TRAIL-BUCKET-LIFECYCLE",
        "TH-AWS-FLOW-LOGS-DELETED", "TH-AWS-DNS-LOGS-DELETED", "TH-AWS-GUARDDUTY-DISABLED",
        "TH-AWS-GUARDDUTY-SUPPRESSED", "TH-AWS-CONFIG-STOPPED", "TH-AWS-ORG-LEAVE",
        "TH-AWS-LOGS-DELETED", "TH-AWS-SECURITYHUB-DISABLED", "TH-AWS-SECURITYHUB-SUPPRESSED",
        "TH-AWS-BEDROCK-GUARDRAIL-DELETED"),
        "{n} change(s) turned off or narrowed the account's logging or threat detection"),
    "aws-backdoor-or-exposure": SignalRule(CLOUD, 0.35, (
        "TH-AWS-ROLES-ANYWHERE-ANCHOR", "TH-AWS-ROLES-ANYWHERE-PROFILE",
        "TH-AWS-ROLE-CREATED-TRUST-EXTERNAL", "TH-AWS-ROLE-TRUST-EXTERNAL",
        "TH-AWS-LOGIN-PROFILE-CREATED", "TH-AWS-LOGIN-PROFILE-RESET",
        "TH-AWS-ACCESS-KEY-OTHER-USER", "TH-AWS-FEDERATION-TOKEN", "TH-AWS-IDP-CHANGED",
        "TH-AWS-SSO-ASSIGNMENT", "TH-AWS-LAMBDA-PUBLIC-PERMISSION", "TH-AWS-LAMBDA-URL-PUBLIC",
        "TH-AWS-LAMBDA-LAYER-EXTERNAL", "TH-AWS-SHARED-PUBLIC", "TH-AWS-SHARED-EXTERNAL",
        "TH-AWS-BUCKET-POLICY-PUBLIC", "TH-AWS-BUCKET-POLICY-EXTERNAL", "TH-AWS-BUCKET-ACL-PUBLIC",
        "TH-AWS-BUCKET-REPLICATION-EXTERNAL", "TH-AWS-S3-EXTERNAL-KMS", "TH-AWS-S3-RANSOM-NOTE",
        "TH-AWS-MASS-DELETION", "TH-AWS-EC2-USER-DATA", "TH-AWS-REMOTE-ACCESS-SPREAD"),
        "{n} access path(s) for another party, data opened to the outside or destructive "
        "change(s) were made in the AWS account"),
    "aws-credential-access": SignalRule(CLOUD, 0.35, (
        "TH-AWS-SECRET-READ-BURST", "TH-AWS-WORKLOAD-CREDS-OUTSIDE", "TH-AWS-WORKLOAD-CREDS-SECOND-ADDRESS",
        "TH-AWS-WORKLOAD-CREDS-SHARED-ADDRESS", "TH-AWS-ENUMERATION-CHAIN",
        "TH-AWS-SECRET-READ-NEW-ADDRESS"),
        "{n} burst(s) of secret reads, use(s) of credentials from an unexpected place or "
        "permission-probing chain(s) were found"),
    "instructions-in-tool-output": SignalRule(INJECTION, 0.75, ("TH-AGENT-PROMPT-INJECTION",),
                                              "Instructions inside tool output or retrieved "
                                              "content were carried out by the agent"),
    "human-approved-or-performed": SignalRule(INSIDER, 0.45, (
        "TH-AGENT-SCOPE-CREEP", "TH-AGENT-DIVERGENCE", "TH-AGENT-EXFILTRATION",
        "TH-AGENT-PERSISTENCE"),
        "A human principal approved or performed the out-of-scope actions"),
}
ESCALATION_RULES = ("TH-AWS-ADMIN-POLICY-ATTACHED", "TH-AWS-POLICY-ATTACHED",
                    "TH-AWS-ROLE-CREATED-TRUST-EXTERNAL", "TH-AWS-ROLES-ANYWHERE-PROFILE",
                    "TH-AWS-SSO-ASSIGNMENT", "TH-AWS-IDP-CHANGED", "TH-AWS-GLUE-PASSROLE",
                    "TH-AWS-ENUMERATION-CHAIN",
                    "TH-AWS-ROLE-TRUST-EXTERNAL", "TH-AWS-ROLE-TRUST-CHANGED",
                    "TH-M365-PRIVILEGED-ROLE-ADD", "TH-AZ-RBAC-PRIVILEGED",
                    "TH-AZ-ELEVATE-ACCESS", "TH-AZ-ROLE-DEFINITION")
TENANT_WIDE = ("allprincipals", "application")
# kept for readers of SIGNAL_WEIGHTS (signal -> (case type, weight))
SIGNAL_WEIGHTS = {name: (rule.case_type, rule.weight) for name, rule in SIGNALS.items()}


@dataclass(frozen=True)
class Signal:
    name: str
    sentence: str
    refs: tuple[EvidenceRef, ...]

    @property
    def case_type(self) -> str:
        return SIGNALS[self.name].case_type

    @property
    def weight(self) -> float:
        return SIGNALS[self.name].weight

    def to_json(self) -> dict[str, Any]:
        return {"signal": self.name, "case_type": self.case_type, "weight": self.weight,
                "sentence": self.sentence,
                "refs": [r.to_json() for r in sorted(set(self.refs))[:MAX_REFS]]}


def _members(findings: Iterable[Finding]) -> int:
    """How many records or steps the findings stand for (a grouped finding counts each)."""
    return sum(max(1, f.count, len(f.steps)) for f in findings)


def _refs(findings: Iterable[Finding]) -> tuple[EvidenceRef, ...]:
    return tuple(sorted({r for f in findings for r in f.refs}))


class Evidence:
    """The findings above low by rule, and what the events say, gathered once."""

    def __init__(self, findings: Sequence[Finding], events: Sequence[Event]):
        self.findings = [f for f in findings if SEVERITY_RANK[f.severity] > SEVERITY_RANK["low"]]
        self.events = events
        self.has_agent = any(e.source.startswith(AGENT_SOURCES) for e in events)

    def by_rules(self, rules: Sequence[str], keep: Callable[[Finding], bool] = lambda f: True
                 ) -> list[Finding]:
        return [f for f in self.findings if f.rule in rules and keep(f)]

    def signal(self, name: str, found: Sequence[Finding], n: int | None = None,
               extra: tuple[EvidenceRef, ...] = ()) -> Signal:
        steps = sorted({s for f in found for s in _steps_of(f)})
        text = SIGNALS[name].sentence.format(n=_members(found) if n is None else n,
                                             k=len(steps) or len(found),
                                             steps=", ".join(map(str, steps)) or "unknown")
        return Signal(name, text + ".", _refs(found) + extra)


def _agent_signals(ev: Evidence) -> Iterable[Signal]:
    if not ev.has_agent:
        return
    for name in ("agent-against-instructions", "agent-persistence", "agent-exfiltration",
                 "mcp-escalation", "unattended-high-impact", "agent-over-privileged"):
        found = ev.by_rules(SIGNALS[name].rules)
        if found:
            yield ev.signal(name, found)
    beyond = ev.by_rules(SIGNALS["agent-beyond-scope"].rules)
    if beyond:
        high = any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK["high"] for f in beyond)
        yield ev.signal("agent-beyond-scope-high" if high else "agent-beyond-scope", beyond)
    persistence = ev.by_rules(SIGNALS["agent-persistence"].rules)
    offline = [e for e in ev.events if e.source == "agent:approval"
               and str(e.attrs.get("deployer_status", "")).lower() == "offline"]
    if persistence and offline:
        yield ev.signal("schedule-while-deployer-offline", persistence,
                        extra=tuple(e.ref for e in offline[:3]))


def _tenant_wide(finding: Finding) -> bool:
    details = finding.details or {}
    return any(str(details.get(key) or "").lower() in TENANT_WIDE
               for key in ("consent_type", "permission_type"))


def _cloud_signals(ev: Evidence) -> Iterable[Signal]:
    consent = ev.by_rules(SIGNALS["tenant-wide-consent"].rules, _tenant_wide)
    if consent:
        yield ev.signal("tenant-wide-consent", consent)
    for name in ("mail-rule-tampering", "identity-anomalies"):
        found = ev.by_rules(SIGNALS[name].rules)
        if found:
            yield ev.signal(name, found)
    yield from _takeover_signals(ev)
    cloud = [f for f in ev.findings if f.category in CLOUD_CATEGORIES]
    actors = {f.actor.lower() for f in cloud if f.actor and f.rule != "TH-CLOUD-ADDRESS-CHAIN"}
    if len(actors) >= 3 and not ev.has_agent:
        yield ev.signal("spread-across-users", cloud, n=len(actors))
    if not ev.has_agent:
        for name in ("aws-defense-evasion", "aws-backdoor-or-exposure", "aws-credential-access"):
            found = ev.by_rules(SIGNALS[name].rules)
            if found:
                yield ev.signal(name, found)
    credential = ev.by_rules(SIGNALS["credential-then-iam-escalation"].rules)
    escalation = ev.by_rules(ESCALATION_RULES)
    if credential and escalation and not ev.has_agent:
        yield ev.signal("credential-then-iam-escalation", credential + escalation)


def _takeover_signals(ev: Evidence) -> Iterable[Signal]:
    """Account-takeover steps by a user principal: a sign-in anomaly or address chain on an
    account (for a chain, the accounts it names), then mailbox rules, forwarding, consent or
    data theft by that same user account (an address, not an account, is never a user)."""
    signins = ev.by_rules(SIGNALS["identity-anomalies"].rules)
    users: set[str] = set()
    for f in signins:
        if f.rule == "TH-CLOUD-ADDRESS-CHAIN":
            users.update(a.lower() for a in (f.details or {}).get("accounts") or [])
        elif f.actor and "@" in f.actor:
            users.add(f.actor.lower())
    steps = ev.by_rules(SIGNALS["account-takeover-steps"].rules,
                        lambda f: bool(f.actor) and f.actor.lower() in users)
    if signins and steps:
        accounts = sorted({f.actor.lower() for f in steps if f.actor})
        found = signins + steps
        yield Signal("account-takeover-steps",
                     SIGNALS["account-takeover-steps"].sentence.format(
                         accounts=", ".join(accounts), n=_members(steps)) + ".",
                     _refs(found))
    backdoor = ev.by_rules(SIGNALS["application-backdoor"].rules)
    if backdoor and not ev.has_agent:
        yield ev.signal("application-backdoor", backdoor)


def _injection_and_insider(ev: Evidence) -> Iterable[Signal]:
    injected = ev.by_rules(SIGNALS["instructions-in-tool-output"].rules)
    if injected:
        yield ev.signal("instructions-in-tool-output", injected)
    risky = ev.by_rules(SIGNALS["human-approved-or-performed"].rules)
    steps = {(f.session, s) for f in risky for s in _steps_of(f)}
    approved = [e for e in ev.events if e.source == "agent:tool_call" and e.approver
                and (e.session, e.step) in steps]
    if approved:
        yield Signal("human-approved-or-performed",
                     SIGNALS["human-approved-or-performed"].sentence + ".",
                     tuple(e.ref for e in approved)[:MAX_REFS])


def _steps_of(finding: Finding) -> tuple[int, ...]:
    """Every step a finding stands for: a group's members, else its listed steps or step."""
    if finding.steps:
        return finding.steps
    listed = (finding.details or {}).get("steps")
    if isinstance(listed, list) and listed:
        return tuple(s for s in listed if isinstance(s, int))
    return (finding.step,) if finding.step is not None else ()


def collect_signals(findings: Sequence[Finding], events: Sequence[Event],
                    graphs: Sequence[dict] = (), traces: Sequence[dict] = ()) -> list[Signal]:
    ev = Evidence(findings, events)
    signals = [*_agent_signals(ev), *_cloud_signals(ev), *_injection_and_insider(ev)]
    return sorted(signals, key=lambda s: (-s.weight, s.name))


def incident_type(case_type: str, findings: Sequence[Finding]) -> str:
    """Seed 002's three agent incident types; `none` when the case is not an agent incident."""
    if case_type in (NO_INCIDENT, UNDETERMINED, CLOUD):
        return "none"
    categories = Counter(f.category for f in findings
                         if SEVERITY_RANK[f.severity] > SEVERITY_RANK["low"])
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
# UAL records that are sign-ins: with them the case holds sign-in logs, Entra export or not
UAL_SIGNINS = ("UserLoggedIn", "UserLoginFailed")


def _missing(events: Sequence[Event]) -> list[str]:
    sources = {e.source for e in events}
    if "m365:ual" in sources and any(e.source == "m365:ual" and e.action in UAL_SIGNINS
                                     for e in events):
        sources.add("entra:(ual sign-ins)")
    return [hint for prefix, hint in MISSING_HINTS
            if not any(s.startswith(prefix) for s in sources)]


def thin_evidence(events: Sequence[Event], traces: Sequence[dict], records: int | None,
                  issues: int) -> list[str]:
    """Why the evidence is too thin to call the case `no-incident` ([] when it is not)."""
    reasons = []
    total = len(events) if records is None else records
    if any(e.source.startswith(AGENT_SOURCES) for e in events):
        steps = any(t.get("steps") for t in traces) or any(
            e.source == "agent:tool_call" for e in events)
        instructed = any(_instructs(e) for e in events)
        # no step at all is not thin: whatever else the log holds (a start-up handshake, the
        # human's own slash commands), the agent did nothing in it; the parse issue
        # "recognised as X, nothing read" still says so
        if steps and not instructed and not _protocol_only(events):
            reasons.append("no human turn or stated instruction is in the evidence")
    elif total == 0:
        reasons.append("no record was read")
    if issues and issues > MAX_ISSUE_SHARE * (total + issues):
        reasons.append(f"{issues} of {total + issues} records could not be read")
    return reasons


def _protocol_only(events: Sequence[Event]) -> bool:
    """The agent evidence is MCP protocol traffic, which never holds the human's words."""
    return any(e.source.startswith("mcp:") for e in events) and not any(
        e.source == "agent:prompt" for e in events)


def _instructs(event: Event) -> bool:
    if event.source in INSTRUCTION_SOURCES:
        return True
    if event.source != "agent:prompt":
        return False
    role = event.attrs.get("role")
    # a sub-agent's task, written by the agent that started it, is the instruction it got
    return role in ("system", "deployed") or (
        role == "user" and (event.attrs.get("turn_kind", "human-typed") in (
            "human-typed", "framework-template") or event.attrs.get("sidechain") is True))


def classify(findings: Sequence[Finding], events: Sequence[Event], graphs: Sequence[dict],
             traces: Sequence[dict], *, records: int | None = None,
             issues: int = 0) -> dict[str, Any]:
    """The verdict. `records` counts every record read (bulk-loaded rows too; default: the
    events given), `issues` the parse issues of the case."""
    signals = collect_signals(findings, events, graphs, traces)
    scores: Counter[str] = Counter()
    for signal in signals:
        scores[signal.case_type] += signal.weight
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    top, top_score = ranked[0] if ranked else (UNDETERMINED, 0.0)
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    decided = top_score >= MIN_SCORE and top_score - second >= MIN_MARGIN
    above_low = any(SEVERITY_RANK[f.severity] > SEVERITY_RANK["low"] for f in findings)
    thin = thin_evidence(events, traces, records, issues)
    if decided:
        case_type = top
        confidence = round(min(0.99, top_score)
                           * (0.6 + 0.4 * (top_score - second) / top_score), 2)
        mine = [s for s in signals if s.case_type == case_type]
        explanation = (f"Lean toward {case_type} because: "
                       + "; ".join(s.sentence.rstrip(".") for s in mine) + ".")
    elif not above_low and not thin:
        case_type, confidence = NO_INCIDENT, 0.0
        explanation = _no_incident_text(events)
    else:
        case_type, confidence = UNDETERMINED, 0.0
        explanation = _undetermined_text(ranked, events, thin, above_low)
    return {
        "case_type": case_type,
        "confidence": confidence,
        "incident_type": incident_type(case_type, findings),
        "explanation": explanation,
        "scores": {k: round(v, 2) for k, v in sorted(scores.items())},
        "signals": [s.to_json() for s in signals],
        "missing_evidence": _missing(events) if case_type == UNDETERMINED else [],
        **({"thin_evidence": thin} if thin and case_type == UNDETERMINED else {}),
    }


def _no_incident_text(events: Sequence[Event]) -> str:
    if not any(e.source.startswith(AGENT_SOURCES) for e in events):
        return "Nothing above low was found in the records supplied."
    if not any(e.source == "agent:tool_call" for e in events):
        if not any(_instructs(e) for e in events):
            return ("Nothing above low was found: the agent log records no tool call and no "
                    "human turn, so no action of the agent is in it (the parse issues name "
                    "the files with nothing to read).")
        return ("Nothing above low was found: the session records the human's turns and no "
                "tool call; the agent answered without acting.")
    if _protocol_only(events):
        return ("Nothing above low was found: every step stayed within the default envelope "
                "of an MCP client. The human's instructions are not in the evidence (an MCP "
                "log holds none), so the steps were not compared with what was asked.")
    return ("Nothing above low was found: every agent action stayed within what the human "
            "asked for or the agent's scope allows.")


def _undetermined_text(ranked: list[tuple[str, float]], events: Sequence[Event],
                       thin: list[str], above_low: bool) -> str:
    if not above_low:
        lead = ("Nothing above low was found, but the evidence is too thin to call it no "
                f"incident: {'; '.join(thin)}.")
    elif not ranked:
        lead = "No signal toward any case type was found in the evidence."
    else:
        shown = ", ".join(f"{k} {v:.2f}" for k, v in ranked[:3])
        lead = f"The signals are too thin or too evenly split to lean either way ({shown})."
    missing = _missing(events)
    if missing:
        lead += " Missing: " + "; ".join(missing) + "."
    return lead
