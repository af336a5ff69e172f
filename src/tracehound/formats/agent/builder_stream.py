"""TraceBuilder's state while it hands out events as a file is read (`TraceBuilder.stream`).

Steps are numbered as calls are added (file order), results are applied to their calls as
they come (or when a call comes after its result), and an item is handed out once no later
record can change it: the shape says so on each call and result (`settled_at`, the last line
that can). What `TraceBuilder.build` gives for the whole file, in the same order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...model import Event
from .builder import (ToolCall, ToolResult, inform, is_reading,
                      tool_call_event, tool_result_event)

if TYPE_CHECKING:
    from .builder import TraceBuilder


class Stream:
    """TraceBuilder's state while it streams: steps numbered as calls are added, results
    applied to their calls as they come (or when a call comes after its result)."""

    def __init__(self, runtime: str):
        self.runtime = runtime
        self.emitted = 0                      # items handed out (of the builder's list)
        self.seq = 0
        self.read_something = False
        self.steps: dict[str | None, int] = {}           # session -> its last step
        self.step_of: dict[int, int] = {}                # id(call) -> step, until handed out
        self.by_key: dict[str, int] = {}                 # call key -> step of its first call
        # (session, tool_call_id) -> the call, or (tool, step, its id) once it was handed out
        self.by_call_id: dict[tuple[str | None, str], Any] = {}
        self.early: dict[tuple[str | None, str], list[ToolResult]] = {}

    def added(self, item: Any) -> None:
        if isinstance(item, ToolCall):
            step = self.steps[item.session] = self.steps.get(item.session, 0) + 1
            self.step_of[id(item)] = step
            if item.key:
                self.by_key.setdefault(item.key, step)
            if item.tool_call_id:
                key = (item.session, item.tool_call_id)
                self.by_call_id[key] = item
                for result in self.early.pop(key, ()):
                    inform(item, result)
        elif isinstance(item, ToolResult) and item.tool_call_id:
            key = (item.session, item.tool_call_id)
            call = self.by_call_id.get(key)
            if isinstance(call, ToolCall):
                inform(call, item)
            elif call is None:
                self.early.setdefault(key, []).append(item)

    def event(self, item: Any, builder: "TraceBuilder") -> Event:
        if isinstance(item, ToolCall):
            step = self.step_of.pop(id(item))
            parent = self.by_key.get(item.parent_key) if item.parent_key else None
            if item.tool_call_id:
                self.by_call_id[(item.session, item.tool_call_id)] = (item.tool, step,
                                                                      item.tool_call_id)
            self.read_something = True
            return tool_call_event(item, self.runtime, step, parent)
        if isinstance(item, ToolResult):
            call = self.by_call_id.get((item.session, item.tool_call_id)) \
                if item.tool_call_id else None
            if call is None:
                if item.tool_call_id:
                    builder._orphan(item)
                return tool_result_event(item, self.runtime, None)
            if isinstance(call, ToolCall):
                tool, step, call_id = call.tool, self.step_of[id(call)], call.tool_call_id
            else:
                tool, step, call_id = call
            item.tool_call_id = call_id        # the call's string: one object for both
            if not item.tool:
                item.tool = tool
            return tool_result_event(item, self.runtime, step)
        self.read_something = self.read_something or is_reading(item)
        return item
