"""One sentence of a human's prose -> the directives it states (grant, prohibit, await).

A sentence is split into clauses at commas, "and", "or", "then" and the like. A clause is an
instruction only when its action comes first, after words that may open an imperative
("please", "ok", "go ahead and", "you can", "don't", "never", "no", "ask me before"): "I don't
think the script pushes", "the bot must not push", "why didn't it push?" open with something
else and yield nothing. Questions yield only when they ask for the action ("can you push?").
After the action come its object ("to main", "anything outside src/") and a condition
("until the tests pass"). All words are data (`data/phrases.yaml`, see phrases.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ..model import EvidenceRef
from .coverage import covers, is_production
from .kinds import Effect
from .objects import group_span, resolve_object
from .phrases import Action, PhraseTable, Row, Words, phrase_at
from .prose import Sentence

# A grant that names no file reaches only ordinary places; a prohibition that names none
# ("don't modify any files") leaves scratch files in temp alone.
INSIDE_OR_UNKNOWN = frozenset({"repo", "temp", "dependency", "agent-state", None})
FILE_CHANGES = frozenset({"file-write", "file-delete"})
FILE_KINDS = FILE_CHANGES | {"file-read"}
STANDING = -1               # the turn index of standing instructions (instruction files)


@dataclass(frozen=True, slots=True)
class Condition:
    """What a directive waits for: `kind` tests-pass | ci-pass | asked | human-ok | done |
    unknown; `mode` until (holds until seen) or once (holds once seen)."""

    kind: str
    mode: str
    text: str
    evidence: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "mode": self.mode, "text": self.text,
                "evidence": self.evidence}


@dataclass(frozen=True, slots=True)
class Directive:
    """One thing the human allowed, forbade or wants to approve first, from one sentence."""

    kind: str                       # grant | prohibit | await-approval
    effects: tuple[str, ...]        # effect kinds it covers, sorted
    object: str | None              # see coverage.py; None: any object
    quote: str                      # the sentence, as written
    turn: int = STANDING
    ref: EvidenceRef | None = None
    condition: Condition | None = None
    resolved: bool = True           # False: an object was named that could not be resolved
    object_text: str | None = None  # the object's words, kept when unresolved
    phrase: str = ""                # id of the phrase row that matched
    reaches_production: bool = False    # a grant of it covers production ("deploy it")

    def covers(self, effect: Effect) -> bool:
        return self.coverage(effect) > 0

    def coverage(self, effect: Effect) -> int:
        """How this directive speaks to the effect: 2 it names the effect's object, 1 it
        covers it without naming it, 0 not at all. An unresolved object: a grant covers any
        object of its kinds, a prohibition none. A grant reaches production only when it
        names production or is a deployment, and a file outside the repo only when it names
        it (a grant naming a file in the repo covers the repo's other files without naming
        them); a prohibition that names no file leaves temp alone."""
        if effect.kind not in self.effects:
            return 0
        grant = self.kind == "grant"
        unnamed = self.object is None or not self.resolved
        if grant and is_production(effect) and not self.reaches_production \
                and self.object != "production":
            return 0
        inside = effect.where in INSIDE_OR_UNKNOWN
        if unnamed and effect.kind in FILE_CHANGES and (
                (grant and not inside) or (not grant and effect.where == "temp")):
            return 0
        if not self.resolved:
            return 1 if grant else 0
        if self.object is None:
            return 1
        if covers(self.object, effect):
            return 2
        widened = grant and inside and effect.kind in FILE_KINDS and \
            self.object.split(" ")[0] in ("path", "tests", "name")
        return 1 if widened else 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "effects": list(self.effects),
                               "object": self.object, "quote": self.quote, "turn": self.turn,
                               "resolved": self.resolved}
        if self.ref is not None:
            out["ref"] = self.ref.to_json()
        if self.condition is not None:
            out["condition"] = self.condition.to_json()
        if self.object_text:
            out["object_text"] = self.object_text
        return out


@dataclass
class _State:
    """What one clause passes to the next in its sentence."""

    polarity: str | None = None     # the last clause's directive kind
    bare: bool = False              # it was only a negation and an action ("don't commit")
    requested: bool = False         # the sentence asks for the actions ("can you ...?")
    condition: Condition | None = None   # from a leading "once the tests pass,"
    or_later: bool = False          # an "or" / "nor" follows in the sentence


@dataclass(frozen=True)
class _Clause:
    joiner: str
    words: Words
    raw: tuple[str, ...]


@dataclass
class _Reading:
    """How the clause opened: the directive kind, the form its action takes, "only"."""

    kind: str = "grant"
    takes: str = "base"
    only: bool = False


def read_sentence(sentence: Sentence, table: PhraseTable) -> list[Directive]:
    clauses = _clauses(sentence, table)
    state = _State()
    out: list[Directive] = []
    for index, clause in enumerate(clauses):
        state.or_later = any(c.joiner in ("or", "nor") for c in clauses[index + 1:])
        inherited = _inherited(clause.joiner, state)
        out.extend(_read_clause(clause, sentence, table, state, inherited))
    return out


def _clauses(sentence: Sentence, table: PhraseTable) -> list[_Clause]:
    out: list[_Clause] = []
    words: list[str] = []
    raw: list[str] = []
    joiner = ""
    quoted = False
    for index, (word, original) in enumerate(zip(sentence.words, sentence.raw)):
        if word == '"':
            quoted = not quoted and '"' in sentence.words[index + 1:]
            continue
        if quoted:
            continue
        if word in table.clause_breaks:
            if words:
                out.append(_Clause(joiner, Words.of(words), tuple(raw)))
                words, raw, joiner = [], [], word
            elif not joiner or word in ("or", "nor"):
                joiner = word
            continue
        words.append(word)
        raw.append(original)
    if words:
        out.append(_Clause(joiner, Words.of(words), tuple(raw)))
    return out


def _inherited(joiner: str, state: _State) -> str | None:
    if state.polarity not in ("prohibit", "await-approval"):
        return None
    if joiner in ("or", "nor") or (joiner == "and" and state.bare) or \
            (joiner == "," and state.or_later):
        return state.polarity
    return None


def _read_clause(clause: _Clause, sentence: Sentence, table: PhraseTable, state: _State,
                 inherited: str | None) -> list[Directive]:
    words = clause.words
    reading = _Reading(kind=inherited or "grant", takes="any" if inherited else "base")
    at = _opening(words, table, reading, state)
    state.polarity, state.bare = None, False
    if at is None:
        return []
    condition = _leading_condition(clause, at, table) if reading.kind == "grant" else None
    if condition is not None:
        state.condition = condition
        return []
    if sentence.question and not state.requested:
        return []
    standalone = _standalone(clause, at, sentence.quote, table)
    if standalone is not None:
        state.polarity = standalone[0].kind if standalone else None
        return standalone
    return _action_clause(clause, at, sentence.quote, table, state, reading)


def _opening(words: Words, table: PhraseTable, reading: _Reading, state: _State
             ) -> int | None:
    """Consume the words that open the clause; None when the clause yields nothing. A
    standalone clause found on the way ends the opening early (its words stay in place)."""
    at = 0
    while at < len(words):
        if any(words.match(row.pattern, at) for row in table.standalone):
            return at
        hit = table.longest(table.cues, words, at)
        if hit is None:
            return at
        cue, end, _ = hit
        if cue.kind == "neutral":
            return None
        if cue.kind in ("grant", "only"):
            reading.only = reading.only or cue.kind == "only"
            at = end
            continue
        if cue.kind == "request":
            state.requested = True
            reading.takes = "any"
            at = end
            continue
        reading.kind = "prohibit" if cue.kind == "prohibit" else "await-approval"
        reading.takes = cue.takes
        at = end
        while (more := words.match(table.after_negation, at)) is not None:
            at = more[0]
        return at
    return None


def _leading_condition(clause: _Clause, at: int, table: PhraseTable) -> Condition | None:
    hit = table.longest(table.condition_cues, clause.words, at)
    if hit is None or hit[0].id == "without-check":
        return None
    return _condition(clause, hit[1], hit[0].mode, table)


def _condition(clause: _Clause, after: int, mode: str, table: PhraseTable) -> Condition:
    """The condition whose words start at word `after` (its text as written)."""
    text = clause.words.rest(after)
    kind = next((row.kind for row in table.conditions if row.pattern.search(text)), "unknown")
    return Condition(kind, mode, " ".join(clause.raw[after:]),
                     table.condition_evidence.get(kind, ""))


def _standalone(clause: _Clause, at: int, quote: str, table: PhraseTable
                ) -> list[Directive] | None:
    words = clause.words
    for row in table.standalone:
        found = words.match(row.pattern, at)
        if found is None:
            continue
        match = found[1]
        kinds = set(row.kinds)
        if "by-action" in kinds:
            kinds.discard("by-action")
            kinds |= _action_kinds(match.group("action"), table)
        named = group_span(match, "object")
        obj, resolved, text = (None, True, None)
        if named is not None:
            start, end = _token_span(words, *named)
            obj, resolved, text = resolve_object(clause.raw[start:end], words.words[start:end],
                                                 None, table)
        kind = "prohibit" if row.kind == "prohibit" else "await-approval"
        return [Directive(kind, tuple(sorted(kinds)), obj, quote, resolved=resolved,
                          object_text=text, phrase=row.id)]
    return None


def _action_kinds(word: str, table: PhraseTable) -> set[str]:
    single = Words.of([word])
    for action in table.actions:
        if single.match(action.base, 0):
            return set(action.prohibits)
    return set()


def _token_span(words: Words, start: int, end: int) -> tuple[int, int]:
    first = max((i for i, s in enumerate(words.starts) if s <= start), default=0)
    last = max((i for i, s in enumerate(words.starts) if s < end), default=first)
    return first, last + 1


def _find_action(words: Words, at: int, takes: str, table: PhraseTable
                 ) -> tuple[Action, int, Any] | None:
    best = None
    for action in table.actions:
        if action.noun and takes == "base":
            continue
        found = words.match(action.base if takes == "base" else action.inflected, at)
        if found and (best is None or found[0] > best[1]):
            best = (action, found[0], found[1])
    return best


def _action_clause(clause: _Clause, at: int, quote: str, table: PhraseTable, state: _State,
                   reading: _Reading) -> list[Directive]:
    words = clause.words
    found = _find_action(words, at, reading.takes, table)
    if found is None or any(words.match(row.pattern, at) for row in table.near_misses):
        return []
    action, end, match = found
    stop, cue = _tail(words, end, table)
    if table.subject_markers.intersection(words.words[end:end + 2]) or \
            table.outcome_markers.intersection(words.words[end:stop]):
        return []
    start = end
    if action.names and match.group("gap") is not None:
        start = _token_span(words, *match.span("gap"))[0]
    obj, resolved, text = resolve_object(clause.raw[start:stop], words.words[start:stop],
                                         action, table, lenient=reading.kind == "grant")
    state.polarity, state.bare = reading.kind, stop == end and cue is None
    kinds = _kinds_of(action, reading.kind, words.words[start:stop], table)
    extra: list[Directive] = []
    kind, condition = reading.kind, state.condition
    if cue is not None:
        kind, condition, extra = _apply_tail(clause, cue, kind, quote, table)
    if not kinds or (kind == "prohibit" and action.grant_only) or (
            kind != "grant" and action.needs_object and obj is None and resolved):
        return extra
    directive = Directive(kind, tuple(sorted(kinds)), obj, quote, condition=condition,
                          resolved=resolved, object_text=None if resolved else text,
                          phrase=action.id,
                          reaches_production=action.production and kind == "grant")
    out = [directive]
    if reading.only and kind == "grant" and resolved and obj and obj.startswith("path "):
        out.append(Directive("prohibit", tuple(sorted(action.prohibits)),
                             "outside " + obj[5:], quote, phrase=action.id))
    return out + extra


def _kinds_of(action: Action, kind: str, object_words: Sequence[str], table: PhraseTable
              ) -> set[str]:
    kinds = set(action.grants if kind == "grant" else action.prohibits)
    text = " ".join(object_words)
    for row in table.noun_kinds:
        if action.family in row.families and row.pattern.search(text):
            kinds |= row.kinds
    return kinds


def _tail(words: Words, at: int, table: PhraseTable) -> tuple[int, tuple[Row, int] | None]:
    """Where the object ends, and the condition cue there (with the index after it)."""
    for index in range(at, len(words)):
        if phrase_at(words.words, index, table.object_ends):
            return index, None
        hit = table.longest(table.condition_cues, words, index)
        if hit is not None:
            return index, (hit[0], hit[1])
    return len(words), None


def _apply_tail(clause: _Clause, cue: tuple[Row, int], kind: str, quote: str,
                table: PhraseTable) -> tuple[str, Condition | None, list[Directive]]:
    """The directive's kind and condition after its tail ("until the tests pass"); a
    "without X" tail may instead ask for approval or forbid X itself."""
    row, after = cue
    words = clause.words
    text = words.rest(after)
    if row.id != "without-check":
        return kind, _condition(clause, after, row.mode, table), []
    if any(a.pattern.match(text) for a in table.approval_conditions):
        return ("await-approval" if kind == "prohibit" else kind), None, []
    condition = _condition(clause, after, row.mode, table)
    if condition.kind != "unknown":
        return kind, (condition if kind == "prohibit" else None), []
    nested = _Clause("", Words.of(words.words[after - 1:]), clause.raw[after - 1:])
    statement = Sentence(quote, (), (), False)
    return kind, None, _read_clause(nested, statement, table, _State(), None)
