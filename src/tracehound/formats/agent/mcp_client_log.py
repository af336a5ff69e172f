"""Claude Desktop MCP client logs (`mcp.log`, `mcp-server-<name>.log`) -> events.

Claude Desktop writes one log per MCP server it runs (`<time> [<server>] [<level>] <text>`)
and one for all of them (`<time> [<level>] [<server>] <text>`). The text is
`Message from client: {json-rpc}` / `Message from server: {json-rpc}` (sometimes followed by a
`{ metadata: ... }` dump), a lifecycle line (`Initializing server...`, `Server started and
connected successfully`, `Server transport closed`...) or an error; the per-server log also
holds the server's own stderr (stack traces, npm output) on lines of their own.

Every `Initializing server...` starts a new connection to that server and JSON-RPC ids start
again, so a response pairs with its request within one connection (`channel`). The messages
go through the generic MCP session reader (mcp_jsonrpc.py): every message is an `mcp:*`
event, a tools/call is an `agent:tool_call` (its response the `agent:tool_result`), `server`
is the server the line names. The first `initialize` gives the `agent:session` (client name
and version, the server(s), agent kind `desktop`). One file is one session; session assembly
joins the logs of one client (assembly.py). Lines that are not messages are counted on the
session event (`log_lines`), never parse issues.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue, line_ref
from .builder import TraceBuilder
from .common import as_dict, as_text
from .mcp_jsonrpc import Message, McpSession, unwrap
from ..base import Parser, Sample, Source
from ..readers import iter_text_lines
from ..registry import register

RUNTIME = "claude-desktop"
_LEVELS = r"info|warn|warning|error|debug|trace|fatal|notice"
_LINE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)[ \t]+"
    rf"(?:\[(?P<level>{_LEVELS})\][ \t]+\[(?P<server>[^\]\n]*)\]|"
    rf"\[(?P<server2>[^\]\n]*)\][ \t]+\[(?P<level2>{_LEVELS})\])[ \t]?(?P<text>.*)$",
    re.IGNORECASE)
_MESSAGE = re.compile(r"^Message from (client|server):[ \t]*")
LIFECYCLE = ("Initializing server", "Server started and connected", "Server transport closed",
             "Client transport closed", "Server disconnected", "Shutting down server",
             "Using MCP server command", "Server stderr")
NEW_CONNECTION = "Initializing server"
SNIFF_LINES = 200


def log_line(line: str) -> tuple[str, str, str, str] | None:
    """(time, server, level, text) of one Claude Desktop log line, or None."""
    match = _LINE.match(line)
    if match is None:
        return None
    server = match.group("server") if match.group("server") is not None \
        else match.group("server2")
    level = match.group("level") or match.group("level2")
    return match.group("time"), server, level.lower(), match.group("text")


def is_jsonrpc(value: Any) -> bool:
    """A JSON-RPC 2.0 request, notification or response (the log says it is a message, so
    no MCP method or result shape is asked for)."""
    return isinstance(value, dict) and value.get("jsonrpc") == "2.0" and (
        isinstance(value.get("method"), str) or "result" in value or "error" in value)


@register
class McpClientLogParser(Parser):
    name = "mcp-desktop"
    version = "1"
    priority = 55
    description = "Claude Desktop MCP logs (mcp.log, mcp-server-NAME.log)"
    example = "mcp-server-odoo.log"

    def sniff(self, sample: Sample) -> str | None:
        if sample.text.lstrip()[:1] in ("{", "["):
            return None
        for line in sample.text.splitlines()[:SNIFF_LINES]:
            found = log_line(line)
            if found is None:
                continue
            text = found[3]
            if _MESSAGE.match(text) or text.startswith(LIFECYCLE):
                return f"Claude Desktop MCP log: `<time> [server] [level]` lines " \
                       f"({text[:40].rstrip()})"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        builder = TraceBuilder(RUNTIME, source, order="file")
        reader = _LogReader(source, builder)
        messages = list(reader.messages())
        reader.session_event(messages)
        McpSession(source, builder, messages, runtime=RUNTIME).emit()
        yield from builder.build()


class _LogReader:
    """Reads the lines: messages with their connection, lifecycle lines, the rest counted."""

    def __init__(self, source: Source, builder: TraceBuilder):
        self.source = source
        self.builder = builder
        self.counts: Counter[str] = Counter()
        self.connections: Counter[str] = Counter()          # server -> connections so far
        self.ordinals: Counter[str] = Counter()             # channel -> messages so far
        self.servers: list[str] = []
        self.first: EvidenceRef | None = None               # the first log line
        self.first_time: str | None = None

    def messages(self) -> Iterator[Message]:
        for item in iter_text_lines(self.source.data, self.source.path):
            if isinstance(item, ParseIssue):
                self.builder.add(item)
                continue
            number, line = item
            if not line.strip():
                continue
            found = log_line(line)
            if found is None:
                self.counts["server-output"] += 1
                continue
            message = self.line(line_ref(self.source.sha256, number), *found)
            if message is not None:
                yield message

    def line(self, ref: EvidenceRef, stamp: str, server: str, level: str,
             text: str) -> Message | None:
        time = self.builder.time(stamp, ref)
        if self.first is None:
            self.first, self.first_time = ref, time
        if server and server not in self.servers:
            self.servers.append(server)
        if text.startswith(NEW_CONNECTION):
            self.connections[server] += 1
        match = _MESSAGE.match(text)
        if match is None:
            self.counts["error" if level in ("error", "fatal") else
                        "lifecycle" if text.startswith(LIFECYCLE) else "log"] += 1
            return None
        self.counts["json-rpc"] += 1
        body = self.body(ref, text[match.end():])
        if body is None:
            return None
        channel = f"{server}#{self.connections[server]}"
        self.ordinals[channel] += 1
        sender = match.group(1)
        return Message(ref=ref, body=body, time=time, session=None, server=server or None,
                       client=None, direction="client->server" if sender == "client"
                       else "server->client", channel=channel,
                       record_id=f"{channel}#{self.ordinals[channel]}")

    def body(self, ref: EvidenceRef, text: str) -> dict[str, Any] | None:
        """The JSON-RPC message at the start of `text` (a `{ metadata: ... }` dump may
        follow it); None, with a located issue, when it is not one."""
        try:
            value, _ = json.JSONDecoder().raw_decode(text.strip())
        except json.JSONDecodeError as exc:
            self.builder.issue(ref.locator, f"invalid JSON-RPC message: {exc.msg} at "
                                            f"column {exc.colno}")
            return None
        except RecursionError:
            self.builder.issue(ref.locator, "JSON nested too deeply to read")
            return None
        message, _ = unwrap(value)
        if not is_jsonrpc(message):
            self.builder.issue(ref.locator, "logged message is not an MCP JSON-RPC message")
            return None
        return message

    def session_event(self, messages: list[Message]) -> None:
        """One agent:session for the file, at its first initialize (else its first line)."""
        init = next((m for m in messages if m.body.get("method") == "initialize"), None)
        ref = init.ref if init is not None else self.first
        if ref is None:
            return
        params = as_dict(init.body.get("params")) if init is not None else {}
        client = as_dict(params.get("clientInfo"))
        servers = self.servers
        self.builder.session_meta(
            ref, f"mcp-{self.source.sha256[:12]}",
            time=init.time if init is not None else self.first_time,
            raw=init.body if init is not None else None,
            actor_id=as_text(client.get("name")) or RUNTIME, agent_kind="desktop",
            client_name=as_text(client.get("name")), client_version=as_text(
                client.get("version")), protocol_version=as_text(params.get("protocolVersion")),
            mcp_server=servers[0] if len(servers) == 1 else None,
            mcp_servers=servers if len(servers) > 1 else None,
            log_lines=dict(sorted(self.counts.items())))
