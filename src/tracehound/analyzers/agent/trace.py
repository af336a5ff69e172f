"""Step 1 of the agent-runaway path: reconstruct the tool-call trace.

Per session, the ordered chain of tool calls with parent links and what each step did to state
(read, created, changed, sent, deleted), with the approval, intent, result, credential and
network records about it merged in. Every later agent finding anchors to one of these steps.
The trace is an artifact (CONTRACT.md `traces`), not a finding: a step is a fact, and whether
it was wrong is for the next six tools to say.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from ...model import Event, Finding
from ..registry import Analyzer, Context, register
from .steps import AGENT_SOURCES, traces_of


@register
class TraceReconstructor(Analyzer):
    NAME = "trace-reconstructor"
    VERSION = "1"
    FAMILY = "agent"
    TITLE = "Ordered tool-call chain per session, with parent links and state mutations"
    CONSUMES = AGENT_SOURCES

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        traces_of(events, ctx)          # built once here; the other tools reuse it
        return ()

    def artifacts(self, events: Sequence[Event], ctx: Context) -> Mapping[str, list]:
        traces = traces_of(events, ctx)
        return {"traces": traces.to_json()} if traces.traces else {}
