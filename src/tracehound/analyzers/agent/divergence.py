"""Step 2 of the agent-runaway path: did the agent do what it said, and what it was allowed?

Three findings, each about one step:
- `prompt-action-divergence`: a prompt-vs-action row whose stated intent and actual action
  disagree in structure (the action's class or resource is not the one the intent names), or
  that the record itself marks as diverging;
- `scope-creep`: a step outside the allowed envelope (baseline, or inferred from the runtime
  config / deployed prompt / stated intent, which the finding then says);
- `prompt-injection-indicator`: a step whose arguments were taken from an earlier tool's output
  that carries instructions addressed to the agent, not from the human's prompt. This is what
  tells prompt injection (adversarial input) apart from runaway (autonomous replanning).
"""

from __future__ import annotations

from typing import Iterable, Iterator, Sequence

from ...model import Event, Finding
from ...scope import ALWAYS_ALLOWED, classes_in_text, resource_matches, resources_in_text
from ...taxonomy import classify_action
from ..registry import Analyzer, Context, register
from .impact import at_least, describe_step, step_severity, step_subject, techniques_for
from .instruction_text import instructions_in, taken_from
from ...effects.secrets import scrub
from .steps import AGENT_SOURCES, NO_SESSION, Step, Trace, TraceSet, traces_of

NOT_A_MARKER = frozenset({"", "none", "null", "false", "no", "0", "n/a", "aligned", "match",
                          "consistent"})
INJECTION_TECHNIQUE = "AML.T0051.001"      # ATLAS: indirect prompt injection


@register
class PromptActionDivergence(Analyzer):
    NAME = "prompt-action-divergence"
    VERSION = "1"
    FAMILY = "agent"
    TITLE = "Stated intent vs actual action, steps outside the allowed scope, injected actions"
    CONSUMES = AGENT_SOURCES

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        traces = traces_of(events, ctx)
        yield from self._divergent_rows(events, traces)
        prompts = HumanPrompts(events)
        for trace in traces.traces.values():
            for step in trace.steps:
                if step.breach is not None:
                    yield self.scope_creep(step, trace)
            yield from self._injections(trace, prompts)

    # -- stated intent vs actual action ------------------------------------------------

    def _divergent_rows(self, events: Sequence[Event], traces: TraceSet) -> Iterator[Finding]:
        for row in events:
            if row.source != "agent:intent":
                continue
            step = traces.step_of(row)
            reason = divergence_of(row, step)
            if reason is not None:
                yield self.divergence(row, step, reason)

    def divergence(self, row: Event, step: Step | None, reason: str) -> Finding:
        stated = _quote(row.attrs.get("stated_intent"))
        actual = _quote(row.attrs.get("actual_action") or (step.tool if step else row.action))
        where = f"At {describe_step(step)}" if step else f"In the row at {row.ref.locator}"
        refs = (row.ref,) + (step.refs if step else ())
        anchor = step.anchor() if step else {"time": row.time, "step": row.step,
                                             "session": row.session, "actor": row.actor_id,
                                             "target": row.target_id}
        severity = at_least(step_severity(step), "medium") if step else "medium"
        return Finding(
            rule="TH-AGENT-DIVERGENCE", tool=self.NAME, category="prompt-action-divergence",
            severity=severity, title="Action differs from the stated intent",
            statement=f"{where} the stated intent was {stated} but the action was {actual}: "
                      f"{reason}.",
            refs=refs, techniques=techniques_for(step) if step else (),
            engine_version=self.engine_version,
            details={"stated_intent": stated, "actual_action": actual, "reason": reason,
                     "marker": row.attrs.get("divergence")}, **anchor)

    # -- outside the envelope ----------------------------------------------------------

    def scope_creep(self, step: Step, trace: Trace) -> Finding:
        envelope = trace.envelope
        return Finding(
            rule="TH-AGENT-SCOPE-CREEP", tool=self.NAME, category="scope-creep",
            severity=step_severity(step), title="Step outside the allowed scope",
            statement=f"{step_subject(step)} left the allowed envelope: "
                      f"{step.breach} ({envelope.describe()}).",
            refs=step.refs + envelope.refs, techniques=techniques_for(step),
            engine_version=self.engine_version,
            details={"envelope": envelope.summary(), "scope_inferred": envelope.inferred,
                     "scope_origin": envelope.origin, "action_class": step.action_class},
            **step.anchor())

    # -- taint from tool output to action ----------------------------------------------

    def _injections(self, trace: Trace, prompts: "HumanPrompts") -> Iterator[Finding]:
        instructed = []
        for step in trace.steps:
            text = step.result_text
            snippets = instructions_in(text) if text else []
            if snippets:
                instructed.append((step, snippets))
        if not instructed:
            return
        human = prompts.of(trace.session)
        for step in trace.steps:
            for source, snippets in instructed:
                if source.index >= step.index or step.arguments is None:
                    continue
                values = taken_from(step.arguments, source.result_text or "", human)
                if values:
                    yield self.injection(step, source, values, snippets)
                    break

    def injection(self, step: Step, source: Step, values: list[str],
                  snippets: list[str]) -> Finding:
        shown = ", ".join(_quote(v, 80) for v in values[:3])
        return Finding(
            rule="TH-AGENT-PROMPT-INJECTION", tool=self.NAME,
            category="prompt-injection-indicator",
            severity=at_least(step_severity(step), "high"),
            title="Action arguments taken from instructions in tool output",
            statement=f"{step_subject(step)} used {shown}, which first appear in "
                      f"the output of step {source.index} ({source.tool}); that output carries "
                      f"instructions addressed to the agent ({_quote(snippets[0], 100)}) and "
                      f"no user prompt names these values.",
            refs=step.refs + source.refs,
            techniques=(INJECTION_TECHNIQUE,) + techniques_for(step),
            engine_version=self.engine_version,
            details={"source_step": source.index, "tainted_values": [scrub(v) for v in values],
                     "instructions": [scrub(s) for s in snippets]},
            **step.anchor())


def divergence_of(row: Event, step: Step | None) -> str | None:
    """Why a prompt-vs-action row diverges, or None when intent and action agree."""
    marker = row.attrs.get("divergence")
    if marker not in (None, False) and str(marker).strip().lower() not in NOT_A_MARKER:
        shown = "" if marker is True else f" ({_quote(marker, 80)})"
        return f"the record marks the step as diverging{shown}"
    stated = str(row.attrs.get("stated_intent") or "")
    actual = str(row.attrs.get("actual_action") or "")
    if not stated or not (actual or step):
        return None
    stated_classes = classes_in_text(stated)
    actual_class = step.action_class if step else classify_action(actual)
    if stated_classes and actual_class not in stated_classes | ALWAYS_ALLOWED \
            and actual_class not in ("list", "other"):
        return (f"the intent names {', '.join(sorted(stated_classes))} actions and the action "
                f"is a {actual_class}")
    stated_resources = resources_in_text(stated)
    actual_target = (step.target if step else None) or next(iter(resources_in_text(actual)), None)
    if stated_resources and actual_target and not resource_matches(actual_target,
                                                                   stated_resources):
        return f"the action's resource {actual_target} is not one the intent names"
    return None


class HumanPrompts:
    """The human prompts of each session, gathered in one pass over the events the first time
    a session's are asked for (not one pass per session)."""

    def __init__(self, events: Sequence[Event]):
        self._events = events
        self._by_session: dict[str, list[str]] | None = None

    def of(self, session: str) -> list[str]:
        if self._by_session is None:
            self._by_session = {}
            for e in self._events:
                if e.source == "agent:prompt" and (e.attrs.get("role") == "user"
                                                   or e.actor_kind == "human"):
                    self._by_session.setdefault(e.session or NO_SESSION, []).append(
                        str(e.attrs.get("text") or ""))
        return self._by_session.get(session, [])


def _quote(value: object, limit: int = 160) -> str:
    text = scrub(" ".join(str(value).split()))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"\u201c{text}\u201d"
