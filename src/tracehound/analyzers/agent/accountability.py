"""Step 3 of the agent-runaway path: who approved each autonomous action?

Maps every tool call (by tool_call_id, or session + step) to its approver from the
accountability records. One `unattended-action` finding per high-impact step (write, delete,
execute, egress, permission change, persistence, anything outside the envelope, or a step
whose network rows show bytes going out) that no human approved, noting when the deployer was
offline. In-scope enumeration and reads are not findings: they are what the agent was for.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from ...model import Event, Finding
from ..registry import Analyzer, Context, register
from .impact import (DEFAULT_EXFIL_BYTES, impact_reasons, is_high_impact,
                     step_severity, step_subject, techniques_for)
from .steps import AGENT_SOURCES, Step, traces_of


@register
class AccountabilityTracer(Analyzer):
    NAME = "accountability-tracer"
    VERSION = "1"
    FAMILY = "agent"
    TITLE = "tool_call_id -> approver; high-impact steps that no human approved"
    CONSUMES = AGENT_SOURCES

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        traces = traces_of(events, ctx)
        threshold = int(ctx.setting("exfil_bytes", DEFAULT_EXFIL_BYTES))
        for step in traces.steps():
            if is_high_impact(step, threshold) and not step.human_approved:
                yield self.unattended(step, threshold)

    def unattended(self, step: Step, threshold: int = DEFAULT_EXFIL_BYTES) -> Finding:
        why = " and ".join(impact_reasons(step, threshold))
        if step.approver:
            who = f"its approver {step.approver} is recorded as {step.approver_status}"
        elif step.approval is not None:
            who = "its accountability record names no approver"
        else:
            who = "no approval record exists for it"
        deployer = _deployer_note(step)
        return Finding(
            rule="TH-AGENT-UNATTENDED", tool=self.NAME, category="unattended-action",
            severity=step_severity(step, threshold),
            title="High-impact step with no human approver",
            statement=f"{step_subject(step)} is high impact ({why}) and ran "
                      f"without a human approver: {who}{deployer}.",
            refs=step.refs + tuple(e.ref for e in step.network),
            techniques=techniques_for(step), engine_version=self.engine_version,
            details={"tool_call_id": step.tool_call_id, "approver": step.approver,
                     "approver_status": step.approver_status,
                     "deployer_status": step.deployer_status,
                     "impact": impact_reasons(step, threshold)},
            **step.anchor())


def _deployer_note(step: Step) -> str:
    status = step.deployer_status
    if not status:
        return ""
    deployer = None
    for event in (step.approval, step.call):
        if event is not None and event.attrs.get("deployer"):
            deployer = str(event.attrs["deployer"])
            break
    who = f"the deployer {deployer}" if deployer else "the deployer"
    return f"; {who} was {status} at the time"
