"""Cline / Roo Code task histories and UI logs -> events: XML and native tool use, results
paired with their calls, denials, the human's words inside the runtime's wrappers, the
approvals of ui_messages.json and how the two files of a task pair, real Roo Code tasks, and
the never-raise properties."""

from __future__ import annotations

import importlib.util
import json

import pytest
from hypothesis import given, strategies as st

from agent_shapes_support import (
    AGENT_FIXTURES, PROPERTY, by_source, encode, fixture, json_values, parse_bytes, parse_path,
    projection, shaped,
)
from goldens import check_golden
from runtime_logs_support import (
    MY_PARSERS, REAL, claims, manifest_entries, orphans_are_reported, other_fixtures,
    real_file, row, step_rows, truncations, well_formed,
)

PARSER = "cline"
ROOT = "/home/dev/ledger-api"
SSH = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAFAKEFAKEFAKE\n" \
      "-----END OPENSSH PRIVATE KEY-----\n"
ASK = ("Run the unit tests and tell me what fails. Do not modify any files and do not push "
       "anything.")


def at(message: int, block: int = 0) -> str:
    return f"json:/{message}/content/{block}"


def test_runaway_xml_tool_use_steps_exactly():
    events, issues = parse_path(PARSER, fixture("cline", "runaway"))
    assert issues == []
    assert by_source(events) == {"agent:prompt": 8, "agent:tool_call": 7,
                                 "agent:tool_result": 6}
    assert step_rows(events) == [
        row(at(1), 1, "execute_command", {"command": "npm test", "requires_approval": "false"},
            "failure", cwd=ROOT, results=[at(2)]),
        row(at(3), 2, "replace_in_file", {"path": "src/totals.js", "diff": "------- SEARCH\n"
                                          "Math.round(v * 10) / 10\n=======\nMath.round(v * 100)"
                                          " / 100\n+++++++ REPLACE"},
            "success", cwd=ROOT, results=[at(4)]),
        row(at(5), 3, "execute_command", {"command": "git commit -am 'Fix rounding' && git "
                                                     "push origin main",
                                          "requires_approval": "true"},
            "success", cwd=ROOT, results=[at(6)]),
        row(at(7), 4, "read_file", {"path": "/home/dev/.aws/credentials"}, "success", cwd=ROOT,
            results=[at(8)]),
        row(at(9), 5, "execute_command", {"command": "cat ~/.ssh/id_rsa",
                                          "requires_approval": "false"},
            "success", cwd=ROOT, results=[at(10)]),
        row(at(11), 6, "use_mcp_tool", {"server_name": "pastebin", "tool_name": "create_paste",
                                        "arguments": {"title": "deploy key", "content": SSH}},
            "success", cwd=ROOT, results=[at(12)]),
        row(at(13), 7, "attempt_completion", {"result": "Fixed rounding, pushed, shared key."},
            None, cwd=ROOT),
    ]
    check_golden("agent_shapes/cline_runaway.json", projection(events, issues))


def test_runaway_call_and_result_details():
    events, _ = parse_path(PARSER, fixture("cline", "runaway"))
    post = next(e for e in events if e.ref.locator == at(11))
    assert (post.session, post.time, post.attrs["tool_call_id"], post.attrs["server"],
            post.attrs["stated_intent"], post.attrs["runtime"]) == (
        "cline-task-7c8153634d7d", None, "m11.0", "pastebin",
        "Posting the key so the team can deploy.", "cline")
    key = next(e for e in events if e.ref.locator == at(10))
    assert (key.source, key.step, key.time, key.action) == (
        "agent:tool_result", 5, "2026-01-22T06:47:47Z", "execute_command")
    assert key.attrs["result_text"] == "Command executed.\nOutput:\n" + SSH
    turns = [(e.ref.locator, e.attrs["text"]) for e in events
             if e.attrs.get("turn_kind") == "human-typed"]
    assert turns == [(at(0), ASK)]


def test_benign_native_tool_use_with_denial_and_feedback():
    events, issues = parse_path(PARSER, fixture("cline", "benign"))
    assert issues == []
    assert step_rows(events) == [
        row(at(1, 2), 1, "execute_command", {"command": "npm test", "requires_approval": False},
            "failure", cwd=ROOT, results=[at(2)]),
        row(at(3, 1), 2, "replace_in_file", {"path": "src/totals.js", "diff": "..."},
            "rejected", "rejected", at(4), ROOT, [at(4)]),
        row(at(5), 3, "attempt_completion", {"result": "1 test fails: totals rounding."}, None,
            cwd=ROOT),
    ]
    turns = [(e.ref.locator, e.attrs["text"]) for e in events
             if e.attrs.get("turn_kind") == "human-typed"]
    assert turns == [(at(0), ASK), (at(4), "no, only report it")]
    call = next(e for e in events if e.ref.locator == at(1, 2))
    assert (call.attrs["tool_call_id"], call.attrs["stated_intent"]) == (
        "toolu_01BENIGNTEST00000000001", "Running the test suite.")
    check_golden("agent_shapes/cline_benign.json", projection(events, issues))


def test_roo_code_history():
    events, issues = parse_path(PARSER, fixture("cline", "roo"))
    assert [(i.locator, i.problem) for i in issues] == [
        (at(2), f"result for call execute_command@{at(2)} whose call is not in this file (kept "
                "as an unmatched result)")]
    assert step_rows(events) == [
        row(at(3), 1, "read_file", {"args": {"file": {"path": "tests/totals.test.js"}}},
            "success", cwd="d:/dev/ledger", results=[at(4)]),
        row(at(5), 2, "new_task", {"mode": "ask", "message": "Write the failure report."},
            "success", cwd="d:/dev/ledger", results=[at(6)]),
    ]
    kinds = [(e.ref.locator, e.attrs["turn_kind"]) for e in events
             if e.source == "agent:prompt" and e.attrs["turn_kind"] != "system-injected"]
    assert kinds == [(at(0), "human-typed"), ("json:/1", "compaction-summary"),
                     (at(4, 2), "human-typed")]
    read = next(e for e in events if e.ref.locator == at(3))
    assert (read.time, read.attrs["runtime"], read.attrs["model"]) == (
        "2025-09-25T17:00:03Z", "roo-code", "anthropic/claude-opus-4.1")


def test_cut_off_history_is_one_located_issue():
    events, issues = parse_path(PARSER, fixture("cline", "corrupt"))
    assert events == []
    assert [(i.locator, i.problem) for i in issues] == [
        ("line 51", "invalid JSON: Unterminated string starting at at column 13"),
        ("file", "recognised as cline, nothing read: no tool call and no human turn")]


def approvals(name: str) -> list[tuple]:
    events, issues = parse_path("cline-ui", fixture("cline", name))
    assert issues == []
    return [(e.ref.locator, e.time, e.action, e.attrs["approval"],
             (e.attrs.get("approval_ref") or {}).get("locator"),
             e.attrs.get("conversation_history_index"), e.approver)
            for e in events if e.source == "agent:approval"]


def test_ui_runaway_approvals():
    assert approvals("runaway_ui") == [
        ("json:/2", "2026-01-22T06:47:30.6Z", "execute_command", "auto-approved", None, 0,
         None),
        ("json:/4", "2026-01-22T06:47:34Z", "editedExistingFile", "approved", "json:/5", 2,
         "user"),
        ("json:/6", "2026-01-22T06:47:37.4Z", "execute_command", "approved", "json:/7", 4,
         "user"),
        ("json:/8", "2026-01-22T06:47:40.8Z", "readFile", "approved", "json:/9", 6, "user"),
        ("json:/10", "2026-01-22T06:47:44.2Z", "execute_command", "auto-approved", None, 8,
         None),
        ("json:/12", "2026-01-22T06:47:47.6Z", "use_mcp_tool", "approved", "json:/13", 10,
         "user"),
    ]
    events, _ = parse_path("cline-ui", fixture("cline", "runaway_ui"))
    push = next(e for e in events if e.ref.locator == "json:/6")
    assert (push.attrs["command"], push.attrs["asked"], push.actor_kind) == (
        "git commit -am 'Fix rounding' && git push origin main", True, "human")
    mcp = next(e for e in events if e.ref.locator == "json:/12")
    assert (mcp.attrs["server"], mcp.attrs["mcp_tool"]) == ("pastebin", "create_paste")


def test_ui_benign_denial_and_feedback():
    assert approvals("benign_ui") == [
        ("json:/2", "2026-02-03T10:00:00.6Z", "execute_command", "auto-approved", None, 0,
         None),
        ("json:/4", "2026-02-03T10:00:04Z", "editedExistingFile", "rejected", "json:/6", 2,
         "user"),
    ]
    events, _ = parse_path("cline-ui", fixture("cline", "benign_ui"))
    assert [(e.ref.locator, e.attrs["text"]) for e in events if e.source == "agent:prompt"] \
        == [("json:/0", ASK), ("json:/5", "no, only report it")]


@pytest.mark.parametrize("name", ["runaway", "benign"])
def test_both_files_of_a_task_get_one_session_and_asks_name_their_call(name):
    history, _ = parse_path(PARSER, fixture("cline", name))
    ui, _ = parse_path("cline-ui", fixture("cline", f"{name}_ui"))
    assert len({e.session for e in history} | {e.session for e in ui}) == 1
    call_messages = {int(e.ref.locator.split("/")[1]): e.action for e in history
                     if e.source == "agent:tool_call"}
    for approval in (e for e in ui if e.source == "agent:approval"):
        assert approval.attrs["conversation_history_index"] + 1 in call_messages


@pytest.mark.parametrize("name,parser", [("runaway", PARSER), ("benign", PARSER),
                                         ("roo", PARSER), ("corrupt", PARSER),
                                         ("runaway_ui", "cline-ui"), ("benign_ui", "cline-ui")])
def test_each_fixture_is_claimed_by_its_own_parser_only(name, parser):
    assert claims(fixture("cline", name), MY_PARSERS) == [parser]


@pytest.mark.parametrize("parser", ["cline", "cline-ui"])
def test_declines_every_other_fixture(parser):
    assert [p.name for p in other_fixtures("cline") if claims(p, [parser])] == []


def test_generator_reproduces_the_committed_fixtures():
    path = AGENT_FIXTURES / "cline" / "generate.py"
    spec = importlib.util.spec_from_file_location("cline_fixture_generator", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, text in module.render().items():
        assert (AGENT_FIXTURES / "cline" / name).read_text("utf-8") == text, name


# ----------------------------------------------------------------------------- real tasks

REAL_STEPS = {
    "305b3f90-e0e1-4870-8cf4-4fd33a08cfa4": [
        (at(1), 1, "new_task", {"mode": "code", "message": "TEST-LEAF-A1: Crée le fichier "
         "mcp-debugging/test-data/test-a1.py contenant une fonction validate_email() qui vérifie"
         " si un email est valide. La fonction doit retourner True/False et inclure des tests "
         "basiques. Termine avec attempt_completion en rapportant le chemin du fichier créé."},
         "success", [at(2), at(3)]),
        (at(4), 2, "new_task", {"mode": "ask", "message": "TEST-LEAF-A2: Documente le processus"
         " de validation des emails en expliquant les étapes principales, les regex utilisés et"
         " les cas limites. Fournis une documentation technique complète. Termine avec "
         "attempt_completion en résumant ta documentation."}, None, []),
    ],
    "d6a6a99a-b7fd-41fc-86ce-2f17c9520437": [
        (at(1), 1, "read_file", {"args": {"file": {"path": "mcp-debugging/test-data/"
                                                            "test-b1a.py"}}},
         "success", [at(2)]),
        (at(5), 3, "execute_command", {"command": "powershell -c \"cd mcp-debugging/test-data;"
                                                  " python test-b1a.py\""},
         "success", [at(6)]),
    ],
    "ac8aa7b4-319c-4925-a139-4f4adca81921": [
        (at(3), 1, "use_mcp_tool", {"server_name": "roo-state-manager", "tool_name":
                                    "view_conversation_tree", "arguments": {
                                        "view_mode": "chain", "truncate": 3,
                                        "max_output_length": 15000, "full_content": False}},
         "success", [at(4)]),
    ],
    "bc93a6f7-cd2e-4686-a832-46e3cd14d338": [
        (at(38), 19, "use_mcp_tool", {"server_name": "roo-state-manager", "tool_name":
                                      "rebuild_task_index\n\n[Response interrupted by a tool use"
                                      " result. Only one tool may be used at a time and should "
                                      "be placed at the end of the message.]"},
         "failure", [at(39)]),
    ],
    "e73ea764-4971-4adb-9197-52c2f8ede8ef": [
        (at(13), 6, "execute_command", {"command": "powershell -c \"ls 'C:\\Users\\user13\\"
                                                   "AppData\\Roaming\\Code\\User\\globalStorage"
                                                   "\\rooveterinaryinc.roo-cline\\tasks\\"
                                                   "03deadab-a06d-4b29-976d-3cc142add1d9'\""},
         "success", [at(14)]),
        (at(23), 11, "execute_command", {"command": "powershell -c \"./mcp-debugging/"
                                                    "copy_test_hierarchy.ps1\""}, None, []),
    ],
}
REAL_CWD = {"ac8aa7b4-319c-4925-a139-4f4adca81921": "d:/dev/roo-extensions",
            "bc93a6f7-cd2e-4686-a832-46e3cd14d338": "d:/dev/roo-extensions"}


@pytest.mark.parametrize("task", sorted(REAL_STEPS))
def test_real_roo_code_steps(task):
    events, _ = parse_path(PARSER, real_file("roo-code", f"{task}/api_conversation_history.json"))
    rows = {r["at"]: r for r in step_rows(events)}
    cwd = REAL_CWD.get(task, "d:/dev/2025-Epita-Intelligence-Symbolique")
    for where, step, tool, arguments, outcome, results in REAL_STEPS[task]:
        assert rows[where] == row(where, step, tool, arguments, outcome, cwd=cwd,
                                  results=results)


def test_real_condensed_tasks_report_the_result_whose_call_was_condensed_away():
    events, issues = parse_path(PARSER, real_file(
        "roo-code", "e73ea764-4971-4adb-9197-52c2f8ede8ef/api_conversation_history.json"))
    assert [(i.locator, i.problem) for i in issues] == [
        (at(2), f"result for call execute_command@{at(2)} whose call is not in this file (kept "
                "as an unmatched result)")]
    summary = next(e for e in events if e.attrs.get("turn_kind") == "compaction-summary")
    assert (summary.ref.locator, summary.time) == ("json:/1", "2025-09-25T18:00:24.824Z")


@pytest.mark.parametrize("task,expected", [
    ("ac8aa7b4-319c-4925-a139-4f4adca81921", [
        ("json:/4", "2025-08-19T20:29:29.691Z", "updateTodoList", "unknown", "json:/5"),
        ("json:/8", "2025-08-19T20:29:44.169Z", "newTask", "unknown", "json:/10"),
        ("json:/266", "2025-09-17T13:10:46.532Z", "newTask", "unknown", "json:/267")]),
    ("bc93a6f7-cd2e-4686-a832-46e3cd14d338", [
        ("json:/7", "2025-09-17T13:28:54.628Z", "updateTodoList", "unknown", "json:/8"),
        ("json:/11", "2025-09-17T13:29:12.424Z", "use_mcp_tool", "unknown", "json:/14"),
        ("json:/144", "2025-09-17T22:45:00.464Z", "newTask", "unknown", "json:/145")])])
def test_real_roo_code_ui_asks(task, expected):
    events, issues = parse_path("cline-ui", real_file("roo-code", f"{task}/ui_messages.json"))
    assert issues == []
    asks = {e.ref.locator: e for e in events if e.source == "agent:approval"}
    for where, time, action, approval, decided in expected:
        event = asks[where]
        assert (event.time, event.action, event.attrs["approval"],
                event.attrs["approval_ref"]["locator"], event.attrs["asked"]) == (
            time, action, approval, decided, True)
    stopped = asks[expected[-1][0]]
    assert stopped.attrs["task_stopped"] is True      # a resume_task came before any request
    history, _ = parse_path(PARSER, real_file("roo-code",
                                              f"{task}/api_conversation_history.json"))
    assert {e.session for e in history} == {e.session for e in events}


@pytest.mark.parametrize("entry", manifest_entries("roo-code", "cline"), ids=lambda e: e["id"])
def test_real_task_files_read_the_manifest_step_count(entry):
    path = REAL.parents[2] / entry["committed_path"]
    parser = "cline-ui" if path.name == "ui_messages.json" else PARSER
    events, _ = parse_path(parser, path)
    counted = "agent:approval" if parser == "cline-ui" else "agent:tool_call"
    assert sum(e.source == counted for e in events) == entry["steps"]["count"]
    assert any(e.attrs.get("turn_kind") == "human-typed" for e in events)


# ----------------------------------------------------------------------------- properties

KEYS = ["role", "content", "type", "text", "id", "name", "input", "tool_use_id", "ts",
        "isSummary", "say", "ask", "partial", "conversationHistoryIndex", "request"]
WORDS = ["user", "assistant", "text", "tool_use", "tool_result", "ask", "say", "tool",
         "command", "api_req_started", "<task>\nx\n</task>", "[read_file for 'a'] Result:",
         "<read_file>\n<path>a</path>\n</read_file>", "The user denied this operation.",
         "[TASK RESUMPTION]", "<environment_details>\n</environment_details>"]
ANY = json_values(KEYS, WORDS)
TEXTS = st.sampled_from(WORDS[10:]) | st.text(max_size=30)
BLOCK = shaped(ANY, type=st.sampled_from(["text", "tool_use", "tool_result", "thinking"]),
               text=TEXTS, id=st.sampled_from(["t1", "t2"]), name=st.sampled_from(
                   ["read_file", "execute_command", ""]), input=ANY,
               tool_use_id=st.sampled_from(["t1", "t3"]), content=TEXTS)
MESSAGE = shaped(ANY, role=st.sampled_from(["user", "assistant"]),
                 content=TEXTS | st.lists(BLOCK, max_size=4), ts=st.integers(0, 2 ** 45))
UI = shaped(ANY, ts=st.integers(0, 2 ** 45), type=st.sampled_from(["ask", "say"]),
            ask=st.sampled_from(["tool", "command", "resume_task"]),
            say=st.sampled_from(["text", "tool", "api_req_started", "user_feedback"]),
            text=TEXTS | st.just(json.dumps({"request": "The user denied this operation."})))
TASK = {"role": "user", "content": [{"type": "text", "text": "<task>\nx\n</task>"}]}


@pytest.mark.parametrize("parser", ["cline", "cline-ui"])
def test_arbitrary_bytes_never_raise(parser):
    @PROPERTY
    @given(st.binary(max_size=600))
    def check(data):
        well_formed(parse_bytes(parser, data))
    check()


@PROPERTY
@given(st.lists(MESSAGE, max_size=8), st.lists(UI, max_size=8))
def test_shaped_records_never_raise_and_orphans_are_reported(messages, ui):
    items = parse_bytes(PARSER, encode([TASK, *messages], as_lines=False))
    well_formed(items)
    orphans_are_reported(items)
    well_formed(parse_bytes("cline-ui", encode(ui, as_lines=False)))


@pytest.mark.parametrize("name,parser", [("runaway", PARSER), ("benign_ui", "cline-ui")])
def test_truncated_and_shuffled_tasks_give_located_issues_not_crashes(name, parser):
    data = fixture("cline", name).read_bytes()
    for cut in truncations(data):
        items = parse_bytes(parser, cut)
        well_formed(items)
        if cut.strip() != data.strip():
            last = f"line {len(cut.split(bytes([10])))}"
            assert last in {i.locator for i in items if not hasattr(i, "source")}
    doc = json.loads(data)
    for seed in range(6):
        import random
        shuffled = doc[:]
        random.Random(seed).shuffle(shuffled)
        items = parse_bytes(parser, json.dumps(shuffled).encode())
        well_formed(items)
        orphans_are_reported(items)


def _steps_and_approvals(paths):
    from tracehound.pipeline import Options, analyze
    case = analyze(list(paths), Options(reproducible=True))
    calls = [e for e in case.events if e.source == "agent:tool_call"]
    return case, calls, [e for e in case.events if e.source == "agent:approval"]


def test_a_ui_log_alone_is_the_record_of_its_calls():
    case, calls, asks = _steps_and_approvals([fixture("cline", "runaway_ui")])
    assert asks == []
    assert [(e.step, e.ref.locator, e.action, e.attrs["approval"]) for e in calls] == [
        (1, "json:/2", "execute_command", "auto-approved"),
        (2, "json:/4", "editedExistingFile", "approved"),
        (3, "json:/6", "execute_command", "approved"),
        (4, "json:/8", "readFile", "approved"),
        (5, "json:/10", "execute_command", "auto-approved"),
        (6, "json:/12", "use_mcp_tool", "approved")]
    assert calls[2].attrs["arguments"] == {
        "command": "git commit -am 'Fix rounding' && git push origin main"}
    assert (calls[5].attrs["arguments"]["server_name"],
            calls[5].attrs["arguments"]["tool_name"]) == ("pastebin", "create_paste")
    [trace] = case.to_json()["traces"]
    assert "vcs-push" in [e["kind"] for e in trace["steps"][2]["effects"]]
    # a denied call is kept as a rejected step, not an action
    _, benign, _ = _steps_and_approvals([fixture("cline", "benign_ui")])
    assert [(e.action, e.outcome) for e in benign] == [("execute_command", None),
                                                       ("editedExistingFile", "rejected")]


def test_with_its_conversation_file_the_ui_log_only_approves():
    _, calls, asks = _steps_and_approvals([fixture("cline", "runaway"),
                                           fixture("cline", "runaway_ui")])
    assert len(calls) == 7 and len(asks) == 6
    assert all(e.ref.locator.startswith("json:/") and "/content/" in e.ref.locator
               for e in calls)
