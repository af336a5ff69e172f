"""Tiny builders so correlation tests read like the case they check."""

from tracehound.model import Event, Finding, line_ref

SHA_TRACE = "1" * 64
SHA_NET = "2" * 64
SHA_TRAIL = "3" * 64
SHA_UAL = "4" * 64


# the rule each category's findings carry in these tests (classification reads rule ids)
RULES = {"scope-creep": "TH-AGENT-SCOPE-CREEP", "prompt-action-divergence": "TH-AGENT-DIVERGENCE",
         "persistence": "TH-AGENT-PERSISTENCE", "unattended-action": "TH-AGENT-UNATTENDED",
         "over-privileged-grant": "TH-AGENT-OVERPRIVILEGED-GRANT",
         "exfiltration": "TH-AGENT-EXFILTRATION", "mcp-tool-escalation": "TH-AGENT-MCP-BRANCH",
         "prompt-injection-indicator": "TH-AGENT-PROMPT-INJECTION",
         "credential-exposure": "TH-AGENT-CREDENTIAL-EXPOSURE",
         "oauth-consent": "TH-OAUTH-SCOPE-RISK", "inbox-rule": "TH-M365-INBOX-RULE",
         "mail-forwarding": "TH-M365-MAIL-FORWARDING", "anomalous-signin": "TH-SIGNIN-ANOMALY"}


def finding(category, step=None, line=1, sha=SHA_TRACE, actor=None, statement="s", **kw):
    return Finding(rule=kw.pop("rule", RULES.get(category, f"TH-{category.upper()}")),
                   tool="test", category=category,
                   severity=kw.pop("severity", "high"), title=kw.pop("title", category),
                   statement=statement, refs=(line_ref(sha, line),), step=step,
                   session=kw.pop("session", "s-1"), actor=actor, time=kw.pop("time", None), **kw)


def call(step, action, *, sha=SHA_TRACE, approver=None, credential=None, time=None,
         actor="agent-1", session="s-1", klass="read", parent=None, **attrs):
    return Event(ref=line_ref(sha, step), source="agent:tool_call", time=time, action=action,
                 action_class=klass, actor_id=actor, actor_kind="agent", session=session,
                 step=step, parent_step=parent, approver=approver,
                 attrs={"tool": action, "credential": credential, **attrs})


def event(source, line, *, sha=SHA_TRACE, action="x", **fields):
    attrs = fields.pop("attrs", {})
    return Event(ref=line_ref(sha, line), source=source, time=fields.pop("time", None),
                 action=action, attrs=attrs, **fields)


def trace(n_steps, session="s-1"):
    return [{"session": session, "agent": "agent-1", "steps": [
        {"index": i, "refs": [{"sha256": SHA_TRACE, "locator": f"line {i}"}]}
        for i in range(1, n_steps + 1)]}]
