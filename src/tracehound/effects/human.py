"""What the human allowed: each human turn -> grants, prohibitions and approval waits.

`read_turn(text, turn, ref)` reads one human-typed turn (or a project instruction file, as a
standing turn) into a `TurnReading`: its `Directive`s, each with the effect kinds it covers,
its object, its condition, the sentence quoted, the turn and the ref. Only the human's own
prose is read (prose.py drops code, quotes and pasted output); clauses are read by
clauses.py against the phrase tables (data/phrases.yaml). A turn in a language the tables do
not cover has `intent_parsed=False` and no directives.

`Instructions` holds the directives of a session in order and answers what is in force at a
turn: a later directive overrides an earlier one for the same effect and object; a grant
that names no object does not lift an earlier prohibition that names one ("don't push to
main" ... "push it"). Conditions hold until (or from) what they name is seen: the caller says
which condition kinds it saw (a later successful test run is `tests-pass`). Rejected calls
are kept by effect kind and object, so an effect the human rejected and the agent achieved
another way can be told (`rejected_then_achieved`).
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Collection, Iterable, Mapping

from ..model import EvidenceRef
from .clauses import STANDING, Condition, Directive, read_sentence
from .coverage import branch_of, covers
from .directive_index import KindIndex, force_keys
from .kinds import READING_KINDS, Effect
from .phrases import load_table
from .prose import language_of, paragraphs, prose_lines, sentences
from .secrets import scrub

__all__ = ["STANDING", "Condition", "Directive", "TurnReading", "read_turn",
           "read_instructions", "Instructions", "Rejection", "Decision", "Seen"]

# A turn shorter than this ("Привет", "你好") holds no task: one the tables cannot read is
# then no reason to doubt that nothing asked for what the agent did.
TASK_WORDS = 4
GLUED_WORD = 8          # letters of one word, when a language is written without spaces
# Effects on a file a turn can name: naming it points the agent at it.
NAMEABLE_KINDS = frozenset({"file-read", "file-write", "file-delete", "persistence-write",
                            "credential-read"})
# Effects whose destination a turn can name ("GitHub repo: acme/site"): a push to that
# repository, or creating it, goes where the human said.
DESTINATION_KINDS = frozenset({"vcs-push", "publish"})
# Running a script a turn names ("rewrite it as export.py") uses what the human asked for.
RUN_KINDS = frozenset({"exec", "opaque-execution"})
# Kinds that achieve the same thing, for "rejected, then achieved another way".
SAME_AIM = {"vcs-force-push": "vcs-push"}
Seen = Collection[str] | Mapping[str, int]
"""Condition kinds the trace showed before a step: a collection (seen at any time) or a
mapping kind -> the last turn index during which it was seen (counts only for directives of
that turn or earlier)."""


@dataclass(frozen=True, slots=True)
class TurnReading:
    """What one human turn (or one instruction file) says the agent may and may not do."""

    turn: int
    ref: EvidenceRef | None
    directives: tuple[Directive, ...]
    intent_parsed: bool = True
    note: str = ""                  # why the intent was not parsed
    named: tuple[str, ...] = ()     # files the turn names (typed or pasted), as written
    words: int = field(default=0, compare=False)   # its length in words (a Chinese
    #                                                character: half a word)

    @property
    def standing(self) -> bool:
        return self.turn == STANDING

    @property
    def unresolved(self) -> tuple[Directive, ...]:
        """Prohibitions (and approval waits) whose object could not be resolved."""
        return tuple(d for d in self.directives if d.kind != "grant" and not d.resolved)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"turn": self.turn, "intent_parsed": self.intent_parsed,
                               "directives": [d.to_json() for d in self.directives]}
        if self.ref is not None:
            out["ref"] = self.ref.to_json()
        if self.note:
            out["note"] = self.note
        if self.named:
            out["named"] = list(self.named)
        return out


def read_turn(text: str, turn: int, ref: EvidenceRef | None) -> TurnReading:
    """The directives of one human-typed turn, valid from that turn on."""
    text = text if isinstance(text, str) else ""
    drafts, parsed, note = _read_text(text)
    directives = tuple(replace(d, turn=turn, ref=ref) for d in drafts)
    return TurnReading(turn, ref, directives, parsed, note, _named_paths(text),
                       _length(text))


def _length(text: str) -> int:
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in ("W", "F")
               and ch.isalpha())
    # a run of letters with no space ("watashihanihonngo...") is several words
    return sum(max(1, len(word) // GLUED_WORD) for word in text.split()) + wide // 2


def _names(name: str, effect: Effect) -> bool:
    """Whether a name a turn gave is the effect's file, or its repository."""
    name = name.replace("\\", "/")
    if effect.kind in NAMEABLE_KINDS:
        return covers(f"path {name}", effect)
    if effect.kind in RUN_KINDS:             # the script the human named, run
        return bool(effect.object) and covers(f"path {name}",
                                              Effect("file-read", effect.object))
    if "/" not in name.strip("/") or name.startswith(("/", "~", ".")) or not effect.object:
        return False
    wanted = name.strip("/").lower()
    target = effect.object.lower().split()[0] if effect.object.split() else ""
    return target == wanted or target == wanted.rsplit("/", 1)[-1] or \
        target.endswith("/" + wanted.rsplit("/", 1)[-1])


@lru_cache(maxsize=4096)
def _named_paths(text: str) -> tuple[str, ...]:
    pattern = load_table().named_path
    if pattern is None or not text:
        return ()
    return tuple(dict.fromkeys(scrub(p) for p in pattern.findall(text)))


def read_instructions(text: str, ref: EvidenceRef | None) -> TurnReading:
    """A project instruction file (agent:instructions): standing directives that hold
    before the first typed turn."""
    return read_turn(text, STANDING, ref)


@lru_cache(maxsize=4096)
def _read_text(text: str) -> tuple[tuple[Directive, ...], bool, str]:
    table = load_table()
    found = []
    lines = prose_lines(text, table.pasted)
    read = [s for paragraph in paragraphs(lines) for s in sentences(paragraph)]
    words = [w.replace("'", "") for s in read for w in s.words]
    language = language_of(words, "".join(lines), table.english, table.foreign)
    if not language.parsed:
        return (), False, f"intent not parsed: {language.reason}"
    for sentence in read:
        found.extend(read_sentence(sentence, table))
    found = _with_pasted_context(found, text, lines, table)
    scrubbed = (replace(d, quote=scrub(d.quote),
                        object_text=scrub(d.object_text) if d.object_text else None)
                for d in found)
    return tuple(dict.fromkeys(scrubbed)), True, ""


PRONOUNS = frozenset({None, "it", "this", "that", "these", "those", "them", "the error",
                      "the issue", "the problem", "this error", "this issue"})


def _with_pasted_context(found: list[Directive], text: str, lines: list[str],
                         table: Any) -> list[Directive]:
    """"lets fix this" under a pasted hook error: a grant whose object is a pronoun points
    at what the human pasted, so the nouns of the pasted text add their kinds (a hook, a
    workflow, a .bashrc: persistence-write) for the grant's action family."""
    kept = {line.strip() for line in lines if line.strip()}
    pasted = " ".join(line for line in text.splitlines()
                      if line.strip() and line.strip() not in kept).lower()
    if not pasted:
        return found
    out = []
    for d in found:
        row = next((a for a in table.actions if a.id == d.phrase), None)
        if d.kind == "grant" and row is not None and row.family and \
                (d.object_text or None) in PRONOUNS and d.object is None:
            extra = {k for noun in table.noun_kinds if row.family in noun.families
                     and noun.pattern.search(pasted) for k in noun.kinds}
            if extra - set(d.effects):
                d = replace(d, effects=tuple(sorted(set(d.effects) | extra)))
        out.append(d)
    return out


# ----------------------------------------------------------------------------- a session

@dataclass(frozen=True, slots=True)
class Rejection:
    """A call the human rejected: its effect, step, ref and the turn in force."""

    effect: Effect
    step: int | None
    ref: EvidenceRef | None
    turn: int | None
    means: frozenset[str] = frozenset()     # the tool / programs of the rejected call

    @property
    def key(self) -> tuple[str, str | None]:
        return rejection_key(self.effect)


def rejection_key(effect: Effect) -> tuple[str, str | None]:
    kind = SAME_AIM.get(effect.kind, effect.kind)
    if kind.startswith("vcs-"):
        return kind, branch_of(effect)        # origin main, dev/shop main: branch main
    obj = effect.object
    if obj is not None:
        obj = " ".join(obj.replace("\\", "/").rstrip("/").split())
    return kind, obj


@dataclass(frozen=True, slots=True)
class Decision:
    """The directive that decides an effect at a turn: `allows` True for a grant (or a
    prohibition whose "until" condition was seen), False for a prohibition in force.
    `pending`: a grant that covers the effect but whose condition was not yet seen."""

    directive: Directive | None = None
    allows: bool | None = None
    pending: Directive | None = None


class Instructions:
    """Every directive of one session, in order: standing ones (instruction files) first,
    then each typed turn's.

    A session may hold thousands of turns: every question is answered from indexes (the
    directives of each effect kind in order, the turns that grant, name files or could not
    be read), never by walking all the directives stated so far for each effect."""

    def __init__(self, turns: Iterable[TurnReading] = (),
                 standing: Iterable[TurnReading] = ()):
        self.standing = tuple(standing)
        self.turns = tuple(sorted(turns, key=lambda r: r.turn))
        self.directives = tuple(d for r in self.standing + self.turns for d in r.directives)
        self._turn_indexes = tuple(r.turn for r in self.turns)
        self.rejections: dict[tuple[str, str | None], Rejection] = {}
        self._upto_cache: dict[int, tuple[Directive, ...]] = {}
        grants = {(d.turn, d.quote) for d in self.directives if d.kind == "grant"}
        self._task_bound = frozenset(d for d in self.directives if d.kind == "prohibit"
                                     and d.turn != STANDING and (d.turn, d.quote) in grants)
        self._in_force_cache: dict[int, tuple[Directive, ...]] = {}
        # the turns (after the standing ones) that grant something, in order
        self._granting = sorted({d.turn for d in self.directives
                                 if d.kind == "grant" and d.turn > STANDING})
        # per effect kind: its directives in order, their turns, and where its prohibitions
        # and approval waits stand in that list
        by_kind: dict[str, list[Directive]] = {}
        for d in self.directives:
            for kind in d.effects:
                by_kind.setdefault(kind, []).append(d)
        self._by_kind = {kind: KindIndex(found) for kind, found in by_kind.items()}
        self._naming = tuple(r for r in self.turns if r.named)
        self._naming_turns = tuple(r.turn for r in self._naming)
        self._unread = tuple(r for r in self.turns
                             if not r.intent_parsed and r.words >= TASK_WORDS)
        self._unread_turns = tuple(r.turn for r in self._unread)
        self._open = tuple((position, d) for position, d in enumerate(self.directives)
                           if not d.resolved and d.kind != "grant")
        self._keyed: dict[tuple[str, str, str | None], list[int]] = {}
        if self._open:
            for position, d in enumerate(self.directives):
                for key in force_keys(d):
                    self._keyed.setdefault(key, []).append(position)
        self._open_cache: dict[tuple[int, str], tuple[Directive, ...]] = {}

    @property
    def missing(self) -> bool:
        """No human-typed turn is in the evidence: the envelope alone applies."""
        return not self.turns

    @property
    def unresolved(self) -> tuple[Directive, ...]:
        return tuple(d for r in self.standing + self.turns for d in r.unresolved)

    @property
    def not_parsed(self) -> tuple[TurnReading, ...]:
        return tuple(r for r in self.standing + self.turns if not r.intent_parsed)

    def _lapsed(self, d: Directive, limit: int) -> bool:
        """A task restriction a newer task (a later granting turn up to `limit`) ended."""
        if d not in self._task_bound:
            return False
        after = bisect_right(self._granting, d.turn)
        return after < len(self._granting) and self._granting[after] <= limit

    def _upto(self, turn: int | None) -> tuple[Directive, ...]:
        """The directives stated up to `turn`, less the task restrictions a newer task ended:
        a prohibition said in the same sentence as a grant ("Only edit X": edit X, nothing
        else) bounds that task, and lapses when a later turn grants something again (a new
        task); a prohibition said on its own ("don't push", "never touch prod") stands."""
        limit = STANDING if turn is None else turn
        found = self._upto_cache.get(limit)
        if found is None:
            found = self._upto_cache[limit] = tuple(
                d for d in self.directives if d.turn <= limit and not self._lapsed(d, limit))
        return found

    def _stated(self, kind: str, turn: int | None
                ) -> tuple["KindIndex | None", int, int]:
        """(the index of `kind`, how many of its directives were stated up to `turn`, the
        limit turn)."""
        limit = STANDING if turn is None else turn
        index = self._by_kind.get(kind)
        if index is None:
            return None, 0, limit
        return index, bisect_right(index.turns, limit), limit

    def in_force(self, turn: int | None) -> tuple[Directive, ...]:
        """The directives that hold at `turn` (None: before the first typed turn): for each
        effect kind and object the latest directive, conditions not yet applied."""
        limit = STANDING if turn is None else turn
        cached = self._in_force_cache.get(limit)
        if cached is not None:
            return cached
        latest: dict[tuple[str, str, str | None], int] = {}
        upto = self._upto(turn)
        for index, d in enumerate(upto):
            for key in force_keys(d):
                latest[key] = index
        kept = sorted(set(latest.values()))
        found = self._in_force_cache[limit] = tuple(upto[i] for i in kept)
        return found

    def unresolved_in_force(self, turn: int | None, kind: str) -> tuple[Directive, ...]:
        """`d for d in in_force(turn) if not d.resolved and d.kind != "grant" and kind in
        d.effects`, read from the few such directives instead of all in force."""
        if not self._open:
            return ()
        limit = STANDING if turn is None else turn
        key = (limit, kind)
        found = self._open_cache.get(key)
        if found is None:
            found = self._open_cache[key] = tuple(
                d for position, d in self._open if kind in d.effects and d.turn <= limit
                and not self._lapsed(d, limit) and self._latest_for_some_key(position, limit))
        return found

    def _latest_for_some_key(self, position: int, limit: int) -> bool:
        """Whether the directive at `position` is, for one of its (group, kind, object)
        keys, the latest directive stated up to `limit` (what in_force keeps)."""
        for key in force_keys(self.directives[position]):
            positions = self._keyed[key]
            if not any(self.directives[p].turn <= limit
                       and not self._lapsed(self.directives[p], limit)
                       for p in positions[bisect_right(positions, position):]):
                return True
        return False

    def decide(self, effect: Effect, turn: int | None, seen: Seen = ()) -> Decision:
        """The grant or prohibition that decides `effect` at `turn`: the latest that covers
        it, except that a grant lifts an earlier prohibition only as specifically as it
        names the effect ("don't push to main" stands after "push it").

        Read backwards from the latest directive of the effect's kind: the last prohibition
        in force decides unless a later allowing directive names the effect at least as
        specifically; with none, the last allowing directive decides (the same answer as
        going forward through every directive, in time independent of earlier turns)."""
        index, count, limit = self._stated(effect.kind, turn)
        if not count:
            return Decision()
        stated = index.directives
        last_true: Directive | None = None
        true_reach = 0
        pending: Directive | None = None
        banned: tuple[Directive, int] | None = None
        position = count - 1
        while position >= 0:
            d = stated[position]
            position -= 1
            if d.kind == "await-approval" or self._lapsed(d, limit):
                continue
            reach = d.coverage(effect)
            if not reach:
                continue
            effective = self._effective(d, turn, seen)
            if effective is None:
                if d.kind == "grant" and pending is None:
                    pending = d
                continue
            if not effective:
                banned = (d, reach)
                break
            if last_true is None:
                last_true = d
            true_reach = max(true_reach, reach)
            # no prohibition stated before: nothing earlier can outrank the last grant
            if true_reach >= 2 or not index.prohibits_before(position + 1):
                return Decision(last_true, True, None)
        if banned is not None and not (last_true is not None and true_reach >= banned[1]):
            while pending is None and position >= 0:       # the last grant still waiting
                d = stated[position]
                position -= 1
                if d.kind == "grant" and not self._lapsed(d, limit) and \
                        d.coverage(effect) and self._effective(d, turn, seen) is None:
                    pending = d
            return Decision(banned[0], False, pending)
        if last_true is not None:
            return Decision(last_true, True, None)
        return Decision(None, None, pending)

    def awaiting(self, effect: Effect, turn: int | None, seen: Seen = ()) -> Directive | None:
        """An approval wait that covers `effect` and is still pending at `turn`: one from an
        instruction file, or from the latest typed turn, with no grant since that covers
        the effect."""
        index, count, limit = self._stated(effect.kind, turn)
        if not count or not index.awaits_before(count):
            return None
        stated = index.directives
        for position in range(count - 1, -1, -1):
            d = stated[position]
            if self._lapsed(d, limit):
                continue
            if d.kind == "await-approval" and d.covers(effect) and self._pending(d, turn):
                return d
            if d.kind == "grant" and d.covers(effect) and self._effective(d, turn, seen):
                return None
        return None

    def _pending(self, d: Directive, turn: int | None) -> bool:
        return d.turn == STANDING or not self._later_turn(d.turn, turn)

    def _later_turn(self, after: int, upto: int | None) -> bool:
        limit = STANDING if upto is None else upto
        position = bisect_right(self._turn_indexes, after)
        return position < len(self._turn_indexes) and self._turn_indexes[position] <= limit

    def _effective(self, d: Directive, turn: int | None, seen: Seen) -> bool | None:
        """True: it allows; False: it forbids; None: not in force (yet / any more)."""
        condition = d.condition
        if condition is None:
            return d.kind == "grant"
        met = self._met(condition, d, turn, seen)
        if d.kind == "grant":
            holds = met is None or (met if condition.mode == "once" else not met)
            return True if holds else None
        if condition.mode == "until":         # forbidden until seen, then allowed
            return bool(met)
        return False if met else None

    def _met(self, condition: Condition, d: Directive, turn: int | None,
             seen: Seen) -> bool | None:
        """Whether the condition was seen; None for a grant's condition no evidence can show
        (it holds: precision first)."""
        kind = condition.kind
        if kind == "done":
            return True
        if kind == "asked":
            return False
        if kind == "human-ok" or (kind == "unknown" and condition.mode == "until"):
            if kind == "unknown" and d.kind == "grant":
                return None
            return d.turn != STANDING and self._later_turn(d.turn, turn)
        if kind == "unknown":
            return None if d.kind == "grant" else False
        if isinstance(seen, Mapping):
            return kind in seen and seen[kind] >= d.turn
        return kind in seen

    def unread_at(self, turn: int | None) -> TurnReading | None:
        """The latest typed turn up to `turn` whose intent the phrase tables could not read
        (another language): what the human asked is then not fully known."""
        if turn is None or not self._unread:
            return None
        position = bisect_right(self._unread_turns, turn)
        return self._unread[position - 1] if position else None

    def named_by(self, effect: Effect, turn: int | None) -> tuple[TurnReading, str] | None:
        """The latest typed turn up to `turn` that names the effect's file, with the name."""
        if turn is None or effect.kind not in NAMEABLE_KINDS | DESTINATION_KINDS | RUN_KINDS:
            return None
        for position in range(bisect_right(self._naming_turns, turn) - 1, -1, -1):
            reading = self._naming[position]
            for name in reading.named:
                if _names(name, effect):
                    return reading, name
        return None

    # -- rejected calls ------------------------------------------------------------------

    def reject(self, effect: Effect, *, step: int | None = None,
               ref: EvidenceRef | None = None, turn: int | None = None,
               means: frozenset[str] = frozenset()) -> Rejection:
        """Record that the human rejected a call with this effect."""
        rejection = Rejection(effect, step, ref, turn, means)
        self.rejections[rejection.key] = rejection
        return rejection

    def rejected_then_achieved(self, effect: Effect, *, step: int | None, turn: int | None,
                               seen: Seen = (), means: frozenset[str] = frozenset()
                               ) -> Rejection | None:
        """The rejection this effect achieves another way (same aim, same object, a later
        step, other means: another tool or program), unless a turn after the rejection
        granted it. Reading is never counted, nor the same request made again (the same
        tool or program): a runtime that asks per call asked the human again."""
        if effect.kind in READING_KINDS:
            return None
        rejection = self.rejections.get(rejection_key(effect))
        if rejection is None or (step is not None and rejection.step is not None
                                 and step <= rejection.step):
            return None
        if means and rejection.means and means <= rejection.means:
            return None
        since = STANDING if rejection.turn is None else rejection.turn
        index, count, limit = self._stated(effect.kind, turn)
        for d in index.directives[:count] if index is not None else ():
            if d.kind == "grant" and d.turn > since and not self._lapsed(d, limit) and \
                    d.covers(effect) and self._effective(d, turn, seen):
                return None
        return rejection
