"""The parser registry: explicit, keyed on a unique format name, greppable.

Built-in parsers register with `@register` when their module is imported by
`tracehound.formats`; third-party parsers come through the `tracehound.formats` entry-point
group. A duplicate name is an error, never a silent override.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from .base import Parser

_PARSERS: dict[str, Parser] = {}


class DuplicateParserError(ValueError):
    pass


def register(cls: type[Parser]) -> type[Parser]:
    name = cls.name
    if name in _PARSERS:
        raise DuplicateParserError(f"a parser named {name!r} is already registered")
    _PARSERS[name] = cls()
    return cls


def get(name: str) -> Parser:
    try:
        return _PARSERS[name]
    except KeyError:
        known = ", ".join(sorted(_PARSERS))
        raise KeyError(f"unknown format {name!r}; known formats: {known}") from None


def all_parsers() -> list[Parser]:
    """Most specific first (priority desc), then by name, so sniffing is deterministic."""
    return sorted(_PARSERS.values(), key=lambda p: (-p.priority, p.name))


def load_plugins() -> None:
    for entry in sorted(entry_points(group="tracehound.formats"), key=lambda e: e.name):
        entry.load()
