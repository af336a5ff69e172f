"""Agent-runtime NDJSON exports in the kepler reference shape (seed 001).

Four line-oriented exports an autonomous-agent platform hands responders, one JSON object a
line: the tool-call trace (`step_index`, `parent_step_index`, `tool`, `arguments`), the
prompt-vs-action corpus (`stated_intent`, `actual_action`), the accountability corpus
(`tool_call_id` -> `approver`), and the egress monitor's flow rows (`egress_bytes` per
connection with the tool calls it carried). Each line becomes one Event as docs/events.md
says; a bad line is one ParseIssue and the parse goes on.
"""

from __future__ import annotations

import dataclasses
from sys import intern
from typing import Any, Iterator
from urllib.parse import urlsplit

from ...model import Event, ParseIssue, line_ref
from ...taxonomy import classify_action
from .builder import ToolCall, tool_call_event
from .common import utc_iso
from ..base import Parser, Sample, Source
from ..readers import iter_ndjson, iter_ndjson_file
from ..registry import register

RUNTIME = "kepler-ndjson"
STREAM_BYTES = 32 * 1024 * 1024      # larger exports are read from disk a line at a time
ERROR_STATUSES = frozenset({"error", "failed", "failure", "denied", "blocked", "timeout"})
BLOCKED_STATUSES = frozenset({"denied", "blocked"})


# ----------------------------------------------------------------------------- shared mechanics


def as_int(value: Any) -> int | None:
    """A non-negative integer from an int or digit string; None otherwise (bools too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def as_str(value: Any) -> str | None:
    if type(value) is str:             # the common case, first
        return value or None
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value) if str(value) != "" else None


def as_name(value: Any) -> str | None:
    """as_str, interned: agent ids, sessions, tools, models and servers repeat on every line
    of a trace, and a million-line trace then holds each of them once."""
    text = as_str(value)
    return intern(text) if text is not None else None


SHORT_TEXT = 64


def short_text(value: Any) -> Any:
    """A result summary as given, interned when it is short text: "ok", "3 objects", "denied"
    come back on line after line of a trace."""
    if type(value) is str and len(value) <= SHORT_TEXT:
        return intern(value)
    return value


def has_keys(sample: Sample, *required: str) -> bool:
    """True when the first NDJSON records all carry the required keys."""
    return bool(sample.records) and all(set(required) <= set(r) for r in sample.records)


class LineRecords:
    """(line, record) pairs of an NDJSON source, with issues for lines it cannot use."""

    def __init__(self, source: Source, required: tuple[str, ...]):
        self.source = source
        self.required = required

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]] | ParseIssue]:
        source = self.source
        if source.size >= STREAM_BYTES and "data" not in vars(source):
            items = iter_ndjson_file(source.fs_path, source.path)   # never whole in memory
        else:
            items = iter_ndjson(source.data, source.path)
        for item in items:
            if isinstance(item, ParseIssue):
                yield item
                continue
            number, record = item
            missing = [k for k in self.required if record.get(k) in (None, "")]
            if missing:
                yield ParseIssue(self.source.path, f"line {number}",
                                 f"record has no {', '.join(missing)}")
                continue
            yield number, record

    def time(self, number: int, value: Any) -> tuple[str | None, ParseIssue | None]:
        """Normalized UTC time, or None plus an issue when the record's time is unreadable."""
        if value is None:
            return None, None
        moment = utc_iso(value) if isinstance(value, str) else None
        if moment is None:
            return None, ParseIssue(self.source.path, f"line {number}",
                                    f"unreadable timestamp {str(value)[:40]!r}")
        return moment, None

    def step(self, number: int, record: dict[str, Any], key: str = "step_index"
             ) -> tuple[int | None, ParseIssue | None]:
        value = record.get(key)
        if value is None:
            return None, None
        step = as_int(value)
        if step is None:
            return None, ParseIssue(self.source.path, f"line {number}",
                                    f"{key} {str(value)[:40]!r} is not a step number")
        return step, None

    def stamped(self, time_keys: tuple[str, ...] = ("timestamp", "time")
                ) -> Iterator[tuple[int, dict[str, Any], str | None, int | None] | ParseIssue]:
        """(line, record, time, step) for each usable line; a bad time or step is an issue
        and the record is still yielded without it."""
        for item in self:
            if isinstance(item, ParseIssue):
                yield item
                continue
            number, record = item
            value = next((record[k] for k in time_keys if record.get(k)), None)
            time, bad_time = self.time(number, value)
            step, bad_step = self.step(number, record)
            yield from (i for i in (bad_time, bad_step) if i is not None)
            yield number, record, time, step


# ----------------------------------------------------------------------------- tool-call trace


def aws_target(arguments: Any) -> tuple[str | None, str | None]:
    """Target of an AWS-CLI-shaped call the generic argument reader does not name."""
    if not isinstance(arguments, dict):
        return None, None
    for key, kind in (("RoleArn", "iam-role"), ("FunctionName", "lambda-function"),
                      ("Rule", "events-rule"), ("Name", "resource")):
        value = as_str(arguments.get(key))
        if value:
            return value, kind
    return None, None


@register
class AgentToolCallParser(Parser):
    name = "agent-tool-call-ndjson"
    version = "1"
    priority = 60
    description = "Agent tool-call trace, NDJSON: one tool call a line with step_index and tool"

    def sniff(self, sample: Sample) -> str | None:
        if has_keys(sample, "step_index", "tool_call_id", "tool", "arguments"):
            return "NDJSON whose records carry step_index, tool_call_id, tool and arguments"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        lines = LineRecords(source, ("tool",))
        for item in lines:
            if isinstance(item, ParseIssue):
                yield item
                continue
            number, record = item
            time, bad_time = lines.time(number, record.get("timestamp") or record.get("time"))
            step, bad_step = lines.step(number, record)
            parent, bad_parent = lines.step(number, record, "parent_step_index")
            if bad_time is not None or bad_step is not None or bad_parent is not None:
                yield from (i for i in (bad_time, bad_step, bad_parent) if i is not None)
            yield self.event(source, number, record, time, step, parent)

    def event(self, source: Source, number: int, record: dict[str, Any], time: str | None,
              step: int | None, parent: int | None) -> Event:
        status = str(record.get("status") or "").lower()
        credential = record.get("credential")
        if isinstance(credential, dict):
            credential = credential.get("principal_arn") or credential.get("role")
        result = record.get("result")
        error = record.get("error")
        error_code = as_str(error.get("code") if isinstance(error, dict) else error)
        extra: dict[str, Any] = {}
        server = as_name(record.get("mcp_server"))
        if server is not None:
            extra["server"] = server
        if error_code is not None:
            extra["error_code"] = error_code
        call = ToolCall(
            ref=line_ref(source.sha256, number), tool=intern(str(record["tool"])), time=time,
            session=as_name(record.get("session_id")),
            tool_call_id=as_str(record.get("tool_call_id")),
            arguments=record.get("arguments"),
            result=short_text(record.get("result_summary")) or result,
            is_error=(status in ERROR_STATUSES) if status else None,
            actor_id=as_name(record.get("agent_id")), model=as_name(record.get("model")),
            approver=as_name(record.get("approver")),
            stated_intent=as_str(record.get("stated_intent")), credential=as_name(credential),
            bytes_in=as_int(result.get("ContentLength")) if isinstance(result, dict) else None,
            action_class=classify_action(str(record["tool"])), extra=extra, raw=record)
        event = tool_call_event(call, RUNTIME, step, parent)   # type: ignore[arg-type]
        changes: dict[str, Any] = {}
        if event.target_id is None:
            target, kind = aws_target(event.attrs.get("arguments"))
            if target:
                changes.update(target_id=target, target_type=kind)
        if status in BLOCKED_STATUSES:
            changes["outcome"] = "blocked"
        return dataclasses.replace(event, **changes) if changes else event


# ----------------------------------------------------------------------------- intent corpus


def divergence_marker(value: Any) -> str | None:
    """The record's own divergence marker as text; None when absent or false."""
    if value is None or value is False or value == "":
        return None
    if value is True:
        return "divergent"
    return value if isinstance(value, str) else str(value)


@register
class AgentDivergenceParser(Parser):
    name = "agent-divergence-ndjson"
    version = "1"
    priority = 60
    description = "Prompt-vs-action corpus, NDJSON: stated_intent and actual_action per step"

    def sniff(self, sample: Sample) -> str | None:
        if has_keys(sample, "stated_intent", "actual_action"):
            return "NDJSON whose records carry stated_intent and actual_action"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        for item in LineRecords(source, ("actual_action",)).stamped():
            if isinstance(item, ParseIssue):
                yield item
                continue
            number, record, time, step = item
            actual = str(record["actual_action"])
            agent = as_str(record.get("agent_id"))
            yield Event(
                ref=line_ref(source.sha256, number), source="agent:intent", time=time,
                action=actual, action_class=classify_action(actual), actor_id=agent,
                actor_kind="agent" if agent else "unknown",
                target_id=as_str(record.get("actual_target")),
                session=as_str(record.get("session_id")), step=step,
                attrs={"tool_call_id": as_str(record.get("tool_call_id")),
                       "stated_intent": as_str(record.get("stated_intent")),
                       "actual_action": actual,
                       "divergence": divergence_marker(record.get("divergence")),
                       "intent_source": as_str(record.get("intent_source"))},
                raw=record)


# ----------------------------------------------------------------------------- accountability


@register
class AgentAccountabilityParser(Parser):
    name = "agent-accountability-ndjson"
    version = "1"
    priority = 60
    description = "Accountability corpus, NDJSON: tool_call_id -> approver and deployer status"

    def sniff(self, sample: Sample) -> str | None:
        if (has_keys(sample, "tool_call_id", "approver")
                and any({"deployer", "deployer_status", "execution_mode"} & set(r)
                        for r in sample.records)):
            return "NDJSON whose records map tool_call_id to approver and deployer"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        for item in LineRecords(source, ("tool_call_id",)).stamped():
            yield item if isinstance(item, ParseIssue) else self.event(source, *item)

    @staticmethod
    def event(source: Source, number: int, record: dict[str, Any], time: str | None,
              step: int | None) -> Event:
        tool = as_str(record.get("tool")) or ""
        approver = as_str(record.get("approver"))
        agent = as_str(record.get("agent_id"))
        status = as_str(record.get("approver_status")) or ("approved" if approver else "none")
        attrs = {"tool_call_id": as_str(record.get("tool_call_id")), "approver_status": status,
                 "deployer": as_str(record.get("deployer")),
                 "deployer_status": as_str(record.get("deployer_status")),
                 "deployer_last_seen": utc_iso(record.get("deployer_last_seen"))
                 if isinstance(record.get("deployer_last_seen"), str) else None,
                 "approval_method": as_str(record.get("approval_method")),
                 "execution_mode": as_str(record.get("execution_mode"))}
        return Event(
            ref=line_ref(source.sha256, number), source="agent:approval", time=time,
            action=tool, action_class=classify_action(tool) if tool else "other",
            actor_id=agent, actor_kind="agent" if agent else "unknown",
            session=as_str(record.get("session_id")), step=step, approver=approver,
            attrs=attrs, raw=record)


# ----------------------------------------------------------------------------- network flows


BYTES_OUT_KEYS = ("egress_bytes", "bytes_out", "bytes_sent")
BYTES_IN_KEYS = ("ingress_bytes", "bytes_in", "bytes_received")


def _first_int(record: dict[str, Any], keys: tuple[str, ...]) -> int | None:
    for key in keys:
        value = as_int(record.get(key))
        if value is not None:
            return value
    return None


def bucket_and_key(url: str | None) -> tuple[str | None, str | None]:
    """(bucket, key) of a virtual-hosted S3 object URL; (None, None) for anything else."""
    if not url:
        return None, None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None, None
    host = parts.hostname or ""
    if ".s3." in host and host.endswith(".amazonaws.com") and len(parts.path) > 1:
        return host.split(".s3.", 1)[0], parts.path[1:]
    return None, None


def _requests(record: dict[str, Any]) -> list[dict[str, Any]]:
    found = record.get("requests")
    return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []


def _outcome(requests: list[dict[str, Any]], record: dict[str, Any]) -> str | None:
    statuses = [as_int(r.get("status")) for r in requests] or [as_int(record.get("status"))]
    known = [s for s in statuses if s is not None]
    if not known:
        return None
    if all(s < 400 for s in known):
        return "success"
    return "failure" if all(s >= 400 for s in known) else None


@register
class AgentNetworkParser(Parser):
    name = "agent-network-ndjson"
    version = "1"
    priority = 60
    description = "Agent network / egress flows, NDJSON: bytes per connection with tool calls"

    def sniff(self, sample: Sample) -> str | None:
        if not sample.records:
            return None
        for record in sample.records:
            keys = set(record)
            if not ({"tool_call_id", "step_index"} & keys and {"dest_ip", "dest_host"} & keys
                    and set(BYTES_OUT_KEYS + BYTES_IN_KEYS) & keys):
                return None
        return "NDJSON whose records carry a destination, byte counts and the agent tool call"

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        for item in LineRecords(source, ()).stamped(("start_time", "timestamp", "time")):
            yield item if isinstance(item, ParseIssue) else self.event(source, *item)

    @staticmethod
    def event(source: Source, number: int, record: dict[str, Any], time: str | None,
              step: int | None) -> Event:
        requests = _requests(record)
        url = as_str(record.get("url"))
        bucket, key = bucket_and_key(url)
        methods = sorted({str(r.get("method")) for r in requests if r.get("method")})
        call_ids = [str(r["tool_call_id"]) for r in requests if r.get("tool_call_id")]
        direction = as_str(record.get("direction")) or "egress"
        agent = as_str(record.get("agent_id"))
        attrs: dict[str, Any] = {
            "dest_host": as_str(record.get("dest_host")), "dest_ip": as_str(record.get("dest_ip")),
            "dest_port": as_int(record.get("dest_port")),
            "src_host": as_str(record.get("src_host")), "src_ip": as_str(record.get("src_ip")),
            "src_port": as_int(record.get("src_port")),
            "method": methods[0] if len(methods) == 1 else as_str(record.get("method")),
            "url": url, "object_key": key, "bucket": bucket,
            "tool_call_id": as_str(record.get("tool_call_id")) or (call_ids[0] if call_ids
                                                                   else None),
            "tool_call_ids": call_ids,
            "steps": [as_int(r.get("step_index")) for r in requests
                      if as_int(r.get("step_index")) is not None],
            "request_count": len(requests) or None, "direction": direction,
            "protocol": as_str(record.get("protocol")), "flow_id": as_str(record.get("flow_id")),
            "end_time": utc_iso(record["end_time"]) if isinstance(record.get("end_time"), str)
            else None,
        }
        return Event(
            ref=line_ref(source.sha256, number), source="agent:network", time=time,
            action=f"{direction}-flow", action_class=classify_action(direction),
            actor_id=agent, actor_kind="agent" if agent else "unknown",
            target_id=url or as_str(record.get("src_host")) or as_str(record.get("dest_host")),
            target_type="url" if url else "host", outcome=_outcome(requests, record),
            session=as_str(record.get("session_id")), step=step,
            bytes_in=_first_int(record, BYTES_IN_KEYS),
            bytes_out=_first_int(record, BYTES_OUT_KEYS),
            attrs=attrs, raw=record)
