"""Small pieces of English the analyzers' statements share."""

from __future__ import annotations

# Letters whose names start with a vowel sound: "an MCP server", "an S3 bucket", "an AWS key".
_VOWEL_SOUND_LETTERS = frozenset("AEFHILMNORSX")


def article(phrase: str, capital: bool = False) -> str:
    """The phrase with "a" or "an" before it, by how its first word is said."""
    first = phrase.split(" ", 1)[0]
    acronym = len(first) > 1 and first[:2].isupper()
    vowel = first[:1] in _VOWEL_SOUND_LETTERS if acronym else first[:1].lower() in "aeiou"
    word = "an" if vowel else "a"
    return f"{word.capitalize() if capital else word} {phrase}"


def join_and(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
