"""What each step of a trace does to the world, and who allowed it.

The effects layer applied to one trace, once, for all seven tools:
- the human's turns of the session (human-typed prompts, a framework template's task text),
  in order, and the project instruction files as standing instructions
  (`effects.human.Instructions`);
- the envelope that applies: the baseline entry of the agent, else the scope its runtime
  config declares, else the default envelope of its kind (coding, desktop; unknown: the
  narrowest) (`effects.envelope`);
- each step's effects, in order, through one `effects.session.SessionEffects` (scripts the
  session wrote, sensitive content read for the payload check, the working directory);
- the turn in force at each step, and each effect judged against the turn's directives and
  the envelope: allowed (by whom), a prohibition broken, beyond both, an approval the human
  asked for still pending; an effect the human rejected and the agent achieved another way.
"""

from __future__ import annotations

import posixpath
import re
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Iterable, Iterator, Sequence

from ...effects import envelope as envelopes
from ...effects.human import Instructions, TurnReading, read_instructions, read_turn
from ...effects.kinds import Effect
from ...effects.secrets import scrub
from ...effects.paths import infer_root
from ...effects.session import SessionEffects
from ...effects.tools import means_of, tool_effects
from ...model import EvidenceRef, Event
from ...scope import baseline_agent

TEST_WORD = re.compile(r"(?i)(?:^|[\s/_.:-])(?:tests?|pytest|jest|vitest|mocha|rspec|tox|nox|"
                       r"phpunit|unittest|spec)(?:$|[\s/_.:-])")
TURN_TEXT = 2000          # a turn is kept in the trace whole up to this many characters


@dataclass(frozen=True)
class Turn:
    """One human turn of a trace: its position in `Trace.turns`, its record and text."""

    index: int
    event: Event
    text: str

    @property
    def ref(self) -> EvidenceRef:
        return self.event.ref

    def to_json(self) -> dict[str, Any]:
        text = scrub(self.text)
        if len(text) > TURN_TEXT:
            text = text[:TURN_TEXT - 1] + "…"
        return {"index": self.index, "ref": self.ref.to_json(), "text": text}


@dataclass
class SessionFacts:
    """What a trace's session says beyond its steps, gathered from its events."""

    turns: list[Turn] = field(default_factory=list)
    standing: list[Event] = field(default_factory=list)        # agent:instructions
    meta: list[Event] = field(default_factory=list)            # agent:session
    configs: list[Event] = field(default_factory=list)         # agent:config
    calls: list[Event] = field(default_factory=list)
    # the source records the human's approvals (accountability rows, or calls it marks
    # approved): a call it does not mark was then not approved by a human. A denial alone
    # does not say so: Claude Code logs the calls a human refused, never those it allowed.
    records_approvals: bool = False
    inferred_root: str | None = None     # a working directory read off the steps' paths

    @property
    def agent_kind(self) -> str | None:
        for event in self.meta:
            kind = event.attrs.get("agent_kind")
            if kind:
                return str(kind)
        for event in (*self.meta, *self.calls[:1]):
            kind = envelopes.agent_kind_of(event.attrs.get("runtime"))
            if kind:
                return kind
        return None

    @property
    def cwd(self) -> str | None:
        return next((str(e.attrs["cwd"]) for e in self.meta if e.attrs.get("cwd")), None)


def task_text(event: Event) -> str | None:
    """The words of a human turn: a typed prompt's text, a framework template's task."""
    if event.source != "agent:prompt" or event.attrs.get("role") != "user":
        return None
    kind = event.attrs.get("turn_kind", "human-typed")
    if kind == "human-typed":
        return str(event.attrs.get("text") or "") or None
    if kind == "framework-template":
        return str(event.attrs.get("task_text") or "") or None
    return None


def position(event: Event, by_time: bool) -> tuple:
    """Where an event stands in its session: file order (`seq`) within one file; time first
    when the session spans files (then file order breaks ties)."""
    seq = event.attrs.get("seq")
    order = seq if isinstance(seq, int) else 0
    if by_time:
        return (event.time or "", event.ref.sha256, order)
    return (order,)


def gather(session_events: Iterable[Event], calls: Sequence[Event]) -> SessionFacts:
    """The turns (in order), instruction files, session records and configs of a session."""
    facts = SessionFacts(calls=list(calls))
    prompts = []
    for event in session_events:
        if task_text(event):
            prompts.append(event)
        elif event.source == "agent:instructions":
            facts.standing.append(event)
        elif event.source == "agent:session":
            facts.meta.append(event)
        elif event.source == "agent:config":
            facts.configs.append(event)
        elif event.source == "agent:approval":
            facts.records_approvals = True
    by_time = len({e.ref.sha256 for e in (*prompts, *calls)}) > 1
    prompts.sort(key=lambda e: position(e, by_time))
    facts.turns = [Turn(i, e, task_text(e) or "") for i, e in enumerate(prompts)]
    if any(c.attrs.get("approval") == "approved" for c in calls):
        facts.records_approvals = True
    return facts


def instructions_of(facts: SessionFacts) -> Instructions:
    readings: list[TurnReading] = [read_turn(t.text, t.index, t.ref) for t in facts.turns]
    standing = [read_instructions(str(e.attrs.get("text") or ""), e.ref)
                for e in facts.standing if e.attrs.get("text")]
    return Instructions(readings, standing=standing)


def envelope_of(facts: SessionFacts, agent: str | None, baseline: Any) -> envelopes.Envelope:
    """The baseline entry of the agent, else its declared scope, else its kind's default."""
    entry = baseline_agent(baseline, agent)
    if entry is not None:
        return envelopes.baseline_envelope(entry, sha256=_get(baseline, "sha256"))
    for config in sorted(facts.configs, key=lambda e: (e.time or "", e.ref)):
        declared = envelopes.declared_from_config(config.attrs, config.ref, agent)
        if declared is not None:
            return declared
    return envelopes.default_envelope(facts.agent_kind)


def _get(obj: Any, key: str, default: Any = None) -> Any:
    return obj.get(key, default) if isinstance(obj, dict) else getattr(obj, key, default)


def turn_of(call: Event, turns: Sequence[Turn], by_time: bool,
            positions: Sequence[tuple] | None = None) -> int | None:
    """The index of the last turn before the call (None: no turn yet). `positions`: the
    turns' positions, given once for many calls (the turns are in position order)."""
    if positions is None:
        positions = [position(turn.event, by_time) for turn in turns]
    found = bisect_right(positions, position(call, by_time))
    return turns[found - 1].index if found else None


def is_test_run(step: Any, effects: Sequence[Effect]) -> bool:
    """A step that ran a test suite and succeeded: the condition `tests-pass`."""
    if step.outcome != "success" or not any(e.kind == "exec" and e.detail == "dev-tool"
                                            for e in effects):
        return False
    command = str(step.call.attrs.get("arguments") or "")
    return bool(TEST_WORD.search(command) or TEST_WORD.search(str(step.tool)))


@dataclass
class TraceScope:
    """What governs one trace: the envelope that applies, the human's instructions, and the
    facts of its session. Judges effects; says where its scope came from."""

    envelope: envelopes.Envelope
    instructions: Instructions
    facts: SessionFacts

    @property
    def refs(self) -> tuple[EvidenceRef, ...]:
        return self.envelope.refs

    def describe(self) -> str:
        """Where the scope came from, phrased for a finding's statement."""
        env = self.envelope
        if env.name == "baseline":
            return f"baseline scope for agent {env.label.removeprefix('baseline ')}"
        if env.name == "declared":
            where = f" ({_located(env.refs[0].locator)})" if env.refs else ""
            return f"scope inferred from the agent:config{where}"
        said = ("no human turn is in the evidence" if self.instructions.missing else
                f"{len(self.facts.turns)} human turn(s) read")
        root = (f"; working directory inferred from the paths the steps name: "
                f"{self.facts.inferred_root}" if self.facts.inferred_root else "")
        return f"{env.phrase}; {said}{root}"

    def judge(self, effect: Effect, turn: int | None = None, seen: Any = (), *,
              tool: str | None = None, resource: str | None = None,
              approval: str | None = None) -> envelopes.Judgement:
        return envelopes.judge(effect, self.envelope, self.instructions, turn, seen,
                               tool=tool, resource=resource, approval=approval)

    def leaves_tool(self, tool: str, target: str | None = None) -> str | None:
        """Why calling `tool` (arguments unknown) goes beyond this scope, or None: for graph
        nodes and tools a server offers that no step shows."""
        arguments = {"path": target, "url": target} if target else {}
        latest = self.facts.turns[-1].index if self.facts.turns else None
        for effect in tool_effects(tool, arguments).effects:
            verdict = self.judge(effect, latest, tool=tool, resource=target)
            if verdict.broken is not None or verdict.beyond is not None:
                return verdict.statement
        return None

    def to_json(self) -> dict[str, Any]:
        out = {"envelope": self.envelope.name, "label": self.envelope.label,
               "description": self.describe()}
        if self.instructions.unresolved:
            out["unresolved"] = [{"quote": d.quote, "turn": d.turn,
                                  "ref": d.ref.to_json() if d.ref else None}
                                 for d in self.instructions.unresolved]
        if self.instructions.not_parsed:
            out["intent_not_parsed"] = [r.turn for r in self.instructions.not_parsed]
        return out


GENERIC_OBJECT = re.compile(r"^[a-z0-9-]+:[a-z][a-z-]*$")   # "s3:object": no name known


@lru_cache(maxsize=65536)     # a session does the same few things to the same few targets
def _named(effects: tuple[Effect, ...], target: str | None) -> tuple[Effect, ...]:
    """Effects whose object the arguments did not name take the object the runtime's own
    record names (the call's target), so a finding says what was touched."""
    if not target:
        return effects
    return tuple(replace(e, object=target) if e.object is None or e.object.startswith("(")
                 or GENERIC_OBJECT.match(e.object) else e for e in effects)


ROOT_SAMPLE = 300           # steps read to infer the working directory of a session without one
_ABSOLUTE = re.compile(r"(?<![\w.~$:/-])/[\w.@+-]+/[\w.@+/-]+")


def _inferred_root(steps: Sequence[Any], recorded: str | None) -> str | None:
    """The directory a coding session works in, read off the paths its steps name, when the
    log records none, or records one (a sandbox's start folder) that most paths lie outside."""
    paths = list(_named_paths(steps[:ROOT_SAMPLE]))
    found = infer_root(paths)
    if found is None or recorded is None:
        return found
    base = recorded.rstrip("/") + "/"
    if found.startswith(base) or base.startswith(found.rstrip("/") + "/") or \
            found == recorded.rstrip("/"):
        return None                     # the same tree as the recorded directory
    inside = sum(p.startswith(base) for p in paths)
    under = sum(p == found or p.startswith(found + "/") for p in paths)
    return found if under > inside else None


def _named_paths(steps: Sequence[Any]) -> Iterator[str]:
    """Absolute paths the steps' arguments name (values and words of commands)."""
    for step in steps:
        for value in _strings(step.arguments):
            yield from _ABSOLUTE.findall(value)


# Argument keys that carry what a file holds, not where the agent works: the paths in a
# file's text (a README's "/scripts/run.py") say nothing of the working directory.
CONTENT_KEYS = frozenset({"content", "contents", "new_string", "old_string", "new_str",
                          "old_str", "file_text", "text", "new_text", "old_text", "todos",
                          "description", "prompt", "message", "body", "code", "questions"})


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif depth < 4 and isinstance(value, dict):
        for key, item in value.items():
            if key not in CONTENT_KEYS:
                yield from _strings(item, depth + 1)
    elif depth < 4 and isinstance(value, list):
        for item in value:
            yield from _strings(item, depth + 1)


FILE_KINDS = frozenset({"file-read", "file-write", "file-delete", "credential-read",
                        "persistence-write"})


@lru_cache(maxsize=65536)     # one Effect for every judgement of the same file from one place
def _absolute(effect: Effect, cwd: str | None, home: str | None) -> Effect:
    """A file effect with its object as an absolute path, for judging: what the human named
    ("outside /per/dev/shell-ws", "under docs/") is compared with where the file really is.
    The step keeps the object as the effects layer showed it."""
    obj = effect.object
    if effect.kind not in FILE_KINDS or not obj or obj.startswith("/") or ":" in obj[:3]:
        return effect
    if obj == "~" or obj.startswith("~/"):
        return replace(effect, object=posixpath.join(home, obj[2:])) if home else effect
    if not cwd or " " in obj.split("/", 1)[0]:
        return effect
    return replace(effect, object=posixpath.normpath(posixpath.join(cwd, obj)))


def _approved(judgement: envelopes.Judgement, step: Any) -> envelopes.Judgement:
    """A step the human approved in the runtime (Codex, Cline, Aider, OpenHands prompts, an
    accountability record naming them): what it does was allowed by that approval."""
    if judgement.allowed_by is not None:
        return judgement
    ref = step.approval_ref
    where = f" ({ref.locator})" if ref is not None else ""
    allowed = envelopes.AllowedBy("approval", f"approved by the human in the runtime{where}",
                                  ref=ref)
    return replace(judgement, allowed_by=allowed, broken=None, beyond=None)


def _located(locator: str) -> str:
    return "document root" if locator == "json:" else locator


def _shared_judgement(alike: dict[tuple, envelopes.Judgement],
                      judgement: envelopes.Judgement) -> envelopes.Judgement:
    """One Judgement object for the steps of a trace judged alike: the same effect, rule and
    directive objects (shared through the caches above) and equal plain fields. The key
    holds object ids, valid while the judgement kept under it holds the objects."""
    j = judgement
    key = (id(j.effect), id(j.allowed_by), id(j.broken), j.beyond, id(j.awaiting),
           j.instructions_missing, tuple(map(id, j.unresolved)), j.unread)
    return alike.setdefault(key, judgement)


def annotate(steps: Sequence[Any], scope: TraceScope) -> None:
    """Give every step (in index order) its turn, effects and judgements."""
    facts = scope.facts
    by_time = len({s.call.ref.sha256 for s in steps} | {t.ref.sha256 for t in facts.turns}) > 1
    root = facts.cwd or next((str(s.call.attrs["cwd"]) for s in steps
                              if s.call.attrs.get("cwd")), None)
    given = _inferred_root(steps, root) if facts.agent_kind == "coding" else None
    facts.inferred_root = given
    session = SessionEffects(cwd=root or given, repo_root=given)
    seen: dict[str, int] = {}
    alike: dict[tuple, envelopes.Judgement] = {}
    positions = [position(turn.event, by_time) for turn in facts.turns]
    for step in steps:
        step.turn = turn_of(step.call, facts.turns, by_time, positions)
        acts = step.call.attrs.get("acts_as")
        tool, arguments = (acts["tool"], acts["arguments"]) if isinstance(acts, dict) else \
            (step.tool, step.arguments)
        out = session.step(str(step.index), tool, arguments,
                           cwd=step.call.attrs.get("cwd"), result_text=step.result_text,
                           outcome=step.outcome)
        step.effects = _named(out.effects, step.call.target_id)
        step.fully_parsed = out.fully_parsed
        step.payload_hits, step.notes = out.payload_hits, out.notes
        # how the call acts matters only to rejected calls and what may redo them
        means = means_of(tool, arguments) if step.outcome == "rejected" or \
            scope.instructions.rejections else frozenset()
        if step.outcome == "rejected":
            for effect in step.effects:
                scope.instructions.reject(effect, step=step.index, ref=step.approval_ref,
                                          turn=step.turn, means=means)
            continue
        judged, redone = [], []
        here = step.call.attrs.get("cwd") or session.cwd
        for effect in step.effects:
            judged.append(_shared_judgement(alike, scope.judge(
                _absolute(effect, here, session.home), step.turn, seen, tool=step.tool,
                resource=step.target, approval=step.approval)))
            again = scope.instructions.rejected_then_achieved(
                effect, step=step.index, turn=step.turn, seen=seen, means=means)
            if again is not None:
                redone.append((effect, again))
        if step.approval == "approved":
            judged, redone = [_approved(j, step) for j in judged], []
        step.judgements, step.redone = tuple(judged), tuple(redone)
        if step.turn is not None and is_test_run(step, step.effects):
            seen["tests-pass"] = step.turn
