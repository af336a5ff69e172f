"""Step 6 of the agent-runaway path: did the agent arrange to run again without anyone?

A mechanism is a persistence artifact record (schedules, Lambda triggers, webhooks, stored
prompts: the kepler shape) or a step with a persistence-write effect (the effects layer
knows the places: crontab, systemd, launchd, shell rc files, authorized_keys, git hooks, CI
workflows, agent and MCP client configs, scheduling APIs). One finding per mechanism, citing
every record that installs it: the artifact records, the steps that made the change and
everything merged into them, and MCP graph nodes of those steps. A mechanism the human asked
for (a grant in force) is reported at low, as what it is; one nothing allowed is high.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from ...effects.kinds import mechanism as mechanism_words
from ...model import EvidenceRef, Event, Finding
from ..wording import article
from ..registry import Analyzer, Context, register
from .impact import describe_step
from .steps import AGENT_SOURCES, NO_SESSION, Step, TraceSet, traces_of

def mechanism_of_step(step: Step) -> str:
    """The mechanism a step's persistence-write installs (from the effect's detail)."""
    for effect in step.effects:
        if effect.kind != "persistence-write":
            continue
        detail = (effect.detail or "").lower()
        if detail.startswith("mcp server"):
            return "mcp-server-registration"
        words = re.findall(r"[a-z][a-z-]*", detail)
        found = next((w for w in words if mechanism_words(w) is not None), None)
        if found:
            return found
        if effect.object and ":" in effect.object and effect.object.split(":", 1)[0] in (
                "events", "scheduler"):
            return "eventbridge-schedule"
        return "schedule" if "schedule" in detail or "cron" in detail else "persistence"
    return "persistence"


def installs(step: Step) -> bool:
    return any(e.kind == "persistence-write" for e in step.effects) and \
        step.outcome != "rejected"


def allowed(step: Step) -> bool:
    """Every persistence-write of the step was allowed (a grant, the envelope)."""
    judged = [j for j in step.judgements if j.effect.kind == "persistence-write"]
    return bool(judged) and all(j.allowed_by is not None for j in judged)


def unread(step: Step) -> int | None:
    """A turn in force the phrase tables could not read, when a persistence-write of the
    step went beyond what was allowed: that turn may have asked for it."""
    return next((j.unread for j in step.judgements if j.effect.kind == "persistence-write"
                 and j.unread is not None), None)


def _object(step: Step) -> str | None:
    return next((e.object for e in step.effects if e.kind == "persistence-write"), step.target)


@dataclass
class Mechanism:
    kind: str
    target: str | None
    artifacts: list[Event] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    others: list[Event] = field(default_factory=list)

    @property
    def refs(self) -> tuple[EvidenceRef, ...]:
        refs = [e.ref for e in self.artifacts]
        for step in sorted(self.steps, key=lambda s: s.index):
            refs += list(step.refs) + [e.ref for e in step.network + step.credentials]
        refs += [e.ref for e in self.others]
        return tuple(dict.fromkeys(refs))


@register
class PersistenceDetector(Analyzer):
    NAME = "persistence-detector"
    VERSION = "1"
    FAMILY = "agent"
    TITLE = "Schedules, triggers, webhooks, registrations, startup files: one per mechanism"
    CONSUMES = AGENT_SOURCES

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        traces = traces_of(events, ctx)
        for mechanism in find_mechanisms(events, traces):
            yield self.finding(mechanism)

    def finding(self, mechanism: Mechanism) -> Finding:
        steps = sorted(mechanism.steps, key=lambda s: s.index)
        first = mechanism.artifacts[0] if mechanism.artifacts else None
        schedule = next((str(a.attrs["schedule_expression"]) for a in mechanism.artifacts
                         if a.attrs.get("schedule_expression")), None)
        known = mechanism_words(mechanism.kind)
        what = known[0] if known else mechanism.kind.replace("-", " ")
        asked = steps and not mechanism.artifacts and all(allowed(s) for s in steps)
        how = None if mechanism.artifacts else next(
            (e.detail for s in steps for e in s.effects if e.kind == "persistence-write"
             and e.detail and e.detail.lower() != mechanism.kind), None)
        name = next((f" {a.attrs['rule_name']}" for a in mechanism.artifacts
                     if a.attrs.get("rule_name")), "")
        on = (f" targeting {mechanism.target}" if name else f" on {mechanism.target}") \
            if mechanism.target else ""
        when = f" ({schedule})" if schedule else ""
        via = (f" installed via {', '.join(describe_step(s) for s in steps)}" if steps
               else "")
        unapproved = [s.index for s in steps if not s.human_approved]
        approval = (" with no human approver" if steps and len(unapproved) == len(steps)
                    else "")
        count = len(mechanism.refs)
        anchor = steps[0].anchor() if steps else {
            "time": first.time if first else None, "step": first.step if first else None,
            "session": first.session if first else None,
            "actor": first.actor_id if first else None, "target": mechanism.target}
        anchor["target"] = mechanism.target or anchor.get("target")
        said = f" ({how})" if how else ""
        turn = None if asked or mechanism.artifacts else next(
            (t for s in steps if (t := unread(s)) is not None), None)
        granted = " as the human asked" if asked else (
            f"; turn {turn} could not be read, so whether it asked for this is not known"
            if turn is not None else "")
        return Finding(
            rule="TH-AGENT-PERSISTENCE", tool=self.NAME, category="persistence",
            severity="low" if asked else "medium" if turn is not None else "high",
            title=f"Persistence: {what}",
            statement=f"{article(what, capital=True)}{name}{when}{on}{said} was{via}"
                      f"{approval}{granted}; "
                      f"{count} record{'s install' if count != 1 else ' installs'} it.",
            refs=mechanism.refs, techniques=known[1] if known else (),
            engine_version=self.engine_version,
            details={"mechanism": mechanism.kind, "schedule_expression": schedule,
                     "steps": [s.index for s in steps], "unapproved_steps": unapproved},
            **anchor)


def short_name(target: str | None) -> str | None:
    """'arn:aws:lambda:...:function:name' -> 'name'; paths and URLs keep their last part."""
    if not target:
        return None
    name = str(target).rstrip("/")
    for separator in (":", "/"):
        name = name.rsplit(separator, 1)[-1] or name
    return name.lower()



def find_mechanisms(events: Sequence[Event], traces: TraceSet) -> list[Mechanism]:
    """Mechanisms from artifact records first, then persistence steps no artifact explains.
    A persistence step whose parent step installed a mechanism is part of that mechanism
    (put-rule and put-targets under the call that set the function up)."""
    mechanisms: list[Mechanism] = []
    owner: dict[int, Mechanism] = {}
    for artifact in sorted((e for e in events if e.source == "agent:persistence"),
                           key=lambda e: (e.time or "", e.ref)):
        kind = str(artifact.attrs.get("mechanism") or "persistence")
        found = _same(mechanisms, kind, artifact)
        if found is None:
            found = Mechanism(kind, artifact.target_id)
            mechanisms.append(found)
        found.artifacts.append(artifact)
        for step in _installing_steps(artifact, traces):
            if id(step) not in owner:
                owner[id(step)] = found
                found.steps.append(step)
    for trace in traces.traces.values():
        for step in trace.steps:
            if not installs(step) or id(step) in owner:
                continue
            parent = trace.by_index.get(step.parent) if step.parent is not None else None
            found = owner.get(id(parent)) if parent is not None else None
            found = found or _same(mechanisms, None, None, _object(step))
            if found is None:
                found = Mechanism(mechanism_of_step(step), _object(step))
                mechanisms.append(found)
            owner[id(step)] = found
            found.steps.append(step)
    _attach_graph_nodes(mechanisms, events, traces)
    return mechanisms


def _same(mechanisms: list[Mechanism], kind: str | None, artifact: Event | None,
          target: str | None = None) -> Mechanism | None:
    """The mechanism already found for this artifact (same mechanism id) or target."""
    ident = artifact.attrs.get("mechanism_id") if artifact is not None else None
    name = short_name(artifact.target_id if artifact is not None else target)
    for mechanism in mechanisms:
        if ident and any(a.attrs.get("mechanism_id") == ident for a in mechanism.artifacts):
            return mechanism
        if name and short_name(mechanism.target) == name and kind in (None, mechanism.kind):
            return mechanism
    return None


def _installing_steps(artifact: Event, traces: TraceSet) -> list[Step]:
    """The steps the artifact says installed it (its install list, its own step), else the
    steps of its session that ran the `installed_via` tool on its target."""
    listed = [traces.by_call_id.get(str(c)) for c in
              artifact.attrs.get("install_tool_call_ids") or ()]
    trace = traces.traces.get(artifact.session or NO_SESSION)
    if trace is not None:
        listed += [trace.by_index.get(i) for i in artifact.attrs.get("install_steps") or ()
                   if isinstance(i, int)]
    linked = traces.step_of(artifact)
    found = list({id(s): s for s in [linked, *listed] if s is not None}.values())
    if found:
        return found
    via = artifact.attrs.get("installed_via")
    if not via or trace is None:
        return []
    name = short_name(artifact.target_id)
    return [s for s in trace.steps if s.tool == via
            and (name is None or short_name(s.target) == name)]


def _attach_graph_nodes(mechanisms: list[Mechanism], events: Sequence[Event],
                        traces: TraceSet) -> None:
    by_step = {id(s): m for m in mechanisms for s in m.steps}
    for event in events:
        if event.source != "agent:mcp_node":
            continue
        step = traces.step_of(event)
        if step is not None and id(step) in by_step:
            by_step[id(step)].others.append(event)
            continue
        tool, name = event.attrs.get("tool"), short_name(event.target_id)
        for mechanism in mechanisms:
            if any(s.tool == tool and name and short_name(s.target) == name
                   for s in mechanism.steps):
                mechanism.others.append(event)
                break
