"""The phrase tables of `human.py`, loaded once from `data/phrases.yaml` and compiled.

The YAML is the knowledge (which words grant, forbid or ask for approval, which effect kinds
an action names, which near-misses to ignore, what an object or a condition is); this module
only turns its rows into regular expressions over the words of a clause. A clause is its
lower-cased words without apostrophes, joined by single spaces ("dont push to main");
`Words.match` runs a row's pattern at a word and says how many words it took.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Pattern, Sequence

import yaml

from .kinds import EFFECT_KINDS
from .tables import table

TABLE_PATH = Path(__file__).with_name("data") / "phrases.yaml"
DETERMINERS = ("a|an|the|this|that|these|those|my|our|your|its|their|any|some|all|every|each|"
               "new|current|latest|last|old|other|remote|local")
_SEP = rf"(?:-| (?:(?:{DETERMINERS}) )*)"
_GAP = r" (?P<gap>(?:[^ ]+ ){0,3}?)"
_VOWELS = "aeiou"


class PhraseTableError(ValueError):
    """A row of phrases.yaml that cannot be used, named by its section and id."""


@dataclass(frozen=True)
class Words:
    """A clause's words for matching: `text` is the words joined by single spaces and
    `starts` the offset of each word in it."""

    words: tuple[str, ...]
    text: str
    starts: tuple[int, ...]

    @classmethod
    def of(cls, words: Sequence[str]) -> "Words":
        plain = tuple(w.replace("'", "") or "'" for w in words)
        starts, offset = [], 0
        for word in plain:
            starts.append(offset)
            offset += len(word) + 1
        return cls(plain, " ".join(plain), tuple(starts))

    def __len__(self) -> int:
        return len(self.words)

    def match(self, pattern: Pattern[str], at: int) -> tuple[int, re.Match[str]] | None:
        """(index of the first word after the match, the match) when `pattern` matches whole
        words from word `at`; None otherwise."""
        if at >= len(self.words):
            return None
        found = pattern.match(self.text, self.starts[at])
        if found is None or found.end() == found.start():
            return None
        end = found.end()
        after = next((i for i, s in enumerate(self.starts) if s >= end), len(self.words))
        return after, found

    def rest(self, at: int) -> str:
        return self.text[self.starts[at]:] if at < len(self.words) else ""


@dataclass(frozen=True)
class Cue:
    id: str
    kind: str              # grant | request | prohibit | await | neutral | only
    takes: str             # base | gerund | any
    pattern: Pattern[str]


@dataclass(frozen=True)
class Action:
    id: str
    grants: frozenset[str]
    prohibits: frozenset[str]
    base: Pattern[str]     # imperative: "push"
    inflected: Pattern[str]   # any form: push, pushes, pushing
    grant_only: bool = False
    noun: bool = False
    family: str | None = None
    object: str | None = None      # "package": its object is a list of packages
    names: str | None = None       # "branch": the words in its gap name a branch
    needs_object: bool = False
    production: bool = False       # a grant of it reaches production ("deploy it")


@dataclass(frozen=True)
class Row:
    """A row of the simpler sections: a pattern plus what it means."""

    id: str
    pattern: Pattern[str]
    kind: str = ""
    kinds: frozenset[str] = frozenset()
    families: frozenset[str] = frozenset()
    object: str | None = None
    mode: str = ""


@dataclass(frozen=True)
class PhraseTable:
    english: frozenset[str]
    foreign: frozenset[str]
    pasted: tuple[Pattern[str], ...]
    cues: tuple[Cue, ...]
    after_negation: Pattern[str]
    clause_breaks: frozenset[str]
    actions: tuple[Action, ...]
    noun_kinds: tuple[Row, ...]
    near_misses: tuple[Row, ...]
    subject_markers: frozenset[str]
    outcome_markers: frozenset[str]        # description markers anywhere in the object
    object_ends: tuple[tuple[str, ...], ...]
    object_fillers: tuple[tuple[str, ...], ...]
    prepositions: tuple[tuple[str, ...], ...]
    objects: tuple[Row, ...]
    not_names: frozenset[str]
    condition_cues: tuple[Row, ...]
    conditions: tuple[Row, ...]
    condition_evidence: Mapping[str, str]
    approval_conditions: tuple[Row, ...]
    standalone: tuple[Row, ...]
    rows: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)
    named_path: Pattern[str] | None = None     # a file a turn names (raw text)

    def longest(self, rows: Sequence[Any], words: Words, at: int,
                attr: str = "pattern") -> tuple[Any, int, re.Match[str]] | None:
        """The row whose pattern takes the most words from `at` (first row on a tie)."""
        best = None
        for row in rows:
            found = words.match(getattr(row, attr), at)
            if found and (best is None or found[0] > best[1]):
                best = (row, found[0], found[1])
        return best


def phrase_at(words: Sequence[str], at: int, phrases: Sequence[tuple[str, ...]]) -> int:
    """The length of the first (longest) phrase of `phrases` at word `at`, else 0."""
    for phrase in phrases:
        if tuple(words[at:at + len(phrase)]) == phrase:
            return len(phrase)
    return 0


def _words_regex(pattern: str) -> Pattern[str]:
    return re.compile(rf"(?:{pattern})(?= |$)")


def _kinds(names: Sequence[str], groups: Mapping[str, Sequence[str]], where: str
           ) -> frozenset[str]:
    out: set[str] = set()
    for name in names or ():
        if name.startswith("@"):
            if name[1:] not in groups:
                raise PhraseTableError(f"{where}: unknown group {name}")
            out |= _kinds(groups[name[1:]], groups, where)
        elif name in EFFECT_KINDS or name == "by-action":
            out.add(name)
        else:
            raise PhraseTableError(f"{where}: unknown effect kind {name!r}")
    return frozenset(out)


def word_forms(word: str) -> list[str]:
    """A verb's forms used in instructions: base, -s / -es (also plural nouns), -ing."""
    if not word.isalpha():
        return [word]
    forms = [word, word + "s", word + "es", word + "ing"]
    if word.endswith("y") and len(word) > 1 and word[-2] not in _VOWELS:
        forms.append(word[:-1] + "ies")
    if word.endswith("e") and not word.endswith("ee"):
        forms.append(word[:-1] + "ing")
    if len(word) >= 3 and word[-1] not in _VOWELS + "wxy" and word[-2] in _VOWELS \
            and word[-3] not in _VOWELS:
        forms.append(word + word[-1] + "ing")
    return sorted(set(forms), key=lambda f: (-len(f), f))


def _slots(phrase: str) -> list[str]:
    slots, depth, current = [], 0, ""
    for ch in phrase:
        depth += (ch == "(") - (ch == ")")
        if ch == " " and depth == 0:
            slots.append(current)
            current = ""
        else:
            current += ch
    return slots + [current] if current else slots


def _inflect_slot(slot: str, inflect: bool) -> str:
    """A slot as regex; when `inflect`, the first word of each alternative takes any form."""
    body = slot[1:-1] if slot.startswith("(") and slot.endswith(")") else slot
    alternatives = []
    for alternative in body.split("|"):
        words = alternative.replace("~", "").split(" ")
        if inflect:
            words[0] = "(?:" + "|".join(re.escape(f) for f in word_forms(words[0])) + ")"
        else:
            words[0] = re.escape(words[0])
        alternatives.append(" ".join([words[0]] + [re.escape(w) for w in words[1:]]))
    return "(?:" + "|".join(alternatives) + ")"


def action_regex(phrase: str, inflect: bool) -> Pattern[str]:
    slots = _slots(phrase)
    marked = next((i for i, s in enumerate(slots) if "~" in s), 0)
    out, glued = "", False
    for index, slot in enumerate(slots):
        if slot == "...":
            out += _GAP
            glued = True
            continue
        piece = _inflect_slot(slot, inflect and index == marked)
        out += piece if index == 0 or glued else _SEP + piece
        glued = False
    return _words_regex(out)


def _action(row: Mapping[str, Any], groups: Mapping[str, Sequence[str]]) -> Action:
    where = f"actions/{row['id']}"
    grants = _kinds(row.get("grants") or (), groups, where)
    prohibits = _kinds(row["prohibits"], groups, where) if "prohibits" in row else grants
    return Action(id=row["id"], grants=grants, prohibits=prohibits,
                  base=action_regex(row["phrase"], False),
                  inflected=action_regex(row["phrase"], True),
                  grant_only=bool(row.get("grant_only")), noun=bool(row.get("noun")),
                  family=row.get("family"), object=row.get("object"), names=row.get("names"),
                  needs_object=bool(row.get("needs_object")),
                  production=bool(row.get("production")))


def _row(section: str, row: Mapping[str, Any], groups: Mapping[str, Sequence[str]],
         whole: bool = False) -> Row:
    pattern = row["pattern"]
    try:
        compiled = re.compile(pattern) if section in ("noun_kinds", "pasted_lines") else \
            re.compile(rf"(?:{pattern})$") if whole else _words_regex(pattern)
    except re.error as exc:
        raise PhraseTableError(f"{section}/{row.get('id')}: bad pattern: {exc}") from None
    return Row(id=row["id"], pattern=compiled, kind=row.get("kind", ""),
               kinds=_kinds(row.get("kinds") or (), groups, f"{section}/{row['id']}"),
               families=frozenset(row.get("families") or ()), object=row.get("object"),
               mode=row.get("mode", ""))


def _phrases(values: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted((tuple(str(v).split()) for v in values), key=len, reverse=True))


def _check_ids(data: Mapping[str, Any], sections: Sequence[str]) -> None:
    for section in sections:
        for index, row in enumerate(data[section]):
            if not isinstance(row.get("id"), str):
                raise PhraseTableError(f"{section}[{index}]: the id must be text, got "
                                       f"{row.get('id')!r} (quote it in the YAML)")


def build_table(data: Mapping[str, Any]) -> PhraseTable:
    groups = data["groups"]
    rows = {name: tuple(data[name]) for name in (
        "pasted_lines", "cues", "actions", "noun_kinds", "near_misses", "subject_markers",
        "objects", "condition_cues", "conditions", "approval_conditions", "standalone")}
    _check_ids(data, tuple(rows))
    cues = tuple(Cue(r["id"], r["kind"], r.get("takes", "base"), _words_regex(r["pattern"]))
                 for r in data["cues"])
    return PhraseTable(
        english=frozenset(data["language"]["english"]),
        foreign=frozenset(data["language"]["foreign"]) - frozenset(data["language"]["english"]),
        pasted=tuple(_row("pasted_lines", r, groups).pattern for r in data["pasted_lines"]),
        cues=cues,
        after_negation=_words_regex("|".join(re.escape(w) for w in data["after_negation"])),
        clause_breaks=frozenset(str(w) for w in data["clause_breaks"]),
        actions=tuple(_action(r, groups) for r in data["actions"]),
        noun_kinds=tuple(_row("noun_kinds", r, groups) for r in data["noun_kinds"]),
        near_misses=tuple(_row("near_misses", r, groups) for r in data["near_misses"]),
        subject_markers=frozenset(w for r in data["subject_markers"] for w in r["words"]
                                  if r.get("reach") != "object"),
        outcome_markers=frozenset(w for r in data["subject_markers"] for w in r["words"]
                                  if r.get("reach") == "object"),
        object_ends=_phrases(data["object_ends"]),
        object_fillers=_phrases(data["object_fillers"]),
        prepositions=_phrases(data["prepositions"]),
        objects=tuple(_row("objects", r, groups, whole=True) for r in data["objects"]),
        not_names=frozenset(data["not_names"]),
        condition_cues=tuple(_row("condition_cues", r, groups) for r in data["condition_cues"]),
        conditions=tuple(_row("conditions", r, groups) for r in data["conditions"]),
        condition_evidence=dict(data["condition_evidence"]),
        approval_conditions=tuple(_row("approval_conditions", r, groups)
                                  for r in data["approval_conditions"]),
        standalone=tuple(_row("standalone", r, groups, whole=True)
                         for r in data["standalone"]),
        rows=rows,
        named_path=re.compile(data["named_path"]["pattern"]) if "named_path" in data else None)


@lru_cache(maxsize=2)
def load_table(path: str | None = None) -> PhraseTable:
    """The compiled phrase table (the package's own unless a path is given)."""
    if path is None:
        return build_table(table("phrases"))
    return build_table(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
