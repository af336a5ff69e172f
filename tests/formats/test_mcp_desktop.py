"""Claude Desktop MCP logs (tests/fixtures/agent/mcp_desktop/) -> events, file by file: calls
and results paired within one connection, the session event, lines that are not messages
counted, both line orders, the sniff against the generic MCP parser, bad and truncated
lines, never-raise properties."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from agent_shapes_support import AGENT_FIXTURES, PROPERTY, fields, parse_bytes, projection
from claude_code_support import parse_folder, rendered_and_committed, well_formed
from goldens import check_golden
from tracehound.formats import all_parsers, get
from tracehound.formats.base import Sample
from tracehound.model import Event, ParseIssue

PARSER = "mcp-desktop"
FOLDER = AGENT_FIXTURES / "mcp_desktop"
SECRET = "STRIPE_SECRET_KEY=sk_live_51FAKEq8ZrT4kLm2Vx9PqW3eN7bC0dY6"


def parsed() -> dict[str, tuple[list[Event], list[ParseIssue]]]:
    return parse_folder(PARSER, FOLDER, "*.log")


def calls(events: list[Event]) -> list[tuple]:
    return [(e.ref.locator, e.step, e.action, e.attrs["server"], e.outcome,
             e.attrs["tool_call_id"].split("#", 1)[1], e.attrs["record_id"])
            for e in events if e.source == "agent:tool_call"]


def test_each_log_file_by_file():
    found = parsed()
    assert sorted(found) == ["logs/mcp-server-filesystem.log", "logs/mcp-server-notes.log",
                             "logs/mcp-server-webhooks.log", "logs/mcp.log",
                             "other/mcp-server-filesystem.log"]
    assert calls(found["logs/mcp-server-filesystem.log"][0]) == [
        ("line 10", 1, "list_directory", "filesystem", "success", "filesystem#1#2",
         "filesystem#1#6"),
        ("line 12", 2, "read_file", "filesystem", "success", "filesystem#1#3",
         "filesystem#1#8")]
    # the first post is never answered (the server died); ids start again after the restart
    assert calls(found["logs/mcp-server-webhooks.log"][0]) == [
        ("line 8", 1, "http_post", "webhooks", None, "webhooks#1#2", "webhooks#1#6"),
        ("line 22", 2, "http_post", "webhooks", "success", "webhooks#2#2", "webhooks#2#6")]
    assert [row[2:4] for row in calls(found["logs/mcp.log"][0])] == [
        ("list_directory", "filesystem"), ("read_file", "filesystem"),
        ("http_post", "webhooks"), ("http_post", "webhooks")]
    assert all(issues == [] for _, issues in found.values())
    check_golden("agent_shapes/mcp_desktop.json",
                 {name: projection(*pair) for name, pair in found.items()})


def test_read_call_whole_and_its_result():
    events, _ = parsed()["logs/mcp-server-filesystem.log"]
    call = next(e for e in events if e.source == "agent:tool_call" and e.action == "read_file")
    session = "mcp-" + call.ref.sha256[:12]
    assert fields(call) == {
        "locator": "line 12", "source": "agent:tool_call", "time": "2026-05-14T13:02:26.98Z",
        "action": "read_file", "action_class": "other", "actor_id": "claude-ai",
        "actor_kind": "agent", "target_id": "/Users/dana/projects/site/.env",
        "target_type": "path", "target_label": None, "outcome": "success", "session": session,
        "step": 2, "parent_step": None, "approver": None, "bytes_in": None, "bytes_out": None,
        "attrs": {"arguments": {"path": "/Users/dana/projects/site/.env"}, "is_error": False,
                  "jsonrpc_id": 3, "record_id": "filesystem#1#8",
                  "runtime": "claude-desktop", "seq": 11, "server": "filesystem",
                  "tool": "read_file", "tool_call_id": f"{session}#filesystem#1#3"}}
    (answer,) = [e for e in events if e.source == "agent:tool_result"
                 and e.attrs["tool"] == "read_file"]
    assert (answer.ref.locator, answer.step, answer.attrs["result_text"]) == \
        ("line 13", 2, SECRET + "\nNODE_ENV=production\n")


def test_session_event_names_client_server_and_counts_the_other_lines():
    events, _ = parsed()["logs/mcp-server-webhooks.log"]
    (session,) = [e for e in events if e.source == "agent:session"]
    assert (session.ref.locator, session.actor_id, session.session) == \
        ("line 3", "claude-ai", "mcp-" + session.ref.sha256[:12])
    assert {k: v for k, v in session.attrs.items() if k != "seq"} == {
        "agent_kind": "desktop", "client_name": "claude-ai", "client_version": "0.1.0",
        "log_lines": {"error": 1, "json-rpc": 13, "lifecycle": 6, "server-output": 3},
        "mcp_server": "webhooks", "protocol_version": "2024-11-05",
        "runtime": "claude-desktop"}
    combined, _ = parsed()["logs/mcp.log"]
    (whole,) = [e for e in combined if e.source == "agent:session"]
    assert whole.attrs["mcp_servers"] == ["filesystem", "webhooks"]
    assert "mcp_server" not in whole.attrs


def line(text: str, server: str = "fs", order: str = "server-first") -> str:
    prefix = f"[{server}] [info]" if order == "server-first" else f"[info] [{server}]"
    return f"2026-05-14T13:02:00.000Z {prefix} {text}"


INIT = json.dumps({"method": "initialize", "params": {"clientInfo": {"name": "c", "version":
                   "1"}}, "jsonrpc": "2.0", "id": 0})
CALL = json.dumps({"method": "tools/call", "params": {"name": "read_file", "arguments": {
                   "path": "/a"}}, "jsonrpc": "2.0", "id": 1})
ANSWER = json.dumps({"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text",
                     "text": "x"}]}})


@pytest.mark.parametrize("order", ["server-first", "level-first"])
def test_both_line_orders_and_a_metadata_dump_after_the_message(order):
    text = "\n".join([line("Initializing server...", order=order),
                      line(f"Message from client: {INIT} {{ metadata: undefined }}", order=order),
                      line(f"Message from client: {CALL}", order=order),
                      line(f"Message from server: {ANSWER} {{ metadata: undefined }}",
                           order=order)])
    items = parse_bytes(PARSER, text.encode())
    well_formed(items)
    assert [(e.source, e.outcome) for e in items if isinstance(e, Event)
            and e.source.startswith("agent:tool")] == [("agent:tool_call", "success"),
                                                       ("agent:tool_result", "success")]
    assert not [i for i in items if isinstance(i, ParseIssue)]


def test_bad_messages_are_located_issues_and_lifecycle_lines_are_not():
    text = "\n".join([line("Initializing server..."), line("Server transport closed"),
                      line("spawn python ENOENT {\"context\":\"connection\"}"),
                      "    at ChildProcess._handle.onexit (node:internal/child_process:285)",
                      line('Message from client: {"method":"tools/call","params":'),
                      line('Message from server: {"hello":"world"}'),
                      line(f"Message from client: {CALL}")])
    items = parse_bytes(PARSER, text.encode())
    well_formed(items)
    assert [(i.locator, i.problem[:30]) for i in items if isinstance(i, ParseIssue)] == [
        ("line 5", "invalid JSON-RPC message: Expe"),
        ("line 6", "logged message is not an MCP J")]


def test_a_time_without_zone_stays_empty_with_one_issue():
    text = "\n".join([f"2026-05-14 13:02:00 [fs] [info] Message from client: {INIT}",
                      f"2026-05-14 13:02:01 [fs] [info] Message from client: {CALL}"])
    items = parse_bytes(PARSER, text.encode())
    assert [e.time for e in items if isinstance(e, Event)] == [None] * 4
    assert [(i.locator, i.problem[:20]) for i in items if isinstance(i, ParseIssue)] == [
        ("line 1", "times carry no zone;")]


def test_truncated_log_gives_a_located_issue():
    data = (FOLDER / "logs/mcp-server-filesystem.log").read_bytes().split(b"\n")
    items = parse_bytes(PARSER, b"\n".join(data[:11] + [data[11][:150]]))
    well_formed(items)
    assert [(i.locator, i.problem[:25]) for i in items if isinstance(i, ParseIssue)] == [
        ("line 12", "invalid JSON-RPC message:")]


def _sample(text: str) -> Sample:
    return Sample(text=text, size=len(text))


def test_only_this_parser_claims_the_desktop_logs():
    for path in sorted(FOLDER.rglob("*.log")):
        sample = _sample(path.read_text())
        assert [p.name for p in all_parsers() if p.sniff(sample)] == [PARSER], path


@pytest.mark.parametrize("name", ["benign.log", "runaway.ndjson"])
def test_the_generic_mcp_logs_are_not_claimed(name):
    path = next((AGENT_FIXTURES / "mcp_jsonrpc").glob(name))
    assert get(PARSER).sniff(_sample(path.read_text())) is None


@PROPERTY
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_raise(data):
    well_formed(parse_bytes(PARSER, data))


TEXTS = st.sampled_from([f"Message from client: {INIT}", f"Message from client: {CALL}",
                         f"Message from server: {ANSWER}", "Initializing server...",
                         "Message from server: {", "Message from client: [1]",
                         "Server transport closed"]) | st.text(max_size=30)
LINES = st.tuples(st.sampled_from(["fs", "web", ""]), st.sampled_from(["server-first",
                                                                       "level-first"]), TEXTS)


@PROPERTY
@given(st.lists(LINES, max_size=12))
def test_shaped_lines_never_raise(lines):
    text = "\n".join(line(t, server, order) for server, order, t in lines)
    well_formed(parse_bytes(PARSER, text.encode()))


def test_the_generator_reproduces_the_committed_fixtures():
    rendered, on_disk = rendered_and_committed(FOLDER)
    assert sorted(rendered) == sorted(on_disk)
    for name, text in rendered.items():
        assert text == on_disk[name], f"{name} differs: run generate.py"


def test_a_result_whose_request_is_not_in_the_log_is_kept_and_reported():
    items = parse_bytes(PARSER, line(f"Message from server: {ANSWER}").encode())
    well_formed(items)
    (result,) = [e for e in items if isinstance(e, Event) and e.source == "agent:tool_result"]
    assert (result.step, result.attrs["unmatched"]) == (None, True)
    call_id = f"mcp-{result.ref.sha256[:12]}#fs#0#1"
    assert result.attrs["tool_call_id"] == call_id
    assert [(i.locator, i.problem) for i in items if isinstance(i, ParseIssue)] == [
        ("line 1", f"result for call {call_id} whose call is not in this file (kept as an "
                   "unmatched result)"),
        ("file", "recognised as claude-desktop, nothing read: no tool call and no human turn")]


def orphans_reported(items) -> None:
    problems = " ".join(i.problem for i in items if isinstance(i, ParseIssue))
    for item in items:
        if isinstance(item, Event) and item.attrs.get("unmatched"):
            assert f"result for call {item.attrs['tool_call_id']} " in problems


@PROPERTY
@given(st.randoms(use_true_random=False))
def test_shuffled_log_lines_never_raise_and_orphans_are_reported(rnd):
    for path in sorted(FOLDER.rglob("*.log")):
        lines = path.read_bytes().splitlines()
        rnd.shuffle(lines)
        items = parse_bytes(PARSER, b"\n".join(lines))
        well_formed(items)
        orphans_reported(items)
