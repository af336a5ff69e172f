"""The reconstructed tool-call chain every agent analyzer anchors to.

A `Step` is one tool call with what the other corpora say about it merged in: the approval row
(who approved it, whether the deployer was online), the stated intent, the tool's result, the
credential used, the network rows it caused. Steps are merged by tool_call_id first, then by
(session, step index). Each trace then gets its human turns and its scope (judging.py): every
step's effects, the turn in force when it ran, and for each effect who allowed it, which
prohibition it broke, or that nothing allowed it.

`traces_of(events, ctx)` builds the whole set once per case and keeps it in
`ctx.shared["traces"]`, so the seven tools share one reconstruction whatever order they run in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Sequence

from ...effects.kinds import READING_KINDS, Effect, action_class_of, strongest_first
from ...effects.secrets import scrub, scrub_json
from ...model import EvidenceRef, Event, HeldText
from ...scope import UNKNOWN, Envelope, ScopeEvidence, envelope_for
from ...taxonomy import tokens
from .judging import TraceScope, annotate, envelope_of, gather, instructions_of

AGENT_SOURCES = ("agent:", "mcp:")       # what every agent tool consumes
NO_SESSION = "(no session)"
STEP_SOURCES = ("agent:tool_call",)
MCP_CALL = "tools/call"
# approver_status values that mean no human looked at the step
NOT_HUMAN = frozenset({"auto", "auto-approved", "autoapproved", "policy", "none", "null",
                       "agent", "self", "unattended", "timeout", "skipped", "missing"})
_CREATING = frozenset({"create", "new", "register", "mkdir", "add", "upload"})
_MUTATION_BY_CLASS = {
    "list": "read", "read": "read", "delete": "deleted", "egress": "sent",
    "permission-change": "changed", "execute": "changed", "authentication": "none",
    "consent": "changed", "other": "none",
}


@dataclass(slots=True, eq=False)
class Step:
    """One tool call of a trace, with every record that speaks about it."""

    session: str
    agent: str | None
    index: int
    parent: int | None
    time: str | None
    tool: str
    action_class: str
    target: str | None
    outcome: str | None
    tool_call_id: str | None
    call: Event
    approver: str | None = None
    approval_row: Event | None = None      # the accountability record about the step
    intents: tuple[Event, ...] = ()
    results: tuple[Event, ...] = ()
    network: tuple[Event, ...] = ()
    credentials: tuple[Event, ...] = ()
    # what the effects layer says (judging.annotate)
    turn: int | None = None                # index of the human turn in force (Trace.turns)
    effects: tuple[Effect, ...] = ()
    fully_parsed: bool = True
    payload_hits: tuple[Any, ...] = ()
    notes: tuple[str, ...] = ()
    judgements: tuple[Any, ...] = ()       # effects.envelope.Judgement, one per effect
    redone: tuple[Any, ...] = ()           # (effect, Rejection): rejected, done another way

    @property
    def beyond(self) -> tuple[Any, ...]:
        """Judgements of effects nothing allowed."""
        return tuple(j for j in self.judgements if j.beyond is not None)

    @property
    def broken(self) -> tuple[Any, ...]:
        """Judgements of effects a prohibition in force forbade."""
        return tuple(j for j in self.judgements if j.broken is not None)

    @property
    def breach(self) -> str | None:
        """Why the step goes beyond what was allowed (one clause), None when it does not."""
        for judgement in self.broken + self.beyond:
            return judgement.statement
        return None

    @property
    def approval(self) -> str:
        """approved / auto-approved / rejected / unknown, as the runtime recorded it."""
        value = self.call.attrs.get("approval")
        if value:
            return str(value)
        if self.outcome == "rejected":
            return "rejected"
        return "approved" if self.human_approved else "unknown"

    @property
    def approval_ref(self) -> EvidenceRef | None:
        given = self.call.attrs.get("approval_ref")
        if isinstance(given, dict) and given.get("sha256") and given.get("locator"):
            return EvidenceRef(str(given["sha256"]), str(given["locator"]))
        return self.approval_row.ref if self.approval_row is not None else None

    @property
    def refs(self) -> tuple[EvidenceRef, ...]:
        """The call's own ref first, then its copies in other files, then the approval,
        intent and result rows about it."""
        merged = (self.call.ref,)
        copies = self.call.attrs.get("copies")
        if copies:
            merged += tuple(EvidenceRef(str(c["sha256"]), str(c["locator"])) for c in copies
                            if isinstance(c, dict) and c.get("sha256") and c.get("locator"))
        if self.approval_row is not None:
            merged += (self.approval_row.ref,)
        if self.intents or self.results:
            merged += tuple(e.ref for e in self.intents) + tuple(e.ref for e in self.results)
        return merged

    @property
    def mutation(self) -> str:
        given = self.call.attrs.get("mutation")
        if given:
            return str(given)
        if self.action_class in ("write", "persistence"):
            return "created" if _CREATING.intersection(tokens(self.tool)) else "changed"
        return _MUTATION_BY_CLASS.get(self.action_class, "none")

    @property
    def arguments(self) -> Any:
        return self.call.attrs.get("arguments")

    @property
    def result_text(self) -> str | HeldText | None:
        """The step's output: the call's own and its result records', joined. One long
        output a large source's event let go of stays a HeldText (model.py), which the
        tools read through effects.secrets.scan_text and instruction_text.instructions_in,
        or as text with str()."""
        own = self.call.attrs.get("result_text")
        if not self.results:                   # most steps: the call's own output only
            if type(own) is HeldText:
                return own
            return (str(own) if own else "") or None
        texts = [t for t in [own] + [e.attrs.get("result_text") for e in self.results] if t]
        if len(texts) == 1 and type(texts[0]) is HeldText:
            return texts[0]
        joined = "\n".join(str(t) for t in texts)
        return joined or None

    @property
    def stated_intent(self) -> str | None:
        for event in (self.call, *self.intents):
            if event.attrs.get("stated_intent"):
                return str(event.attrs["stated_intent"])
        return None

    @property
    def credential(self) -> str | None:
        given = self.call.attrs.get("credential")
        if given:
            return str(given)
        for event in self.credentials:
            if event.attrs.get("credential"):
                return str(event.attrs["credential"])
        return None

    @property
    def approver_status(self) -> str | None:
        if self.approval_row is not None and self.approval_row.attrs.get("approver_status"):
            return str(self.approval_row.attrs["approver_status"])
        return self.call.attrs.get("approver_status")

    @property
    def deployer_status(self) -> str | None:
        for event in (self.approval_row, self.call):
            if event is not None and event.attrs.get("deployer_status"):
                return str(event.attrs["deployer_status"])
        return None

    @property
    def human_approved(self) -> bool:
        """A human approved this very step: a named approver the record does not mark as
        automatic, or the runtime's own record of the human's approval."""
        if self.call.attrs.get("approval") == "approved":
            return True
        if not self.approver or not str(self.approver).strip():
            return False
        status = (self.approver_status or "").lower()
        return status not in NOT_HUMAN

    @property
    def transfer_bytes(self) -> int:
        """The largest amount of data one of the step's network rows moved, either way."""
        if not self.network:
            return 0
        return max(max(e.bytes_out or 0, e.bytes_in or 0) for e in self.network)

    def anchor(self) -> dict[str, Any]:
        """The Finding fields that place a finding on this step."""
        return {"time": self.time, "step": self.index, "session": self.session,
                "actor": self.agent, "target": self.target}

    def to_json(self, cwd_changed: bool = False) -> dict[str, Any]:
        """The CONTRACT.md `traces[].steps[]` entry."""
        return vars(_StepJson(self, cwd_changed))


class _StepJson:
    """Lends its __dict__ as one `traces[].steps[]` entry. The attribute dicts of one class
    share a single key table in CPython (PEP 412; see model._RefJson), so a trace of a
    million steps does not store these keys a million times. Plain dicts to readers.
    The additions of 2026-12 (turn, cwd, approval, effects, allowed_by) are written only
    where they say something."""

    def __init__(self, step: Step, cwd_changed: bool) -> None:
        self.index = step.index
        self.parent = step.parent
        self.time = step.time
        self.tool = step.tool
        self.action_class = step.action_class
        self.target = scrub(step.target) if step.target else step.target
        self.approver = step.approver
        self.outcome = step.outcome
        self.mutation = step.mutation
        self.tool_call_id = step.tool_call_id
        credential = step.credential
        if credential is not None:
            self.credential = credential
        self.refs = [r.to_json() for r in dict.fromkeys(step.refs)]      # each ref once
        if step.agent and step.call.attrs.get("agent_id"):
            self.agent = step.agent
        if step.turn is not None:
            self.turn = step.turn
        if cwd_changed:
            self.cwd = step.call.attrs.get("cwd")
        if step.approval != "unknown":
            ref = step.approval_ref
            self.approval = {"value": step.approval, "ref": ref.to_json() if ref else None}
        if step.effects:
            self.effects = _effects_list(step.effects)
            allowed = tuple(j.allowed_by for j in step.judgements
                            if j.allowed_by is not None and _worth_saying(j.effect))
            if allowed:
                self.allowed_by = _allowed_list(allowed)
        if not step.fully_parsed:
            self.fully_parsed = False


@lru_cache(maxsize=65536)
def _effects_list(effects: tuple[Effect, ...]) -> list[dict[str, Any]]:
    """A step's `effects`: one list for every step with the same effects (read, never
    changed)."""
    return [_effect_json(e) for e in effects]


@lru_cache(maxsize=65536)
def _effect_json(effect: Effect) -> dict[str, Any]:
    """An effect as a step writes it: one dict for every step with the same effect (a long
    session reads and runs the same few things again and again). Read, never changed."""
    return scrub_json(effect.to_json())


@lru_cache(maxsize=65536)
def _allowed_list(allowed: tuple[Any, ...]) -> list[dict[str, Any]]:
    """A step's `allowed_by`, scrubbed: one list for every step allowed by the same
    things (as _effect_json: read, never changed)."""
    return scrub_json([_allowed_json(a) for a in allowed])


def _allowed_json(allowed: Any) -> dict[str, Any]:
    """A step's `allowed_by`. A turn's quote names the turn by its index into the trace's
    `turns` (which holds the turn's ref and text once): {"source": "turn", "turn": N,
    "quote": "..."}; the text ('turn N: “quote”') and the ref (the turn's) would repeat it.
    Anything else (a condition seen, a named file, an envelope, baseline or instructions
    rule) is written whole."""
    if allowed.source == "turn" and allowed.rule is None and allowed.quote is not None and \
            allowed.text == f"turn {allowed.turn}: \u201c{allowed.quote}\u201d":
        return {"source": "turn", "turn": allowed.turn, "quote": allowed.quote}
    return allowed.to_json()


def _worth_saying(effect: Effect) -> bool:
    """An effect beyond reading and editing inside the repository: its `allowed_by` is
    shown, so a reviewer sees why it stayed quiet."""
    if effect.kind in READING_KINDS or effect.kind == "exec":
        return False
    return not (effect.kind in ("file-write", "file-delete")
                and effect.where in ("repo", "temp", "agent-state"))


@dataclass(eq=False)
class Trace:
    session: str
    agent: str | None
    steps: list[Step]
    scope: TraceScope | None = None         # envelope, instructions, session facts
    by_index: dict[int, Step] = field(default_factory=dict)
    # the evidence files its steps come from ({sha256, path}), when session assembly joined
    # more than one (a sub-agent's file, the per-server logs of one MCP client, copies)
    files: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_index = {step.index: step for step in self.steps}

    @property
    def window(self) -> tuple[str | None, str | None]:
        times = [s.time for s in self.steps if s.time]
        return (min(times), max(times)) if times else (None, None)

    @property
    def turns(self) -> list[Any]:
        return self.scope.facts.turns if self.scope is not None else []

    def to_json(self) -> dict[str, Any]:
        steps, cwd = [], None
        for step in self.steps:
            here = step.call.attrs.get("cwd")
            steps.append(step.to_json(cwd_changed=bool(here) and here != cwd))
            cwd = here or cwd
        out: dict[str, Any] = {"session": self.session, "agent": self.agent, "steps": steps}
        if self.turns:
            out["turns"] = [t.to_json() for t in self.turns]
        if self.scope is not None:
            out["scope"] = self.scope.to_json()
            standing = [{"ref": e.ref.to_json(), "path": e.attrs.get("path")}
                        for e in self.scope.facts.standing]
            if standing:
                out["instructions"] = standing
        if len(self.files) > 1:
            out["files"] = self.files
        return out


@dataclass(eq=False)
class TraceSet:
    """All traces of a case plus the indexes analyzers use to anchor other records."""

    traces: dict[str, Trace]
    by_call_id: dict[str, Step]
    envelopes: dict[str | None, Envelope]
    key: tuple = ()

    def steps(self) -> Iterable[Step]:
        for session in sorted(self.traces):
            yield from self.traces[session].steps

    def step_of(self, event: Event) -> Step | None:
        """The step a record speaks about: by tool_call_id, else by (session, step index)."""
        call_id = event.attrs.get("tool_call_id")
        if call_id and str(call_id) in self.by_call_id:
            return self.by_call_id[str(call_id)]
        if event.step is not None:
            trace = self.traces.get(event.session or NO_SESSION)
            if trace is None and len(self.traces) == 1 and not event.session:
                trace = next(iter(self.traces.values()))
            if trace is not None:
                return trace.by_index.get(event.step)
        return None

    def envelope(self, agent: str | None) -> Envelope:
        """The scope a grant is compared with (scope.py: baseline, or the runtime config)."""
        return self.envelopes.get(agent) or self.envelopes.get(None) or UNKNOWN

    def scope_of(self, agent: str | None) -> TraceScope | None:
        """The scope of the agent's trace (of the only trace, for records naming none)."""
        scoped = [t.scope for t in self.traces.values() if t.scope is not None
                  and (agent is None or t.agent == agent)]
        return scoped[0] if len(scoped) == 1 or (scoped and agent is not None) else None

    def to_json(self) -> list[dict[str, Any]]:
        return [self.traces[s].to_json() for s in sorted(self.traces)]


def traces_of(events: Sequence[Event], ctx: Any) -> TraceSet:
    """The case's traces, built once and kept in ctx.shared["traces"]."""
    key = _fingerprint(events, getattr(ctx, "baseline", None))
    shared = getattr(ctx, "shared", None)
    cached = shared.get("traces") if shared is not None else None
    if isinstance(cached, TraceSet) and cached.key == key:
        return cached
    built = build_traces(events, getattr(ctx, "baseline", None))
    built.key = key
    _member_files(built, getattr(ctx, "evidence", None) or ())
    if shared is not None:
        shared["traces"] = built
    return built


def _member_files(found: TraceSet, evidence: Iterable[Any]) -> None:
    """Each trace's member files: those its calls (and their copies) were read from."""
    paths = {f.sha256: f.path for f in evidence}
    for trace in found.traces.values():
        shas = {step.call.ref.sha256 for step in trace.steps}
        for step in trace.steps:
            for copy in step.call.attrs.get("copies") or ():
                if isinstance(copy, dict) and copy.get("sha256"):
                    shas.add(copy["sha256"])
        if len(shas) > 1:
            trace.files = sorted(({"sha256": sha, "path": paths.get(sha, "")} for sha in shas),
                                 key=lambda f: (f["path"], f["sha256"]))


def _fingerprint(events: Sequence[Event], baseline: Any) -> tuple:
    if not events:
        return (0, id(baseline))
    return (len(events), events[0].ref, events[-1].ref, id(baseline))


def _order(event: Event) -> tuple:
    return (event.time or "", event.step if event.step is not None else 0, event.ref)


def build_traces(events: Iterable[Event], baseline: Any = None) -> TraceSet:
    by_source: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_source[event.source].append(event)
    sessions: dict[str, list[Event]] = defaultdict(list)
    for event in _call_events(by_source):
        sessions[event.session or NO_SESSION].append(event)
    traces: dict[str, Trace] = {}
    for session, calls in sessions.items():
        steps = _steps_of(session, calls, by_source)
        agent = next((s.agent for s in steps if s.agent and not s.call.attrs.get("agent_id")),
                     None) or next((s.agent for s in steps if s.agent), None)
        traces[session] = Trace(session, agent, steps)
    by_call_id = {step.tool_call_id: step for trace in traces.values()
                  for step in trace.steps if step.tool_call_id}
    found = TraceSet(traces, by_call_id, {})
    _merge(found, by_source)
    found.envelopes = _envelopes(traces, by_source, baseline)
    scoped: dict[str, list[Event]] = defaultdict(list)
    for source in SCOPE_SOURCES:
        for event in by_source.get(source, ()):
            scoped[event.session or NO_SESSION].append(event)
    configs = by_source.get("agent:config", ())
    for trace in traces.values():
        session_events = scoped.get(trace.session, [])
        session_events += [c for c in configs if c.session in (None, trace.session)
                           and c.actor_id in (None, trace.agent)]
        facts = gather(session_events, [s.call for s in trace.steps])
        trace.scope = TraceScope(envelope_of(facts, trace.agent, baseline),
                                 instructions_of(facts), facts)
        annotate(trace.steps, trace.scope)
        for step in trace.steps:
            _settle(step)
    return found


# What the judgement needs besides the calls: turns, instruction files, session records,
# and the accountability rows that tell whether the source records approvals.
SCOPE_SOURCES = ("agent:prompt", "agent:instructions", "agent:session", "agent:approval")


def _settle(step: Step) -> None:
    """A call the runtime did not class (conversation logs) takes its class from its
    effects, and its target from its most telling effect."""
    if step.effects and step.action_class == "other":
        step.action_class = action_class_of(step.effects)
    if step.target is None and step.effects:
        telling = strongest_first([e for e in step.effects if e.kind not in READING_KINDS]
                                  or list(step.effects))
        step.target = next((e.object for e in telling if e.object and e.object != "."
                            and not e.object.startswith("(")), None)


def _call_events(by_source: dict[str, list[Event]]) -> list[Event]:
    """agent:tool_call records; MCP tools/call requests only for sessions without them."""
    calls = list(by_source.get("agent:tool_call", ()))
    covered = {e.session or NO_SESSION for e in calls}
    calls += [e for e in by_source.get("mcp:request", ())
              if is_mcp_call(e) and (e.session or NO_SESSION) not in covered]
    return calls


def is_mcp_call(event: Event) -> bool:
    """An MCP JSON-RPC tools/call request (the method as logged, else the event's action)."""
    return (event.source == "mcp:request"
            and (event.attrs.get("method") or event.action) == MCP_CALL)


def _steps_of(session: str, calls: list[Event], by_source: dict[str, list[Event]]) -> list[Step]:
    ordered = sorted(calls, key=_order)
    results = _mcp_results(session, by_source) if ordered and ordered[0].source != \
        "agent:tool_call" else {}
    steps = []
    for position, event in enumerate(ordered, start=1):
        call_id = event.attrs.get("tool_call_id") or event.attrs.get("jsonrpc_id")
        step = Step(
            session=session, agent=event.actor_id,
            index=event.step if event.step is not None else position,
            parent=event.parent_step, time=event.time,
            tool=str(event.attrs.get("tool") or event.action), action_class=event.action_class,
            target=event.target_id, outcome=event.outcome,
            tool_call_id=str(call_id) if call_id is not None else None, call=event,
            approver=event.approver)
        if step.tool_call_id in results:
            step.results = (results[step.tool_call_id],)
        steps.append(step)
    steps.sort(key=lambda s: (s.index, s.time or ""))
    return steps


def _mcp_results(session: str, by_source: dict[str, list[Event]]) -> dict[str, Event]:
    return {str(e.attrs.get("jsonrpc_id")): e for e in by_source.get("mcp:result", ())
            if (e.session or NO_SESSION) == session and e.attrs.get("jsonrpc_id") is not None}


def _merge(lookup: TraceSet, by_source: dict[str, list[Event]]) -> None:
    """Attach approval, intent, result, credential and network rows to their steps."""
    for event in sorted(by_source.get("agent:approval", ()), key=_order):
        step = lookup.step_of(event)
        if step is not None and step.approval_row is None:
            step.approval_row = event
            if event.approver:
                step.approver = event.approver
    for source, slot in (("agent:intent", "intents"), ("agent:tool_result", "results"),
                         ("agent:credential_use", "credentials"), ("agent:network", "network")):
        for event in sorted(by_source.get(source, ()), key=_order):
            step = lookup.step_of(event)
            if step is not None:
                setattr(step, slot, getattr(step, slot) + (event,))


def _envelopes(traces: dict[str, Trace], by_source: dict[str, list[Event]],
               baseline: Any) -> dict[str | None, Envelope]:
    """One envelope per agent (plus None for records that name no agent)."""
    agent_of_session = {s: trace.agent for s, trace in traces.items()}
    gathered: dict[str | None, ScopeEvidence] = defaultdict(ScopeEvidence)
    for source in ("agent:config", "agent:prompt", "agent:intent"):
        for event in by_source.get(source, ()):
            agent = event.actor_id if source == "agent:config" else None
            agent = agent or agent_of_session.get(event.session or NO_SESSION)
            gathered[agent].add(event)
    agents = set(agent_of_session.values()) | set(gathered)
    envelopes = {agent: envelope_for(agent, gathered.get(agent, ScopeEvidence()), baseline)
                 for agent in agents}
    if None not in envelopes or not envelopes[None].known:
        known = [e for a, e in envelopes.items() if a is not None and e.known]
        envelopes[None] = known[0] if len(known) == 1 else envelope_for(
            None, gathered.get(None, ScopeEvidence()), baseline)
    return envelopes
