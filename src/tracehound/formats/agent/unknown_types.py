"""Counting the records of a type a parser does not know, so that nothing is dropped silently.

docs/agent-sessions.md: a record type the parser does not know is counted and reported once
per file (`N records of unknown type X (not read)`), at the locator of the first one.
"""

from __future__ import annotations

from typing import Iterator

from ...model import ParseIssue


class UnknownTypes:
    """Remembers each unknown record type with its count and first locator."""

    def __init__(self, path: str):
        self.path = path
        self._seen: dict[str, list] = {}            # type -> [count, first locator]

    def count(self, kind: object, locator: str) -> None:
        name = kind if isinstance(kind, str) and kind else repr(kind)
        entry = self._seen.setdefault(name[:80], [0, locator])
        entry[0] += 1

    def issues(self) -> Iterator[ParseIssue]:
        for name, (count, locator) in self._seen.items():
            plural = "record" if count == 1 else "records"
            yield ParseIssue(self.path, locator,
                             f"{count} {plural} of unknown type {name} (not read)")
