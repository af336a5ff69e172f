"""Session assembly: joining the files of one session, after every file is parsed and before
the tools run (docs/agent-sessions.md, "Session assembly").

A parser reads one file. What belongs together across files is joined here, on declared keys
and only among the files supplied as evidence:

1. MCP client logs: the per-server logs of one client (same `client_name` / `client_version`
   from `initialize`, same folder, overlapping time windows) become one session,
   `mcp-client-<sha256[:12]>` of the sorted member paths.
2. Copies: a record seen in two files (same runtime, session, source, `record_id` and call
   id; MCP messages also within COPY_SKEW of each other) is one event whose
   `attrs["copies"]` lists the refs of the others, which are dropped. The session is part of
   the key because some runtimes number records per conversation (0, 1, 2...): two runs are
   never copies of each other.
3. Sub-agents: the events of a sub-agent (`sidechain`, `agent_id`) go under the call that
   started it: the call whose `spawns` names the agent, else the Task / Agent call of the
   session whose prompt is the sub-agent's first prompt. Its top-level calls get that call as
   parent; its steps become steps of the parent session. An unplaced sub-agent stays a
   session of its own and gets one parse issue saying why.
4. Numbering: the steps of a session that now spans several files are numbered again 1..N in
   order of (time, file order); parent links and results follow.
5. A Cline / Roo Code UI log without its conversation file: the UI log is then the only record
   of the task's tool calls, so each approval it records (ask or say naming a tool, command
   or MCP call) becomes the step itself, at the same ref, numbered in file order, with its
   approval on it. With the conversation file present the approvals stay approvals and
   attach to its calls.

Pure: imports only the model, changes nothing it is given, and returns the new event list
with the refs of the events it changed or dropped (the pipeline reloads those in the case
store).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Iterable, Sequence

from .model import Event, EvidenceFile, ParseIssue

AGENT_PREFIXES = ("agent:", "mcp:")
COPY_SKEW = 2.0                 # seconds two logged copies of one MCP message may differ by
SPAWNING_TOOLS = frozenset({"Task", "Agent"})
UI_RUNTIMES = frozenset({"cline", "roo-code"})
COPIED_SOURCES = ("agent:tool_call", "agent:tool_result", "agent:prompt",
                  "agent:human_command", "agent:instructions", "agent:session", "mcp:")


@dataclass
class Assembly:
    """The assembled events, the refs (sha256, locator) of events changed or dropped, the
    issues assembly found, and each joined session's member files (sha256s, evidence order)."""

    events: list[Event]
    changed: set[tuple[str, str]] = field(default_factory=set)
    issues: list[ParseIssue] = field(default_factory=list)
    joined: dict[str, list[str]] = field(default_factory=dict)


def assemble(events: Sequence[Event], evidence: Sequence[EvidenceFile]) -> Assembly:
    """Join the sessions the given agent evidence files hold (see the module docstring)."""
    files = list(evidence)
    if len({f.sha256 for f in files}) < 2:
        promoted = _ui_only_steps(events)
        return Assembly(promoted.events, promoted.changed,
                        issues=list(_lone_subagents(events, files)))
    work = _Work(events, files)
    if not work.agent:
        return Assembly(list(events))
    work.merge_mcp_clients()
    work.drop_copies()
    work.place_subagents()
    work.renumber()
    assembled = work.result()
    promoted = _ui_only_steps(assembled.events)
    assembled.events = promoted.events
    assembled.changed |= promoted.changed
    return assembled


def _is_ui_approval(event: Event) -> bool:
    return event.source == "agent:approval" and "ask" in event.attrs and \
        event.attrs.get("runtime") in UI_RUNTIMES


def _ui_only_steps(events: Sequence[Event]) -> Assembly:
    """Step 5 of the module docstring."""
    with_calls = {e.session for e in events if e.source == "agent:tool_call"}
    lone = {e.session for e in events if _is_ui_approval(e) and e.session not in with_calls}
    if not lone:
        return Assembly(list(events))
    out: list[Event] = []
    changed: set[tuple[str, str]] = set()
    numbers: dict[str | None, int] = defaultdict(int)
    for event in events:
        if _is_ui_approval(event) and event.session in lone:
            numbers[event.session] += 1
            out.append(_ui_step(event, numbers[event.session]))
            changed.add((event.ref.sha256, event.ref.locator))
        else:
            out.append(event)
    return Assembly(out, changed)


def _ui_step(approval: Event, number: int) -> Event:
    """The tool call a UI log's approval record names, as the step it is."""
    attrs = dict(approval.attrs)
    tool = str(attrs.get("tool") or attrs.get("ask") or approval.action)
    arguments = attrs.pop("arguments", None)
    if not isinstance(arguments, dict):
        arguments = {"command": attrs["command"]} if attrs.get("command") is not None else {}
    if attrs.get("server") or attrs.get("mcp_tool"):       # Cline's use_mcp_tool shape
        inner = arguments.get("arguments")
        try:
            inner = json.loads(inner) if isinstance(inner, str) else inner
        except (ValueError, RecursionError):
            pass
        tool = "use_mcp_tool"
        arguments = {"server_name": attrs.get("server"), "tool_name": attrs.get("mcp_tool"),
                     "arguments": inner}
    attrs.update(tool=tool, arguments=arguments, tool_call_id=f"ui-{approval.ref.locator}",
                 read_from="ui log (no conversation file among the evidence)")
    rejected = attrs.get("approval") == "rejected"
    return replace(approval, source="agent:tool_call", action=tool, actor_kind="agent",
                   outcome="rejected" if rejected else None, step=number, approver=None
                   if attrs.get("approval") != "approved" else approval.approver, attrs=attrs)


def _lone_subagents(events: Sequence[Event], files: Sequence[EvidenceFile]
                    ) -> Iterable[ParseIssue]:
    """A sub-agent file given alone: one issue (its parent session is not in the evidence)."""
    paths = {f.sha256: f.path for f in files}
    for event in events:
        if event.source == "agent:session" and event.attrs.get("agent_id") and \
                event.ref.sha256 in paths:
            yield ParseIssue(paths[event.ref.sha256], event.ref.locator,
                             f"sub-agent {event.attrs['agent_id']} not placed under a parent "
                             f"call: no file of its session {event.session} among the evidence "
                             "started it; kept as a session of its own", notice=True)


def _seconds(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class _Work:
    """The events being assembled: originals by position, replacements, dropped positions."""

    def __init__(self, events: Sequence[Event], files: Sequence[EvidenceFile]):
        self.original = events
        self.files = files
        self.order: dict[str, int] = {}
        for position, file in enumerate(files):
            self.order.setdefault(file.sha256, position)
        self.paths = {f.sha256: f.path for f in files}
        self.agent = [i for i, e in enumerate(events) if e.ref.sha256 in self.order
                      and e.source.startswith(AGENT_PREFIXES)]
        self.new: dict[int, Event] = {}
        self.dropped: set[int] = set()
        self.issues: list[ParseIssue] = []
        self.joined: dict[str, list[str]] = {}
        self.parent_override: dict[int, int] = {}      # call position -> spawner position
        self.touched: set[str] = set()                 # sessions that gained another file

    def get(self, index: int) -> Event:
        return self.new.get(index) or self.original[index]

    def live(self) -> Iterable[int]:
        return (i for i in self.agent if i not in self.dropped)

    def set(self, index: int, **changes: Any) -> None:
        self.new[index] = replace(self.get(index), **changes)

    def file_key(self, index: int) -> tuple[int, int]:
        event = self.original[index]
        return (self.order[event.ref.sha256], index)

    # ------------------------------------------------------------------ 1. MCP client logs

    def merge_mcp_clients(self) -> None:
        groups: dict[tuple, list[str]] = defaultdict(list)
        session_of: dict[str, str] = {}
        for index in self.live():
            event = self.get(index)
            attrs = event.attrs
            if event.source == "agent:session" and attrs.get("agent_kind") == "desktop" \
                    and attrs.get("client_name") and event.session:
                sha = event.ref.sha256
                if sha not in session_of:
                    session_of[sha] = event.session
                    folder = posixpath.dirname(self.paths[sha].replace("\\", "/"))
                    groups[(attrs["client_name"], attrs.get("client_version"), folder)] \
                        .append(sha)
        windows = self._windows(set(session_of))
        for members in groups.values():
            for cluster in _overlapping(members, windows):
                if len(cluster) > 1:
                    self._join_mcp(cluster, session_of)

    def _windows(self, shas: set[str]) -> dict[str, tuple[float, float]]:
        spans: dict[str, list[float]] = {}
        for index in self.live():
            event = self.get(index)
            if event.ref.sha256 in shas:
                moment = _seconds(event.time)
                if moment is not None:
                    span = spans.setdefault(event.ref.sha256, [moment, moment])
                    span[0], span[1] = min(span[0], moment), max(span[1], moment)
        return {sha: (span[0], span[1]) for sha, span in spans.items()}

    def _join_mcp(self, cluster: list[str], session_of: dict[str, str]) -> None:
        paths = sorted(self.paths[sha] for sha in cluster)
        merged = "mcp-client-" + hashlib.sha256("\n".join(paths).encode()).hexdigest()[:12]
        self.joined[merged] = sorted(cluster, key=self.order.__getitem__)
        self.touched.add(merged)
        members = set(cluster)
        for index in self.live():
            event = self.get(index)
            if event.ref.sha256 not in members or event.session != session_of[event.ref.sha256]:
                continue
            old = session_of[event.ref.sha256]
            changes: dict[str, Any] = {"session": merged}
            call_id = event.attrs.get("tool_call_id")
            if isinstance(call_id, str) and call_id.startswith(old + "#"):
                changes["attrs"] = {**event.attrs,
                                    "tool_call_id": merged + call_id[len(old):]}
            self.set(index, **changes)

    # ------------------------------------------------------------------ 2. copies

    def drop_copies(self) -> None:
        first_file: dict[Any, str] = {}          # record id -> the first file holding it
        repeated: set[Any] = set()               # record ids held by more than one file
        for index in self.live():
            record_id = self.get(index).attrs.get("record_id")
            if record_id:
                sha = self.original[index].ref.sha256
                if first_file.setdefault(record_id, sha) != sha:
                    repeated.add(record_id)
        if not repeated:
            return
        groups: dict[tuple, list[int]] = defaultdict(list)
        for index in self.live():
            event = self.get(index)
            attrs = event.attrs
            if attrs.get("record_id") in repeated and event.source.startswith(COPIED_SOURCES):
                groups[(attrs.get("runtime"), event.session, event.source,
                        attrs["record_id"], attrs.get("tool_call_id"),
                        attrs.get("prompt_hash"), attrs.get("path"), event.action)] \
                    .append(index)
        starts = self._starts()
        for members in groups.values():
            if len({self.original[i].ref.sha256 for i in members}) > 1:
                self._collapse(sorted(members, key=lambda i: (
                    starts.get(self.original[i].ref.sha256, "~"),) + self.file_key(i)))

    def _starts(self) -> dict[str, str]:
        """Each file's first time: of two copies of a record, the one in the file that was
        written first (the session it was resumed or forked from) is kept."""
        starts: dict[str, str] = {}
        for index in self.live():
            event = self.get(index)
            if event.time:
                key = _time_key(event.time)
                sha = event.ref.sha256
                if key < starts.get(sha, "~"):
                    starts[sha] = key
        return starts

    def _collapse(self, members: list[int]) -> None:
        """Keep the first of each set of copies (one per file); the others are dropped and
        their refs listed on it."""
        kept: list[int] = []
        for index in members:
            event = self.get(index)
            twin = next((k for k in kept if self._is_copy(self.get(k), event)), None)
            if twin is None:
                kept.append(index)
                continue
            keeper = self.get(twin)
            copies = list(keeper.attrs.get("copies", ())) + [event.ref.to_json()]
            self.set(twin, attrs={**keeper.attrs, "copies": copies})
            self.dropped.add(index)
            if keeper.session:
                self.touched.add(keeper.session)

    @staticmethod
    def _is_copy(first: Event, second: Event) -> bool:
        if first.ref.sha256 == second.ref.sha256:
            return False
        if "jsonrpc_id" in first.attrs or first.source.startswith("mcp:"):
            one, two = _seconds(first.time), _seconds(second.time)
            if one is not None and two is not None and abs(one - two) > COPY_SKEW:
                return False
        return True

    # ------------------------------------------------------------------ 3. sub-agents

    def place_subagents(self) -> None:
        groups: dict[tuple[str, str | None, str], list[int]] = defaultdict(list)
        spawners: dict[str, list[int]] = defaultdict(list)
        task_calls: list[int] = []
        for index in self.live():
            event = self.get(index)
            agent = event.attrs.get("agent_id")
            if agent and (event.attrs.get("sidechain") or event.source == "agent:session"):
                groups[(event.ref.sha256, event.session, str(agent))].append(index)
            if event.source == "agent:tool_call":
                if event.attrs.get("spawns"):
                    spawners[str(event.attrs["spawns"])].append(index)
                if event.action in SPAWNING_TOOLS:
                    task_calls.append(index)
        if not groups:
            return
        sessions_by_file = self._main_sessions()
        files_of: dict[str | None, set[str]] = defaultdict(set)
        for index in self.live():
            files_of[self.get(index).session].add(self.original[index].ref.sha256)
        for (sha, session, agent), members in sorted(groups.items(), key=lambda g: (
                self.order[g[0][0]], g[0][2])):
            if session in sessions_by_file.get(sha, ()):
                continue                    # in its parent's own file: the parser placed it
            spawner = self._spawner(agent, session, members, spawners, task_calls, sha)
            if spawner is None:
                self._unplaced(sha, session, agent, members, bool(files_of[session] - {sha}))
            else:
                self._place(spawner, agent, members)

    def _main_sessions(self) -> dict[str, set[str | None]]:
        """Per file, the sessions it holds records of the main agent for."""
        found: dict[str, set[str | None]] = defaultdict(set)
        for index in self.live():
            event = self.get(index)
            if event.source in ("agent:tool_call", "agent:prompt") and \
                    not event.attrs.get("sidechain"):
                found[event.ref.sha256].add(event.session)
        return found

    def _spawner(self, agent: str, session: str | None, members: list[int],
                 spawners: dict[str, list[int]], task_calls: list[int],
                 sha: str) -> int | None:
        outside = [i for i in spawners.get(agent, ()) if self.original[i].ref.sha256 != sha]
        if outside:
            same = [i for i in outside if self.get(i).session == session]
            return (same or outside)[0]
        prompts = [self.get(i) for i in members if self.get(i).source == "agent:prompt"]
        if not prompts:
            return None
        first = prompts[0].attrs.get("text")
        for index in task_calls:
            call = self.get(index)
            arguments = call.attrs.get("arguments")
            if call.ref.sha256 != sha and call.session == session and \
                    isinstance(arguments, dict) and arguments.get("prompt") == first:
                return index
        return None

    def _place(self, spawner: int, agent: str, members: list[int]) -> None:
        parent = self.get(spawner)
        steps = {self.get(i).step for i in members
                 if self.get(i).source == "agent:tool_call"}
        for index in members:
            event = self.get(index)
            changes: dict[str, Any] = {"session": parent.session}
            if event.source in ("agent:tool_call", "agent:tool_result"):
                changes["actor_id"] = agent
            if event.source == "agent:tool_call" and event.parent_step not in steps - {None}:
                self.parent_override[index] = spawner
            self.set(index, **changes)
        if parent.session:
            self.touched.add(parent.session)

    def _unplaced(self, sha: str, session: str | None, agent: str, members: list[int],
                  shared: bool) -> None:
        """Its own session: the file's, or `<session>/<agent>` when another file holds
        that session too (their steps would otherwise run together)."""
        first = self.original[min(members)]
        own = f"{session}/{agent}" if shared else session
        for index in members:
            if own != session:
                self.set(index, session=own)
        self.issues.append(ParseIssue(
            self.paths[sha], first.ref.locator,
            f"sub-agent {agent} not placed under a parent call: no call of session "
            f"{session} among the evidence names it (spawns) or its prompt; kept as session "
            f"{own} of its own", notice=True))

    # ------------------------------------------------------------------ 4. numbering

    def renumber(self) -> None:
        if not self.touched:
            return
        by_session: dict[str | None, list[int]] = defaultdict(list)
        for index in self.live():
            event = self.get(index)
            if event.session in self.touched and event.source in (
                    "agent:tool_call", "agent:tool_result"):
                by_session[event.session].append(index)
        carried = self._carried_times()
        for session, members in by_session.items():
            calls = [i for i in members if self.get(i).source == "agent:tool_call"]
            if len({self.original[i].ref.sha256 for i in calls}) < 2 and \
                    not any(i in self.parent_override for i in calls):
                continue
            calls.sort(key=lambda i: (carried.get(i, ""),) + self.file_key(i))
            self._number(calls, [i for i in members if i not in set(calls)])

    def _carried_times(self) -> dict[int, str]:
        """Each call's time, or the last time before it in its file (untimed keep order)."""
        out: dict[int, str] = {}
        last: dict[str, str] = {}
        for index in self.live():
            event = self.get(index)
            sha = event.ref.sha256
            if event.time:
                last[sha] = _time_key(event.time)
            if event.source == "agent:tool_call":
                out[index] = last.get(sha, "")
        return out

    def _number(self, calls: list[int], results: list[int]) -> None:
        renamed: dict[tuple[str, str | None, int | None], int] = {}
        by_call_id: dict[str, int] = {}
        for step, index in enumerate(calls, start=1):
            event = self.original[index]
            renamed[(event.ref.sha256, event.session, event.step)] = step
            call_id = self.get(index).attrs.get("tool_call_id")
            if call_id:
                by_call_id.setdefault(str(call_id), step)
        for step, index in enumerate(calls, start=1):
            event = self.original[index]
            if index in self.parent_override:
                spawner = self.original[self.parent_override[index]]
                parent = renamed.get((spawner.ref.sha256, spawner.session, spawner.step),
                                     self.get(self.parent_override[index]).step)
            else:
                parent = renamed.get((event.ref.sha256, event.session, event.parent_step)) \
                    if event.parent_step is not None else None
            self.set(index, step=step, parent_step=parent)
        for index in results:
            event = self.original[index]
            step = renamed.get((event.ref.sha256, event.session, event.step)) \
                if event.step is not None else None
            call_id = self.get(index).attrs.get("tool_call_id")
            self.set(index, step=by_call_id.get(str(call_id), step) if call_id else step)

    # ------------------------------------------------------------------ result

    def result(self) -> Assembly:
        for index in self.parent_override:
            if index not in self.new or self.new[index].parent_step is None:
                spawner = self.get(self.parent_override[index])
                self.set(index, parent_step=spawner.step)
        events = [self.new.get(i, e) for i, e in enumerate(self.original)
                  if i not in self.dropped]
        changed = {(self.original[i].ref.sha256, self.original[i].ref.locator)
                   for i in set(self.new) | self.dropped}
        return Assembly(events, changed, self.issues, self.joined)


def _time_key(iso: str) -> str:
    whole, _, fraction = iso.rstrip("Z").partition(".")
    return f"{whole}.{fraction.ljust(6, '0')}"


def _overlapping(members: list[str], windows: dict[str, tuple[float, float]]
                 ) -> list[list[str]]:
    """The members whose time windows overlap, in clusters (members without a time window
    join nothing)."""
    timed = sorted((m for m in dict.fromkeys(members) if m in windows),
                   key=lambda m: windows[m])
    clusters: list[list[str]] = []
    end = float("-inf")
    for member in timed:
        start, stop = windows[member]
        if clusters and start <= end:
            clusters[-1].append(member)
            end = max(end, stop)
        else:
            clusters.append([member])
            end = stop
    return clusters
