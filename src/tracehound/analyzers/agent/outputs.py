"""Tool output the process lets go of once the case store holds it (a large source's).

A million-call session holds gigabytes of tool output; the agent tools ask three things of
each: the secrets in it (effects.secrets), the instructions it addresses to the agent
(instruction_text), and, for the few outputs that a sensitive read produced or that hold a
secret or an instruction, the text itself (payload fingerprints, values taken from it).
`hold_outputs` reads the first two while the text is at hand and leaves a `model.HeldText`
in its place, which gives the text back from a spill file when asked. Every answer is the
one the text itself would give.
"""

from __future__ import annotations

from typing import Iterable

from ...effects import secrets
from ...model import Event, HeldText, TextSpill
from .instruction_text import instructions_in

HELD_ATTRS = ("result_text",)
HOLD_CHARS = 256            # shorter texts cost less than what stands in for them
HELD_SOURCES = ("agent:", "mcp:")


def held(text: str, spill: TextSpill) -> HeldText:
    hits = secrets._text_hits(text) if len(text) <= secrets.CACHED_TEXT else \
        secrets._find_in_text(text)
    return HeldText(text, spill, hits, tuple(instructions_in(text)))


def hold_outputs(events: Iterable[Event], spill: TextSpill) -> None:
    """Replace each long tool output of the events by a HeldText (in place: the events are
    stored, and attrs is the one part of an Event that is not frozen)."""
    for event in events:
        attrs = event.attrs
        if not event.source.startswith(HELD_SOURCES) or type(attrs) is not dict:
            continue
        for key in HELD_ATTRS:
            value = attrs.get(key)
            if type(value) is str and len(value) > HOLD_CHARS:
                attrs[key] = held(value, spill)
