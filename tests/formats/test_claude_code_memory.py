"""The Claude Code parser leaves nothing behind once a file is read, even with the cyclic
collector off (as the pipeline runs a case): its reader, index and builder are freed by
reference counting alone, so a long session does not keep every id it saw."""

from __future__ import annotations

import gc

from agent_runtime_support import REAL, source_of
from tracehound.formats.agent.builder import TraceBuilder
from tracehound.formats.agent.claude_code import ClaudeCodeParser, _SessionReader
from tracehound.formats.agent.claude_code_meta import TranscriptIndex


def test_nothing_of_the_parse_is_left_in_a_cycle():
    path = max((REAL / "claude-code").glob("*.jsonl"), key=lambda p: p.stat().st_size)
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        events = list(ClaudeCodeParser().parse(source_of(path)))
        left = [o for o in gc.get_objects()
                if type(o) in (_SessionReader, TranscriptIndex, TraceBuilder)]
    finally:
        if enabled:
            gc.enable()
    assert events and not left
