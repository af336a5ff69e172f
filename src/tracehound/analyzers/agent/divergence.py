"""Step 2 of the agent-runaway path: did the agent do what it was told, and only what it was
allowed?

- `prompt-action-divergence` (TH-AGENT-DIVERGENCE): a prompt-vs-action row whose stated intent
  and actual action disagree (the kepler corpus); a prohibition the human stated that a step
  broke (high, quoting it); an effect the human rejected that the agent then achieved another
  way.
- `scope-creep` (TH-AGENT-SCOPE-CREEP): an effect beyond both the human's grants and the
  envelope (baseline, declared scope, or the agent kind's default), the effect named.
- `prompt-injection-indicator` (TH-AGENT-PROMPT-INJECTION): a step whose arguments come from
  instructions in an earlier tool's output (not from the human) and that goes beyond what was
  allowed. Content the human asked for stays quiet while what follows stays allowed.
Like steps (same rule, effect kind and object in a session) are one finding.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Sequence

from ...effects.envelope import effect_clause
from ...effects.secrets import scrub
from ...model import SEVERITY_RANK, Event, Finding
from ...scope import ALWAYS_ALLOWED, classes_in_text, resource_matches, resources_in_text
from ...taxonomy import classify_action
from ..registry import Analyzer, Context, register
from .grouping import Beat, group_finding, grouped
from .impact import (BROKEN_SEVERITY, at_least, describe_step, effect_severity,
                     step_severity, step_subject, techniques_for)
from .instruction_text import atoms_of, found_in, human_words, instructions_in
from .steps import AGENT_SOURCES, Step, Trace, TraceSet, traces_of

NOT_A_MARKER = frozenset({"", "none", "null", "false", "no", "0", "n/a", "aligned", "match",
                          "consistent"})
INJECTION_TECHNIQUE = "AML.T0051.001"      # ATLAS: indirect prompt injection


@register
class PromptActionDivergence(Analyzer):
    NAME = "prompt-action-divergence"
    VERSION = "2"
    FAMILY = "agent"
    TITLE = ("Stated intent vs action, prohibitions broken, effects beyond the grants and "
             "envelope, injected actions")
    CONSUMES = AGENT_SOURCES

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        traces = traces_of(events, ctx)
        yield from self._divergent_rows(events, traces)
        for session in sorted(traces.traces):
            trace = traces.traces[session]
            yield from self._broken(trace)
            yield from self._scope_creep(trace)
            yield from self._injections(trace)

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

    # -- prohibitions broken, rejections worked around ---------------------------------

    def _broken(self, trace: Trace) -> Iterator[Finding]:
        beats = []
        for step in trace.steps:
            for judgement in step.broken:
                directive = judgement.broken
                beats.append(Beat(step, judgement.effect, BROKEN_SEVERITY,
                                  judgement.statement, (directive.ref,) if directive.ref else (),
                                  (("quote", directive.quote), ("turn", directive.turn))))
            for effect, rejection in step.redone:
                clause = (f"achieves what the human rejected at step {rejection.step} "
                          f"({effect_clause(effect)})")
                beats.append(Beat(step, effect, BROKEN_SEVERITY, clause,
                                  (rejection.ref,) if rejection.ref else (),
                                  (("rejected_step", rejection.step),)))
        for group in grouped(beats):
            yield self.against_the_human(group)

    def against_the_human(self, beats: list[Beat]) -> Finding:
        first = beats[0]
        rejected = dict(first.details).get("rejected_step") is not None
        return group_finding(
            beats, Finding, rule="TH-AGENT-DIVERGENCE", tool=self.NAME,
            category="prompt-action-divergence",
            title="Step against what the human said" if not rejected
            else "Rejected action achieved another way",
            engine_version=self.engine_version,
            details={k: v for k, v in first.details})

    # -- beyond the grants and the envelope ----------------------------------------------

    def _scope_creep(self, trace: Trace) -> Iterator[Finding]:
        beats = []
        for step in trace.steps:
            beyond = step.beyond
            if not beyond or step.broken:         # a broken prohibition says it better
                continue
            graded = sorted(beyond, key=lambda j: -SEVERITY_RANK[effect_severity(j.effect,
                                                                                 step)])
            main = graded[0]
            others = [j.statement for j in graded[1:3]]
            clause = main.beyond + ("; it also " + "; ".join(others) if others else "")
            beats.append(Beat(step, main.effect, step_severity(step), clause,
                              trace.scope.refs if trace.scope else ()))
        for group in grouped(beats):
            yield self.scope_creep(group, trace)

    def scope_creep(self, beats: list[Beat], trace: Trace) -> Finding:
        scope = trace.scope
        # a declared or baseline scope says where it came from; a default envelope is named
        # by the clause itself
        said = f" ({scope.describe()})" if scope is not None and \
            scope.envelope.name in ("declared", "baseline") else ""
        return group_finding(
            beats, Finding, rule="TH-AGENT-SCOPE-CREEP", tool=self.NAME,
            category="scope-creep", title="Step beyond what was asked or allowed",
            said=said,
            engine_version=self.engine_version,
            details={"scope": scope.to_json() if scope else None,
                     "scope_inferred": bool(scope and scope.envelope.inferred),
                     "action_class": beats[0].step.action_class,
                     "instructions_missing": bool(scope and scope.instructions.missing)})

    # -- taint from tool output to action ----------------------------------------------

    def _injections(self, trace: Trace) -> Iterator[Finding]:
        instructed = []
        for step in trace.steps:
            text = step.result_text
            snippets = instructions_in(text) if text else []
            if snippets:
                instructed.append((step, snippets))
        if not instructed:
            return
        human = human_words(t.text for t in trace.turns)       # once for every step
        outputs: dict[int, str] = {}
        for step in trace.steps:
            if not (step.beyond or step.broken) or step.arguments is None:
                continue
            atoms = atoms_of(step.arguments)
            for source, snippets in instructed:
                if source.index >= step.index:
                    continue
                output = outputs.get(id(source))
                if output is None:
                    output = outputs[id(source)] = str(source.result_text or "").lower()
                values = found_in(atoms, output, human)
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
                      f"instructions addressed to the agent ({_quote(snippets[0], 100)}), no "
                      f"human turn names these values, and the step "
                      f"{(step.broken + step.beyond)[0].statement}.",
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


def _quote(value: object, limit: int = 160) -> str:
    text = scrub(" ".join(str(value).split()))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"\u201c{text}\u201d"

