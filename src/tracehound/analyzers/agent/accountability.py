"""Step 3 of the agent-runaway path: who approved each autonomous action?

Maps every tool call (by tool_call_id, or session + step) to its approver from the
accountability records and to the approval the runtime recorded. One `unattended-action`
finding per run of like steps that
- went beyond what was allowed (or moved a large amount of data) with no human approver,
  where the evidence says so: the runtime auto-approved the step (a permission mode, an
  auto-approve setting), or the source records approvals (accountability rows, calls it marks
  approved) and has none for it. A log that is silent about approvals (or records only
  denials) never raises this by itself;
- changed state while an approval the human asked for ("wait for my OK before pushing") was
  still pending.
In-scope enumeration and reads, and ordinary work inside the grants, are not findings.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Sequence

from ...effects.envelope import effect_clause
from ...model import Event, Finding
from ..registry import Analyzer, Context, register
from .grouping import Beat, group_finding, grouped
from .impact import (DEFAULT_EXFIL_BYTES, at_least, impact_reasons, is_high_impact,
                     step_severity)
from .steps import AGENT_SOURCES, Step, Trace, traces_of


@register
class AccountabilityTracer(Analyzer):
    NAME = "accountability-tracer"
    VERSION = "2"
    FAMILY = "agent"
    TITLE = "tool_call_id -> approver; high-impact steps no human approved, actions while an " \
            "approval was pending"
    CONSUMES = AGENT_SOURCES

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        traces = traces_of(events, ctx)
        threshold = int(ctx.setting("exfil_bytes", DEFAULT_EXFIL_BYTES))
        for session in sorted(traces.traces):
            trace = traces.traces[session]
            for group in grouped(self._beats(trace, threshold)):
                yield self.unattended(group)

    def _beats(self, trace: Trace, threshold: int) -> Iterator[Beat]:
        records = trace.scope is not None and trace.scope.facts.records_approvals
        for step in trace.steps:
            waiting = [j for j in step.judgements if j.awaiting is not None]
            if waiting:
                directive = waiting[0].awaiting
                clause = (f"{effect_clause(waiting[0].effect)} while the approval the human "
                          f"asked for was pending "
                          f"(turn {directive.turn}: \u201c{directive.quote}\u201d)")
                yield Beat(step, waiting[0].effect, at_least(step_severity(step), "medium"),
                           clause, (directive.ref,) if directive.ref else (),
                           (("awaiting", directive.quote),))
            elif (records or step.approval == "auto-approved") and \
                    is_high_impact(step, threshold) and not step.human_approved:
                effect = (step.broken + step.beyond)[0].effect if step.broken or step.beyond \
                    else None
                yield Beat(step, effect, step_severity(step, threshold),
                           _clause(step, threshold),
                           tuple(e.ref for e in step.network))

    def unattended(self, beats: list[Beat]) -> Finding:
        first = beats[0].step
        return group_finding(
            beats, Finding, rule="TH-AGENT-UNATTENDED", tool=self.NAME,
            category="unattended-action", title="High-impact step with no human approver",
            engine_version=self.engine_version,
            details={"tool_call_id": first.tool_call_id, "approver": first.approver,
                     "approver_status": first.approver_status, "approval": first.approval,
                     "deployer_status": first.deployer_status,
                     "impact": impact_reasons(first),
                     **dict(beats[0].details)})


def _clause(step: Step, threshold: int) -> str:
    why = " and ".join(impact_reasons(step, threshold)) or "high impact"
    if step.approver:
        who = f"its approver {step.approver} is recorded as {step.approver_status}"
    elif step.approval_row is not None:
        who = "its accountability record names no approver"
    elif step.approval == "auto-approved":
        who = "the runtime's policy ran it without asking"
    else:
        who = "no approval of it is recorded"
    return f"is high impact ({why}) and ran without a human approver: {who}" \
        f"{_deployer_note(step)}"


def _deployer_note(step: Step) -> str:
    status = step.deployer_status
    if not status:
        return ""
    deployer = None
    for event in (step.approval_row, step.call):
        if event is not None and event.attrs.get("deployer"):
            deployer = str(event.attrs["deployer"])
            break
    who = f"the deployer {deployer}" if deployer else "the deployer"
    return f"; {who} was {status} at the time"
