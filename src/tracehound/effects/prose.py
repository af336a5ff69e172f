"""The human's own prose in a turn: what `human.py` reads for instructions.

A typed turn mixes what the human wrote with what they pasted: code fences, indented code,
block quotes (`> `), logs, stack traces, diffs, JSON, shell transcripts. Only the prose is an
instruction; pasted lines yield nothing (docs/effects.md). This module keeps the prose as
sentences, each with the text as written (the quote) and a lower-case token list to match
phrases against, and tells whether the prose is in a language the phrase tables cover
(cheap and deterministic: the script of its letters and its share of stop words).

Which lines count as pasted is data (`phrases.yaml`, `pasted_lines`); the block structure
(fences, indentation, quotes, diff and traceback regions) is fixed here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Iterator, Pattern, Sequence

MAX_TEXT = 200_000           # a longer turn is read at its head and its tail (pastes are
                             # long; the instruction is usually before or after them)
MAX_SENTENCE = 240           # quotes are cut here, with an ellipsis
_FENCE = re.compile(r"^\s{0,3}(```+|~~~+)")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+•]|\d{1,3}[.)])\s+")
_INDENTED = re.compile(r"^(?: {4}|\t)")
_DIFF_HEAD = re.compile(r"^(?:diff --git |--- a/|\+\+\+ b/|@@ -\d|index [0-9a-f]{6,}\.\.)")
_TRACE_HEAD = re.compile(r"^(?:Traceback \(most recent call last\)|Exception in thread |"
                         r"panic: |goroutine \d+ \[)")
_ABBREVIATIONS = re.compile(r"\b(?:e\.g|i\.e|etc|vs|cf|approx|incl)\.", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|(?<=[.!?])$")
_TOKEN = re.compile(
    r"`[^`\n]{0,200}`"                                  # inline code: one opaque token
    r"|--?[\w][\w-]*"                                   # a flag: --force, -f
    r"|[\w~.@#$%+/\\'*][\w~.@#$%+/\\'*-]*(?::/{0,2}[\w~.@#$%+/\\'*-]+)*"
    r"|[,;:()\[\]\"!?&—–]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                              "\u00a0": " "})


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of prose: `quote` as written, `words` lower-cased for matching and
    `raw` the same tokens as written (paths and names keep their case)."""

    quote: str
    words: tuple[str, ...]
    raw: tuple[str, ...]
    question: bool


def normalized(text: str) -> str:
    return text.translate(_APOSTROPHES)


def prose_lines(text: str, pasted: Sequence[Pattern[str]]) -> list[str]:
    """The lines of `text` the human wrote as prose, with a blank line wherever a paragraph
    or a dropped block ends (so a sentence never runs across pasted material)."""
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT // 2] + "\n\n" + text[-MAX_TEXT // 2:]
    lines = normalized(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    fence: str | None = None
    region = False             # inside a diff or a stack trace: dropped until a blank line
    for line in lines:
        fenced = _FENCE.match(line)
        if fence is not None:
            if fenced and fenced.group(1)[0] == fence[0] and len(fenced.group(1)) >= len(fence):
                fence = None
            continue
        if fenced:
            fence = fenced.group(1)
            kept.append("")
            continue
        if not line.strip():
            region = False
            kept.append("")
            continue
        if region or _DIFF_HEAD.match(line) or _TRACE_HEAD.match(line):
            region = True
            kept.append("")
            continue
        if _INDENTED.match(line) or line.lstrip().startswith(">") or _pasted(line, pasted):
            kept.append("")
            continue
        kept.append(line)
    return kept


def _pasted(line: str, pasted: Sequence[Pattern[str]]) -> bool:
    stripped = line.strip()
    if any(p.search(stripped) for p in pasted):
        return True
    letters = sum(ch.isalpha() for ch in stripped)
    return len(stripped) >= 24 and letters < 0.45 * len(stripped)


def paragraphs(lines: Iterable[str]) -> Iterator[str]:
    """Prose lines joined into paragraphs; a list item starts a paragraph of its own."""
    current: list[str] = []
    for line in lines:
        item = _LIST_ITEM.match(line)
        if not line.strip() or item:
            if current:
                yield " ".join(current)
            current = [line[item.end():].strip()] if item else []
            continue
        current.append(line.strip().lstrip("#").strip())
    if current:
        yield " ".join(current)


def sentences(paragraph: str) -> Iterator[Sentence]:
    """The sentences of one paragraph, each tokenized."""
    text = _ABBREVIATIONS.sub(lambda m: m.group(0)[:-1].replace(".", ""), paragraph)
    start = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[start:match.start()].strip()
        start = match.end()
        if piece:
            yield sentence(piece)
    rest = text[start:].strip()
    if rest:
        yield sentence(rest)


def sentence(piece: str) -> Sentence:
    raw = tuple(_tokens(piece))
    words = tuple(w.lower() for w in raw)
    quote = " ".join(piece.split())
    if len(quote) > MAX_SENTENCE:
        quote = quote[:MAX_SENTENCE - 1] + "…"
    return Sentence(quote, words, raw, piece.rstrip("\"') ]").endswith("?"))


def _tokens(piece: str) -> Iterator[str]:
    for match in _TOKEN.finditer(piece):
        token = match.group(0)
        if token.startswith("`"):
            yield token
            continue
        trail = ""
        while len(token) > 1 and token[-1] in ".:'*" and not token.endswith(".."):
            trail = token[-1] + trail
            token = token[:-1]
        if token.startswith("'") and len(token) > 1:
            token = token[1:]
        yield token
        if ":" in trail:
            yield ":"


# ----------------------------------------------------------------------------- language

@dataclass(frozen=True, slots=True)
class Language:
    """Whether the phrase tables can read a text, and why not."""

    parsed: bool
    reason: str = ""


WIDE_WEIGHT = 3        # Latin letters one Chinese / Japanese character stands for
MANY_WORDS = 8         # words an English turn hardly writes without one function word
GLUED = 25             # letters of one "word" that is a sentence without spaces


def language_of(words: Sequence[str], letters: str, english: frozenset[str],
                foreign: frozenset[str]) -> Language:
    """Latin script and English function words: parsed. Another script, or more function
    words of another language than of English: not parsed. Short English-looking text with
    no function words at all ("commit, push") is parsed."""
    latin = other = 0
    for ch in letters[:4000]:
        if ch.isalpha():
            if ch.isascii() or unicodedata.name(ch, "").startswith("LATIN"):
                latin += 1
            else:
                # a Chinese or Japanese character is a word or half of one: it weighs as
                # much as a short Latin word ("添加功能" = "add feature")
                other += WIDE_WEIGHT if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    if other > latin:
        return Language(False, "the turn is written in a script other than Latin")
    plain = [w.strip("'") for w in words if w[:1].isalpha()]
    ours = sum(w in english for w in plain)
    theirs = sum(w in foreign for w in plain)
    if theirs > ours and (theirs >= 2 or ours == 0):
        return Language(False, f"the turn's function words are not English ({theirs} of "
                               f"another language, {ours} English)")
    if ours == 0 and (len(plain) >= MANY_WORDS or any(len(w) >= GLUED for w in plain)):
        return Language(False, "no English function word in a turn this long (another "
                               "language written in Latin letters)")
    return Language(True)
