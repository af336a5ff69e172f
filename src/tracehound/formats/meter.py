"""How far a long read has got: the bytes of one source read so far, for progress displays.

The pipeline sets a meter around one source's parse (`metered`); the shared line readers
(readers.py) hand it their byte offset every METER_STEP bytes, never per record, so an
unwatched parse pays one integer comparison a line. A context variable rather than a
parameter: every parser reads through the same few readers, and none of them has to know.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator

METER_STEP = 64 * 1024            # bytes between two reports of one read
NEVER = 1 << 62                   # the next report's offset when nobody watches

Meter = Callable[[int], None]     # bytes of the source read so far

_CURRENT: ContextVar[Meter | None] = ContextVar("tracehound_read_meter", default=None)


@contextmanager
def metered(meter: Meter | None) -> Iterator[None]:
    """Reads in this block report their offset to `meter` (None: to nobody)."""
    token = _CURRENT.set(meter)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current() -> Meter | None:
    """The meter of the read under way, if someone watches it."""
    return _CURRENT.get()
