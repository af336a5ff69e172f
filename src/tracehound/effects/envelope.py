"""What an agent may do without being asked, and the judgement of one effect.

An `Envelope` is a list of rules, each with an id and a sentence a step's `allowed_by` can
cite ("envelope coding: local git including commits"). The default envelopes by agent kind
are data (`data/envelopes.yaml`): `coding`, `desktop`, `unknown` (the narrowest: reading
only). A declared scope (an agent's runtime config: scope_actions / scope_resources /
scope_tools, or its deployed prompt) and a baseline entry (CONTRACT.md B1-B5) replace the
default envelope.

`judge(effect, envelope, instructions, turn, seen)` answers who allowed an effect:
1. a prohibition in force that covers it -> `broken` (that directive, with its quote);
2. else a grant in force -> `allowed_by` the turn (ref and quote);
3. else a rule of the envelope -> `allowed_by` the rule;
4. else `beyond`: a clause naming the effect and why nothing allowed it.
`awaiting` is set when an approval the human asked for is pending and the effect changes
state. With no human turn in the evidence the envelope alone applies and the judgement says
the instructions are missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..model import EvidenceRef
from .coverage import is_production
from .human import STANDING, Decision, Directive, Instructions, Seen, read_turn
from .kinds import EFFECT_KINDS, READING_KINDS, Effect
from .secrets import scrub
from .tables import table

TABLE_PATH = Path(__file__).with_name("data") / "envelopes.yaml"
RESOURCE_KINDS = frozenset({"cloud-read", "cloud-write", "cloud-delete"})
DEFAULT_KINDS = ("coding", "desktop", "unknown")
_ARN_S3 = "arn:aws:s3:::"
READS_THAT_LIST = frozenset({"cloud-read", "file-read"})
_LISTING_TOOL = re.compile(r"(?i)(?:^|[._/-])(?:list|ls|describe|get-resources|search|find)"
                           r"(?:[._/-]|$)")


def _lists(effect: Effect, tool: str | None) -> bool:
    """A read that lists (a container, a directory) rather than reads content."""
    return str(effect.object or "").endswith("/") or bool(tool and _LISTING_TOOL.search(tool))


@dataclass(frozen=True)
class Rule:
    """One thing an envelope allows."""

    id: str
    sentence: str
    kinds: frozenset[str]
    where: frozenset[str | None] | None = None     # allowed object classes (None: any)
    not_where: frozenset[str] = frozenset()
    production: bool | None = None                # False: never a production object
    tool: str | None = None                        # a glob over the step's tool name
    resources: tuple[str, ...] = ()                # globs the step's resource must match
    listing: bool = False                          # reads only when they list (action list)

    def allows(self, effect: Effect, tool: str | None = None,
               resource: str | None = None) -> bool:
        if effect.kind not in self.kinds:
            return False
        if self.listing and effect.kind in READS_THAT_LIST and not _lists(effect, tool):
            return False
        if self.where is not None and effect.where not in self.where:
            return False
        if effect.where is not None and effect.where in self.not_where:
            return False
        if self.production is False and is_production(effect):
            return False
        if self.tool is not None and not (tool and _glob(self.tool, tool)):
            return False
        return not self.resources or _resource_ok(effect, resource, self.resources)


MAX_ANSWERS = 65536       # rule_for answers an envelope keeps


@dataclass(frozen=True)
class Envelope:
    """What an agent may do by default: its rules and where they came from."""

    name: str                     # coding | desktop | unknown | declared | baseline
    label: str                    # how allowed_by names it: "envelope coding"
    description: str
    rules: tuple[Rule, ...]
    narrowest: bool = False
    inferred: bool = True
    tools: tuple[str, ...] = ()   # tools the scope names: a step through another is beyond
    resources: tuple[str, ...] = ()
    refs: tuple[EvidenceRef, ...] = ()
    standing: tuple[Directive, ...] = ()   # what the declared prompt forbids (not applied)
    # rule_for's answers, per (effect, tool, resource): a trace asks the same a million times
    _answers: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def phrase(self) -> str:
        """The envelope as the object of a sentence."""
        if self.name in DEFAULT_KINDS:
            text = f"the {self.name} envelope"
            return f"{text} ({self.description})" if self.narrowest else text
        return f"the {self.label}"

    def rule_for(self, effect: Effect, tool: str | None = None,
                 resource: str | None = None) -> tuple[Rule | None, str | None]:
        """The first rule allowing the effect, or None and (when it is why) the tool or
        resource the scope does not allow."""
        key = (effect, tool, resource)
        found = self._answers.get(key)
        if found is None:
            if len(self._answers) >= MAX_ANSWERS:
                self._answers.clear()
            found = self._answers[key] = self._rule_for(effect, tool, resource)
        return found

    def _rule_for(self, effect: Effect, tool: str | None,
                  resource: str | None) -> tuple[Rule | None, str | None]:
        rules = self.rules
        if self.tools and tool:
            rules = tuple(r for r in rules if r.tool is not None and _glob(r.tool, tool))
            if not rules:
                return None, f" through {tool}, which is not among the tools"
        for rule in rules:
            if rule.allows(effect, tool, resource):
                return rule, None
        if self.resources and any(effect.kind in r.kinds for r in rules):
            shown = f" on {resource}" if resource and resource != effect.object else ""
            return None, f"{shown}, which matches none of the resources"
        return None, None

    def cite(self, rule: Rule) -> str:
        return f"{self.label}: {rule.sentence}"

    def allowed_by(self, rule: Rule) -> "AllowedBy":
        """What a step's `allowed_by` says for one of this envelope's rules (made once)."""
        found = self._answers.get(rule.id)
        if found is None:
            found = self._answers[rule.id] = AllowedBy(
                self.name if self.name in ("declared", "baseline") else "envelope",
                self.cite(rule), ref=self.refs[0] if self.refs else None,
                rule=f"{self.name}.{rule.id}")
        return found

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "description": self.description,
                "narrowest": self.narrowest, "inferred": self.inferred,
                "rules": [{"id": r.id, "sentence": r.sentence} for r in self.rules],
                "tools": list(self.tools), "resources": list(self.resources),
                "refs": [r.to_json() for r in self.refs]}


@lru_cache(maxsize=65536)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """`*` any run, `?` one character, case-insensitive, whole string (as baseline.py)."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.lower())
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def _glob(pattern: str, value: str) -> bool:
    return _glob_regex(pattern).match(value.lower()) is not None


def resource_forms(value: str) -> tuple[str, ...]:
    """A resource in the forms a pattern may be written in: ARN, s3:// URI, s3:bucket, bare."""
    lowered = value.strip()
    for prefix in (_ARN_S3, "s3://", "s3:"):
        if lowered.lower().startswith(prefix):
            bare = lowered[len(prefix):]
            return (lowered, bare, "s3://" + bare, _ARN_S3 + bare)
    return (lowered,)


def _resource_ok(effect: Effect, resource: str | None, patterns: Sequence[str]) -> bool:
    target = resource or (effect.object if effect.kind in RESOURCE_KINDS else None)
    if not target:
        return True
    return any(_glob(form_pattern, form) for pattern in patterns
               for form_pattern in resource_forms(pattern) for form in resource_forms(target))


# ----------------------------------------------------------------------------- building

def load_envelopes() -> Mapping[str, Any]:
    return table("envelopes")


def _kinds(names: Iterable[str], groups: Mapping[str, Sequence[str]]) -> frozenset[str]:
    out: set[str] = set()
    for name in names:
        if name.startswith("@"):
            out |= _kinds(groups[name[1:]], groups)
        elif name in EFFECT_KINDS:
            out.add(name)
        else:
            raise ValueError(f"envelopes.yaml: unknown effect kind {name!r}")
    return frozenset(out)


def _rule(row: Mapping[str, Any], groups: Mapping[str, Sequence[str]]) -> Rule:
    where = row.get("where")
    return Rule(id=row["id"], sentence=row["sentence"], kinds=_kinds(row["kinds"], groups),
                where=None if where is None else frozenset(where),
                not_where=frozenset(row.get("not_where") or ()),
                production=row.get("production"))


def agent_kind_of(runtime: str | None) -> str | None:
    """The agent kind of a runtime (data: runtime_kinds), None when not listed."""
    kinds = load_envelopes().get("runtime_kinds") or {}
    return kinds.get(runtime) if runtime else None


def default_envelope(agent_kind: str | None) -> Envelope:
    """The envelope of an agent kind: coding, desktop, else unknown (the narrowest)."""
    data = load_envelopes()
    name = agent_kind if agent_kind in DEFAULT_KINDS else "unknown"
    spec = data["envelopes"][name]
    rules = tuple(_rule(r, data["groups"]) for r in spec["rules"])
    return Envelope(name=name, label=f"envelope {name}", description=spec["description"],
                    rules=rules, narrowest=bool(spec.get("narrowest")))


def declared_envelope(actions: Sequence[str] = (), resources: Sequence[str] = (),
                      tools: Sequence[str] = (), prompt: str | None = None, *,
                      agent: str | None = None, refs: Sequence[EvidenceRef] = ()
                      ) -> Envelope | None:
    """The scope an agent's runtime config declares: its action classes (list, read, write,
    delete, execute, egress, permission-change, persistence) as effect kinds, limited to its
    resources; its tools, each allowed whatever it does. Without action classes the
    deployed prompt's grants (and reading) make the rules. What the prompt forbids is kept as
    `standing` for the caller. None when the config declares nothing usable."""
    data = load_envelopes()
    classes = data["action_classes"]
    resources = tuple(str(r) for r in resources)
    names = list(dict.fromkeys(str(a).lower() for a in actions))
    rules = [Rule(f"action-{name}", f"action class {name}", _kinds(classes[name], {}),
                  resources=resources, listing=name == "list" and "read" not in names)
             for name in names if name in classes]
    reading = read_turn(prompt, STANDING, refs[0] if refs else None) if prompt else None
    if not rules and reading is not None:
        granted = frozenset(k for d in reading.directives if d.kind == "grant"
                            for k in d.effects)
        if granted:
            rules.append(Rule("prompt-grants", "what the deployed prompt asks for",
                              granted, resources=resources))
            rules.append(Rule("prompt-reading", "reading",
                              _kinds(["@reading"], data["groups"]), resources=resources))
    rules += [Rule(f"tool-{tool}", f"tool {tool}", frozenset(EFFECT_KINDS), tool=str(tool),
                   resources=resources) for tool in tools]
    if not rules:
        return None
    standing = tuple(d for d in reading.directives if d.kind != "grant") if reading else ()
    label = f"declared scope of {agent}" if agent else "declared scope"
    return Envelope(name="declared", label=label, description="the scope the agent's "
                    "runtime config declares", rules=tuple(rules), inferred=True,
                    tools=tuple(str(t) for t in tools), resources=resources,
                    refs=tuple(refs), standing=standing)


def declared_from_config(attrs: Mapping[str, Any], ref: EvidenceRef | None = None,
                         agent: str | None = None) -> Envelope | None:
    """`declared_envelope` from an `agent:config` event's attrs."""
    prompt = attrs.get("scope_text") or attrs.get("deployed_prompt")
    return declared_envelope(list(attrs.get("scope_actions") or ()),
                             list(attrs.get("scope_resources") or ()),
                             list(attrs.get("scope_tools") or ()),
                             str(prompt) if prompt else None, agent=agent,
                             refs=(ref,) if ref else ())


def _get(entry: Any, key: str, default: Any = None) -> Any:
    if isinstance(entry, Mapping):
        return entry.get(key, default)
    return getattr(entry, key, default)


def _specified(entry: Any, key: str) -> bool:
    specified = _get(entry, "specified", None)
    if specified:
        return key in specified
    return _get(entry, key, None) not in (None, [], ())


def baseline_envelope(entry: Any, *, sha256: str | None = None) -> Envelope:
    """The envelope of a baseline entry (baseline.AgentBaseline, or a mapping of the same
    keys): B4 actions and B1 tools with their operations as effect kinds, B2 data sources
    as the resources every rule is limited to. A key the entry does not set is not
    checked."""
    data = load_envelopes()
    agent = str(_get(entry, "agent_id") or _get(entry, "name") or "agent")
    resources = tuple(str(p) for p in _get(entry, "data_sources", None) or ()) \
        if _specified(entry, "data_sources") else ()
    rules = _baseline_action_rules(entry, data, resources)
    tools: list[str] = []
    if _specified(entry, "tools"):
        for grant in _get(entry, "tools", None) or ():
            name = str(grant if isinstance(grant, str) else _get(grant, "name"))
            operations = [] if isinstance(grant, str) else list(_get(grant, "operations") or ())
            kinds = frozenset(EFFECT_KINDS) if not operations else frozenset(
                k for op in operations for k in data["baseline_operations"].get(str(op).lower(),
                                                                                ()))
            shown = f" ({', '.join(operations)})" if operations else ""
            rules.append(Rule(f"tool-{name}", f"tool {name}{shown}", kinds, tool=name,
                              resources=resources))
            tools.append(name)
    line = _get(entry, "line")
    refs = (EvidenceRef(sha256, f"line {line}"),) if sha256 and len(sha256) == 64 and \
        isinstance(line, int) else ()
    return Envelope(name="baseline", label=f"baseline {agent}",
                    description=f"the baseline entry for {agent}", rules=tuple(rules),
                    inferred=False, tools=tuple(tools), resources=resources, refs=refs)


def _baseline_action_rules(entry: Any, data: Mapping[str, Any],
                           resources: tuple[str, ...]) -> list[Rule]:
    if not _specified(entry, "actions"):
        return [Rule("actions-unchecked", "actions the baseline does not restrict",
                     frozenset(EFFECT_KINDS), resources=resources)]
    rules = []
    for action in _get(entry, "actions", None) or ():
        kinds = data["baseline_actions"].get(str(action).lower(), ())
        if kinds:
            rules.append(Rule(f"action-{action}", f"actions {action}",
                              frozenset(kinds), resources=resources))
    return rules


# ----------------------------------------------------------------------------- judging

@dataclass(frozen=True)
class AllowedBy:
    """Why an effect stayed quiet: a turn (ref and quote) or an envelope rule."""

    source: str                   # turn | instructions | envelope | declared | baseline
    text: str                     # 'turn 2: “commit this”' / 'envelope coding: local git ...'
    ref: EvidenceRef | None = None
    quote: str | None = None
    turn: int | None = None
    rule: str | None = None       # "coding.local-git"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "text": self.text}
        for key in ("quote", "turn", "rule"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.ref is not None:
            out["ref"] = self.ref.to_json()
        return out


@dataclass(frozen=True, slots=True)
class Judgement:
    effect: Effect
    allowed_by: AllowedBy | None = None
    broken: Directive | None = None
    beyond: str | None = None
    awaiting: Directive | None = None
    instructions_missing: bool = False
    unresolved: tuple[Directive, ...] = field(default_factory=tuple)
    unread: int | None = None     # a turn in force whose words the tables could not read

    @property
    def verdict(self) -> str:
        return "broken" if self.broken else "allowed" if self.allowed_by else "beyond"

    @property
    def statement(self) -> str:
        """One clause for a finding: what the effect does and why it is (not) allowed."""
        if self.broken is not None:
            d = self.broken
            return f"{effect_clause(self.effect)}, which {_said_by(d)} forbade: “{d.quote}”"
        if self.allowed_by is not None:
            return f"{effect_clause(self.effect)}, allowed by {self.allowed_by.text}"
        return self.beyond or ""


def effect_clause(effect: Effect) -> str:
    with_object, without = load_envelopes()["clauses"][effect.kind]
    if not effect.object:
        text = without
    else:
        shown = scrub(" ".join(effect.object.split()))
        text = with_object.format(object=shown if len(shown) <= 120 else shown[:119] + "…")
    if effect.public:
        text += " (public)"
    if is_production(effect) and "production" not in text.lower():
        text += " in production"
    return text


def _said_by(d: Directive) -> str:
    return "the instructions" if d.turn == STANDING else f"turn {d.turn}"


@lru_cache(maxsize=4096)       # one per directive: every step it allows shares it
def _turn_allowed(d: Directive) -> AllowedBy:
    source = "instructions" if d.turn == STANDING else "turn"
    seen = f" ({d.condition.kind} seen)" if d.condition and d.kind == "prohibit" else ""
    return AllowedBy(source, f"{_said_by(d)}: “{d.quote}”{seen}", ref=d.ref, quote=d.quote,
                     turn=d.turn)


_NO_INSTRUCTIONS = Instructions()
_UNDECIDED = Decision()


def judge(effect: Effect, envelope: Envelope, instructions: Instructions | None = None,
          turn: int | None = None, seen: Seen = (), *, tool: str | None = None,
          resource: str | None = None, approval: str | None = None) -> Judgement:
    """Who allowed `effect` at `turn` (see the module docstring). `tool` and `resource`
    (the step's tool name and target) let a declared or baseline scope check its tools and
    resources; `approval` "approved" means the runtime recorded the human's approval of
    this very step (no pending wait then)."""
    instructions = instructions if instructions is not None else _NO_INSTRUCTIONS
    if instructions.directives:
        decision = instructions.decide(effect, turn, seen)
        awaiting = None if approval == "approved" or effect.kind in READING_KINDS else \
            instructions.awaiting(effect, turn, seen)
        unresolved = instructions.unresolved_in_force(turn, effect.kind)
    else:                                   # nothing said: only the envelope decides
        decision, awaiting, unresolved = _UNDECIDED, None, ()
    common = {"effect": effect, "awaiting": awaiting, "unresolved": unresolved,
              "instructions_missing": instructions.missing}
    if decision.allows is False and decision.directive is not None:
        return Judgement(broken=decision.directive, **common)
    if decision.allows and decision.directive is not None:
        return Judgement(allowed_by=_turn_allowed(decision.directive), **common)
    rule, why_not = envelope.rule_for(effect, tool, resource)
    if rule is not None:
        return Judgement(allowed_by=envelope.allowed_by(rule), **common)
    named = instructions.named_by(effect, turn)
    if named is not None:
        reading, name = named
        return Judgement(allowed_by=AllowedBy(
            "turn", f"turn {reading.turn}, which names {name}", ref=reading.ref, turn=reading.turn,
            rule="named-file"), **common)
    unread = instructions.unread_at(turn)
    beyond = _beyond(effect, envelope, instructions, decision.pending, why_not)
    if unread is not None:
        beyond = beyond.replace(", which no turn asked for and ", ", which ") + (
            f"; turn {unread.turn} could not be read ({unread.note}), so whether it asked "
            f"for this is not known")
    return Judgement(beyond=beyond, unread=unread.turn if unread else None, **common)


def _beyond(effect: Effect, envelope: Envelope, instructions: Instructions,
            pending: Directive | None, why_not: str | None) -> str:
    clause = effect_clause(effect)
    if why_not:
        return f"{clause}{why_not} {envelope.phrase} allows"
    if pending is not None and pending.condition is not None:
        return (f"{clause}, which {_said_by(pending)} allows only once "
                f"{pending.condition.text} (not yet seen) and {envelope.phrase} does not "
                f"include")
    if instructions.missing:
        return (f"{clause}, which {envelope.phrase} does not include; no human turn is in "
                f"the evidence")
    return f"{clause}, which no turn asked for and {envelope.phrase} does not include"
