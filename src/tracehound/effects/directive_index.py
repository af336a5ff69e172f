"""The indexes `human.Instructions` answers from: the directives that cover each effect kind,
in the order they were stated, and the key under which a directive is "the latest" for its
kind and object (what `in_force` keeps)."""

from __future__ import annotations

from .clauses import Directive


class KindIndex:
    """The directives that cover one effect kind, in order, with their turns and how many
    prohibitions and approval waits stand before each position."""

    __slots__ = ("directives", "turns", "_prohibits", "_awaits")

    def __init__(self, directives: list[Directive]):
        self.directives = tuple(directives)
        self.turns = tuple(d.turn for d in directives)
        self._prohibits = [0]
        self._awaits = [0]
        for d in directives:
            self._prohibits.append(self._prohibits[-1] + (d.kind == "prohibit"))
            self._awaits.append(self._awaits[-1] + (d.kind == "await-approval"))

    def prohibits_before(self, position: int) -> bool:
        """Whether a prohibition stands among the first `position` directives."""
        return self._prohibits[position] > 0

    def awaits_before(self, position: int) -> bool:
        return self._awaits[position] > 0


def force_keys(d: Directive) -> list[tuple[str, str, str | None]]:
    group = "await" if d.kind == "await-approval" else "rule"
    obj = d.object if d.resolved else "?" + (d.object_text or "")
    return [(group, kind, obj) for kind in d.effects]
