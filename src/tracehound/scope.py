"""The scope a grant or a stated intent is compared with: what an agent's own records say
it may do, as action classes, resources and tools.

Used where a *statement* is to be checked against a scope: an IAM / OAuth grant against the
agent's written intent (credential-audit: over-privileged grants), a stated intent against
the action taken (the kepler prompt-vs-action corpus). The scope comes from the baseline
(`--baseline`, seed 003's B1, B2 and B4) when one governs the agent, else from its runtime
config (`agent:config` scope_actions / scope_resources / scope_tools, or its scope text),
its deployed prompt, or the stated intent of its first steps; an inferred scope says so.

What a *step* does and who allowed it is the effects layer's (tracehound.effects): the agent
tools judge steps there, not here. This module holds no table of commands or paths.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping, Sequence

from .model import EvidenceRef, Event
from .taxonomy import classify_action

READ_ONLY = frozenset({"list", "read"})
# Classes an envelope never needs to grant explicitly: signing in and using the agent's own
# credential are how it runs at all.
ALWAYS_ALLOWED = frozenset({"authentication"})

# Seed 003's B4 vocabulary -> our action classes.
B4_ACTIONS: Mapping[str, frozenset[str]] = {
    "read": READ_ONLY,
    "generate": frozenset(),
    "draftwrite": frozenset({"write"}),
    "notify": frozenset({"egress"}),
    "execute": frozenset({"execute"}),
    "block": frozenset(),
    "escalate": frozenset(),
    "write": frozenset({"write"}),
    "delete": frozenset({"delete"}),
    "list": frozenset({"list"}),
}

_READ_ONLY_TEXT = re.compile(r"\bread[\s_-]?only\b", re.IGNORECASE)
_RESOURCE_TEXT = re.compile(
    r"(arn:[a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]*:[^\s,;\"'()]+"
    r"|s3://[^\s,;\"'()]+|gs://[^\s,;\"'()]+|https?://[^\s,;\"'()]+)")
_ARN_S3 = "arn:aws:s3:::"
_CLAUSE = re.compile(r"[.;:,!?\n]+")
_NEGATIONS = frozenset({"not", "never", "no", "don", "dont", "without", "nor"})
# "draft replies for a human agent to send": the sending is someone else's
_OTHERS = frozenset({"human", "humans", "user", "users", "person", "people", "operator",
                     "reviewer", "customer", "you", "me", "them", "someone", "staff",
                     "engineer", "admin", "team", "owner"})


@dataclass(frozen=True)
class Envelope:
    """What one agent was allowed to do. Empty `resources` means: not restricted (the source
    did not say), never 'nothing allowed'. When `tools` is given, it names the tools the scope
    allows, each with the action classes allowed through it (None: whatever the tool does);
    a tool the scope names explicitly is allowed even if its class is not in `actions`."""

    agent: str | None
    actions: frozenset[str]
    resources: tuple[str, ...] = ()
    tools: tuple[tuple[str, frozenset[str] | None], ...] = ()
    origin: str = "none"    # baseline | agent:config | deployed prompt | stated intent |
    #                         user prompt | "<one of those> + user prompt" | none
    inferred: bool = True
    refs: tuple[EvidenceRef, ...] = ()
    text: str = ""                  # the scope as written, shortened, for statements

    @property
    def known(self) -> bool:
        return self.origin != "none"

    @property
    def tool_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.tools)

    def describe(self) -> str:
        """Where this envelope came from, phrased for a finding's statement."""
        if not self.known:
            return "no scope could be determined"
        if not self.inferred:
            return f"baseline scope for agent {self.agent}"
        locator = self.refs[0].locator if self.refs else ""
        return f"scope inferred from the {self.origin}{_located(locator)}"

    def summary(self) -> str:
        actions = ", ".join(sorted(self.actions)) or "none"
        resources = ", ".join(self.resources) or "any resource"
        tools = f"; tools: {', '.join(self.tool_names)}" if self.tools else ""
        return f"allowed actions: {actions}; resources: {resources}{tools}"

    def to_json(self) -> dict[str, Any]:
        return {"agent": self.agent, "actions": sorted(self.actions),
                "resources": list(self.resources), "tools": list(self.tool_names),
                "origin": self.origin, "inferred": self.inferred,
                "refs": [r.to_json() for r in self.refs]}


UNKNOWN = Envelope(agent=None, actions=frozenset(), origin="none")


def _located(locator: str) -> str:
    return f" ({'document root' if locator == 'json:' else locator})" if locator else ""


def resource_forms(target: str) -> tuple[str, ...]:
    """A resource id in the forms a pattern may be written in (ARN, s3:// URI, bare name)."""
    forms = [target]
    if target.startswith(_ARN_S3):
        bare = target[len(_ARN_S3):]
        forms += [bare, "s3://" + bare]
    elif target.startswith("s3://"):
        bare = target[5:]
        forms += [bare, _ARN_S3 + bare]
    return tuple(forms)


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern), re.IGNORECASE)


def resource_matches(target: str, patterns: Sequence[str]) -> bool:
    """True when any form of the target matches any glob pattern (any of its forms)."""
    return _matches(target, tuple(patterns))


@lru_cache(maxsize=65536)           # traces touch the same resources over and over
def _matches(target: str, patterns: tuple[str, ...]) -> bool:
    forms = resource_forms(target)
    for pattern in patterns:
        for form_pattern in resource_forms(pattern):
            regex = _compiled(form_pattern)
            if any(regex.match(form) for form in forms):
                return True
    return False


# Request verbs whose class is not their own word's ('fix' asks for edits and runs).
TASK_VERBS: Mapping[str, frozenset[str]] = {
    **{w: frozenset({"write", "execute"}) for w in ("fix", "repair", "debug", "troubleshoot")},
    **{w: frozenset({"write"}) for w in (
        "tidy", "clean", "cleanup", "refactor", "reformat", "implement", "migrate", "change",
        "adjust", "correct", "draft", "rewrite", "replace", "bump", "upgrade", "commit",
        "apply", "update", "rotate")},
}
_WORD = re.compile(r"[a-z0-9']+")


def tokens(text: str) -> list[str]:
    return [w.replace("'", "") for w in _WORD.findall(text.lower())]


def verb_classes(word: str) -> frozenset[str]:
    """The action classes one word of a statement names ('fix' -> write and execute)."""
    if word in TASK_VERBS:
        return TASK_VERBS[word]
    klass = classify_action(word)
    return frozenset() if klass == "other" else frozenset({klass})


def without_resources(text: str) -> str:
    """The text with the resources it names blanked out (words inside names are no verbs)."""
    return _RESOURCE_TEXT.sub(" ", _NAME_TEXT.sub(" ", text))


_NAME_TEXT = re.compile(r"(?<![\w.])[\w.-]+(?:/[\w.*-]+)+|\b[\w-]+(?:\.[\w-]+)+")


def classes_in_text(text: str) -> frozenset[str]:
    """Action classes named by the verbs of a scope sentence ('list and tag buckets', 'fix
    the failing test'), leaving out negated verbs and verbs someone else is to do."""
    found: set[str] = set()
    for clause in _CLAUSE.split(without_resources(text)):
        words = tokens(clause)
        theirs = _done_by_others(words)
        for position, word in enumerate(words):
            if word in _NEGATIONS:
                break                     # "do not delete", "never upload or share"
            if position not in theirs:
                found |= verb_classes(word)
    if _READ_ONLY_TEXT.search(text):
        narrowed = found & READ_ONLY
        return frozenset(narrowed or READ_ONLY)
    return frozenset(found)


def _done_by_others(words: Sequence[str]) -> set[int]:
    """Positions of the words a person the clause names is to do ('draft replies for a human
    to review and send'): everything after 'for <person> to'."""
    for start, word in enumerate(words):
        if word != "for":
            continue
        for to in range(start + 2, min(start + 6, len(words) - 1)):
            if words[to] == "to" and _OTHERS.intersection(words[start + 1:to]):
                return set(range(to + 1, len(words)))
    return set()


def resources_in_text(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m.rstrip(".") for m in _RESOURCE_TEXT.findall(text)))


def _shorten(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----------------------------------------------------------------------------- baseline

def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def baseline_agent(baseline: Any, agent: str | None) -> Any:
    """The baseline entry governing `agent` (by agent_id, then name), or None."""
    if baseline is None or agent is None:
        return None
    wanted = agent.lower()
    for entry in _get(baseline, "agents", None) or ():
        if wanted in (str(_get(entry, "agent_id") or "").lower(),
                      str(_get(entry, "name") or "").lower()):
            return entry
    return None


def envelope_from_baseline(entry: Any, agent: str, baseline: Any = None) -> Envelope:
    actions: set[str] = set()
    for name in _get(entry, "actions", None) or ():
        actions |= B4_ACTIONS.get(str(name).lower(), frozenset())
    tools: list[tuple[str, frozenset[str] | None]] = []
    for tool in _get(entry, "tools", None) or ():
        name = tool if isinstance(tool, str) else _get(tool, "name")
        operations = [] if isinstance(tool, str) else _get(tool, "operations", None) or []
        classes: set[str] = set()
        for op in operations:
            classes |= B4_ACTIONS.get(str(op).lower(), {classify_action(str(op))} - {"other"})
        if name:
            tools.append((str(name), frozenset(classes) if operations else None))
    resources = tuple(str(p) for p in _get(entry, "data_sources", None) or ())
    sha, line = _get(baseline, "sha256"), _get(entry, "line")
    refs = (EvidenceRef(sha, f"line {line}"),) if isinstance(sha, str) and len(sha) == 64 \
        and isinstance(line, int) else ()
    return Envelope(agent=agent, actions=frozenset(actions), resources=resources,
                    tools=tuple(tools), origin="baseline", inferred=False, refs=refs,
                    text=f"baseline entry {agent}")


# ----------------------------------------------------------------------------- inference

@dataclass
class ScopeEvidence:
    """What the events of one agent say about its scope, gathered in one pass."""

    configs: list[Event] = field(default_factory=list)
    deployed_prompts: list[Event] = field(default_factory=list)
    intents: list[Event] = field(default_factory=list)

    def add(self, event: Event) -> None:
        if event.source == "agent:config":
            self.configs.append(event)
        elif event.source == "agent:prompt" and event.attrs.get("role") in ("deployed", "system"):
            self.deployed_prompts.append(event)
        elif event.source == "agent:intent" and event.attrs.get("stated_intent"):
            self.intents.append(event)


def _from_config(event: Event, agent: str | None) -> Envelope | None:
    attrs = event.attrs
    actions = frozenset(str(a) for a in attrs.get("scope_actions") or ())
    resources = tuple(str(r) for r in attrs.get("scope_resources") or ())
    tools = tuple((str(t), None) for t in attrs.get("scope_tools") or ())
    text = str(attrs.get("scope_text") or attrs.get("deployed_prompt") or "")
    if not actions and text:
        actions = classes_in_text(text)
    if not resources and text:
        resources = resources_in_text(text)
    if not actions and not tools:
        return None
    return Envelope(agent=agent, actions=actions, resources=resources, tools=tools,
                    origin="agent:config", inferred=True, refs=(event.ref,),
                    text=_shorten(text))


def _from_text(text: str, origin: str, refs: tuple[EvidenceRef, ...],
               agent: str | None) -> Envelope | None:
    """An envelope inferred from prose. Prose rarely states that the agent may look things
    up, so listing and reading are always inside an inferred envelope; what it infers is
    which state-changing, sending or executing actions the text allows."""
    actions = classes_in_text(text)
    if not actions:
        return None
    actions |= READ_ONLY
    return Envelope(agent=agent, actions=actions, origin=origin, inferred=True, refs=refs,
                    text=_shorten(text))


def infer_envelope(agent: str | None, evidence: ScopeEvidence) -> Envelope:
    """The envelope the agent's own records state, best source first; UNKNOWN when none do."""
    for event in sorted(evidence.configs, key=lambda e: (e.time or "", e.ref)):
        found = _from_config(event, agent)
        if found:
            return found
    for event in sorted(evidence.deployed_prompts, key=lambda e: (e.time or "", e.ref)):
        found = _from_text(str(event.attrs.get("text") or ""), "deployed prompt",
                           (event.ref,), agent)
        if found:
            return found
    first = sorted(evidence.intents, key=lambda e: (e.step or 0, e.time or "", e.ref))[:1]
    for event in first:
        found = _from_text(str(event.attrs["stated_intent"]), "stated intent",
                           (event.ref,), agent)
        if found:
            return found
    return Envelope(agent=agent, actions=frozenset(), origin="none")


def envelope_for(agent: str | None, evidence: ScopeEvidence, baseline: Any = None) -> Envelope:
    """The baseline's envelope for this agent when it has one, else the inferred envelope."""
    entry = baseline_agent(baseline, agent)
    if entry is not None:
        return envelope_from_baseline(entry, agent or "", baseline)
    return infer_envelope(agent, evidence)
