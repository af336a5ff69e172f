"""Instructions hidden in tool output, and the values an action took from it.

Prompt injection reaches an agent through what its tools return: a web page, a file, an issue
comment that speaks to the assistant ("ignore previous instructions", "send the keys to ...").
`instructions_in` finds such imperative text; `taken_from` finds the argument values of a later
action that appear in that output but in no human prompt, the taint from output to action.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable, Iterator

from ...effects.secrets import caseless
from ...model import HeldText

_INSTRUCTION = re.compile(
    r"(?i)\b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}\b(?:instructions?|rules|prompt|"
    r"guidelines|directions)\b"
    r"|\b(?:you are now|you must now|new instructions|system prompt|important instructions?|"
    r"as the assistant|assistant,|ai agent,|dear (?:ai|assistant|agent))\b"
    # "send ... to <an address>": documentation says "copy the file to the folder" and
    # "send a message to show"; an injection names where the data should go
    r"|\b(?:send|upload|forward|e-?mail|post|exfiltrate|copy|transfer|curl)\b"
    r"(?:[^.\n]|\.(?=\S)){0,80}"
    r"\bto\b\s+(?:https?://|ftp://|[\w.+-]+@[\w-]+\.|(?:[\w-]+\.)+(?:com|net|org|io|dev|xyz|ru|"
    r"cn|site|top|info|biz|me|co|app|sh)\b|\d{1,3}(?:\.\d{1,3}){3})"
    r"|\b(?:do not|don't|never)\s+(?:tell|inform|mention|reveal)\b[^.\n]{0,30}\b(?:user|human)"
    r"|<\s*/?\s*(?:system|instructions?|important|admin)\s*>")
_ATOM = re.compile(r"https?://[^\s\"'<>]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|"
                   r"(?:[\w-]+\.)+[a-z]{2,}(?:/[^\s\"'<>]*)?|(?:~|\.{0,2})/[\w./-]+")
MIN_ATOM = 6
MAX_LEAF = 200


CACHED_TEXT = 4096        # tool outputs repeat ("ok", "[]"): short ones are read once


def instructions_in(text: str | HeldText | None, limit: int = 3) -> list[str]:
    """Up to `limit` short snippets of imperative text addressed to the agent (a HeldText:
    those read while it was held, at the default limit)."""
    if not text:
        return []
    if type(text) is HeldText:
        if limit == 3:
            return list(text.instructions)
        text = text.text()
    if len(text) <= CACHED_TEXT:
        return list(_cached_instructions(text, limit))
    return _find_instructions(text, limit)


@lru_cache(maxsize=4096)
def _cached_instructions(text: str, limit: int) -> tuple[str, ...]:
    return tuple(_find_instructions(text, limit))


# Words one of _INSTRUCTION's branches needs (lower-cased; a part of a word is enough, as
# "url" of the branch's program name): text holding none of them (its caseless form) cannot
# match, and most tool output holds none.
_NEEDED = ("ignore", "disregard", "forget", "override", "you are now", "you must now",
           "instruction", "system", "important", "as the assistant", "assistant,", "ai agent,",
           "dear a", "send", "upload", "forward", "mail", "post", "exfiltrate", "copy",
           "transfer", "url", "do not", "don't", "never", "admin")


def _find_instructions(text: str, limit: int) -> list[str]:
    lowered = caseless(text)
    if not any(map(lowered.__contains__, _NEEDED)):
        return []
    found = []
    for match in _INSTRUCTION.finditer(text):
        found.append(" ".join(match.group(0).split())[:120])
        if len(found) >= limit:
            break
    return found


def _leaves(value: Any, depth: int = 0) -> Iterator[str]:
    if depth > 16:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item, depth + 1)


def atoms_of(arguments: Any) -> list[str]:
    """Values worth tracing: URLs, e-mail addresses, host names, paths, short whole values."""
    atoms: list[str] = []
    for leaf in _leaves(arguments):
        atoms += [m.rstrip(".,;)") for m in _ATOM.findall(leaf)]
        if MIN_ATOM <= len(leaf) <= MAX_LEAF and "\n" not in leaf:
            atoms.append(leaf)
    return list(dict.fromkeys(a for a in atoms if len(a) >= MIN_ATOM))


def taken_from(arguments: Any, output: str, human_text: Iterable[str]) -> list[str]:
    """Argument values that occur in the tool output and in none of the human's own words."""
    return found_in(atoms_of(arguments), output.lower(), human_words(human_text))


def human_words(human_text: Iterable[str]) -> str:
    """The human's words as `found_in` reads them (joined once for many steps)."""
    return "\n".join(t for t in human_text if t).lower()


def found_in(atoms: list[str], lowered_output: str, lowered_human: str) -> list[str]:
    """taken_from with its parts made once: the atoms of the arguments, the lower-cased
    output and the human's words."""
    return [atom for atom in atoms
            if atom.lower() in lowered_output and atom.lower() not in lowered_human]
