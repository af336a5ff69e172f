"""The object of an instruction, from its words: "to main", "anything outside src/", "prod".

The words after an action are cut at a condition or an end word ("because"), stripped of
fillers ("now", "yet"), and split before each preposition ("the fix" + "to main"). Each part
must match a row of `objects` in data/phrases.yaml as a whole; what it resolves to is one of
the shapes coverage.py checks ("branch main", "production", "outside src/", "tests", ...).
A part no row matches leaves the object unresolved, and an unresolved prohibition is listed,
never applied.
"""

from __future__ import annotations

from typing import Any, Sequence

from .phrases import DETERMINERS, Action, PhraseTable, phrase_at

STRONG_OBJECTS = ("production", "outside", "branch", "feature-branch", "where")
OBJECT_ORDER = ("production", "outside", "where", "branch", "feature-branch", "credentials",
                "path", "tests", "host", "package", "name")
_DETERMINERS = frozenset(DETERMINERS.split("|"))
_PACKAGE_STOPS = frozenset({"with", "using", "via", "for", "and", "if", "as", "so"})
_GENERIC = frozenset({"it", "this", "that", "them", "these", "those", "everything",
                      "anything", "dependencies", "deps", "packages", "package", "requirements",
                      "project", "stuff", "things", "libraries", "library", "one", "all"})


def group_span(match: Any, prefix: str) -> tuple[int, int] | None:
    """The span of the first non-empty named group whose name starts with `prefix`."""
    for name, value in match.groupdict().items():
        if name.startswith(prefix) and value:
            return match.span(name)
    return None


def resolve_object(raw: Sequence[str], lower: Sequence[str], action: Action | None,
                   table: PhraseTable, lenient: bool = False
                   ) -> tuple[str | None, bool, str | None]:
    """(object, resolved, the words as said) of an action's object words. A part that names
    something specific resolves the object when the rest is not understood only if it is a
    strong place (production, a branch, "outside ...") or, for a grant (`lenient`), any."""
    raw_words = [w.strip("`") for w in raw]
    words = [w.strip("`").replace("'", "") for w in lower]
    words, raw_words = _trimmed(words, raw_words, table)
    said = " ".join(raw_words) or None
    if not words:
        return None, True, None
    parts = _parts(words, raw_words, table)
    results = [_resolve_part(part, raw_part, table) for part, raw_part in parts]
    if action is not None and action.object == "package":
        where = next((r for r in results if r and r.startswith("where ")), None)
        return where or _packages(words, raw_words, table), True, said
    specific = [r for r in results if r not in (None, "?")]
    unresolved = "?" in results
    if not specific:
        return None, not unresolved, (said if unresolved else None)
    best = min(specific, key=lambda r: (OBJECT_ORDER.index(r.split(" ")[0]),
                                        -specific.index(r)))
    if unresolved and not lenient and best.split(" ")[0] not in STRONG_OBJECTS:
        return None, False, said
    return best, True, said


def _trimmed(words: list[str], raw: list[str], table: PhraseTable
             ) -> tuple[list[str], list[str]]:
    for index in range(len(words)):
        if phrase_at(words, index, table.object_ends):
            words, raw = words[:index], raw[:index]
            break
    changed = True
    while changed and words:
        changed = False
        for filler in table.object_fillers:
            size = len(filler)
            if size <= len(words) and tuple(words[-size:]) == filler:
                words, raw = words[:-size], raw[:-size]
                changed = True
                break
            if phrase_at(words, 0, (filler,)):
                words, raw = words[size:], raw[size:]
                changed = True
                break
    return words, raw


def _packages(words: list[str], raw: list[str], table: PhraseTable) -> str | None:
    names = []
    for word, original in zip(words, raw):
        if (word,) in table.prepositions or word in _PACKAGE_STOPS:
            break
        if "." in word or "/" in word:          # requirements.txt, ./pkg: the project's own
            return None
        if word not in _DETERMINERS and word not in _GENERIC and not word.startswith("-"):
            names.append(original)
    return "package " + " ".join(names) if names else None


def _parts(words: list[str], raw: list[str], table: PhraseTable
           ) -> list[tuple[list[str], list[str]]]:
    """The object split before each preposition: "the fix" + "to main"."""
    parts: list[tuple[list[str], list[str]]] = [([], [])]
    index = 0
    while index < len(words):
        prep = phrase_at(words, index, table.prepositions)
        if prep and index > 0 and parts[-1][0]:
            parts.append(([], []))
        size = prep or 1
        parts[-1][0].extend(words[index:index + size])
        parts[-1][1].extend(raw[index:index + size])
        index += size
    return [p for p in parts if p[0]]


def _resolve_part(words: list[str], raw: list[str], table: PhraseTable) -> str | None:
    """None: names no particular object; "?": not understood; else a coverage object."""
    text = " ".join(words)
    raw_text = " ".join(w.replace("'", "") for w in raw)
    for row in table.objects:
        match = row.pattern.match(text)
        if match is None:
            continue
        if row.object is None:
            return None
        return _filled(row.object, match, raw_text if len(raw_text) == len(text) else text,
                       table)
    return "?"


def _filled(template: str, match: Any, raw_text: str, table: PhraseTable) -> str:
    if "{" not in template:
        return template
    head, _, rest = template.partition("{")
    key = rest.split("}", 1)[0]
    span = group_span(match, key)
    if span is None:
        return "?"
    value = raw_text[span[0]:span[1]]
    if key == "name" and value.lower() in table.not_names | _DETERMINERS:
        return "?"
    if key == "branch":
        value = value.lower()
    return head + value
