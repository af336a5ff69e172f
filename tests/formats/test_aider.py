"""Aider chat histories -> events: sessions, human turns and commands, SEARCH/REPLACE edits,
shell proposals and their answers, auto-commits, --yes-always, zone-less times, truncation,
the real histories, sniffing and properties."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from agent_runtime_support import (
    REAL, at, calls, claims, files_of_others, issue_rows, parse_file, ref_of,
    rendered_fixtures, source_of, well_formed,
)
from agent_shapes_support import AGENT_FIXTURES, PROPERTY, by_source, fields, parse_bytes, \
    projection
from goldens import check_golden
from tracehound.sniff import sniff

PARSER = "aider"
HERE = AGENT_FIXTURES / "aider"
BENIGN, RUNAWAY, CORRUPT = HERE / "benign.md", HERE / "runaway.md", HERE / "corrupt.md"
REAL_DIR = REAL / "aider"
ZONELESS = "times carry no zone; left empty (give --tz ZONE to read them in a zone)"


def test_generator_reproduces_the_committed_fixtures():
    rendered, on_disk = rendered_fixtures("aider")
    assert rendered == on_disk


def block_at(path: Path, number: int) -> tuple[str, str]:
    """(search, replace) of the SEARCH/REPLACE block at or after line `number`, read
    straight from the file."""
    lines = path.read_text("utf-8").split("\n")[number - 1:]
    start = next(i for i, line in enumerate(lines) if line.startswith("<<<<<<< SEARCH"))
    middle = next(i for i in range(start, len(lines)) if lines[i] == "=======")
    end = next(i for i in range(middle, len(lines)) if lines[i].startswith(">>>>>>> REPLACE"))
    return ("".join(line + "\n" for line in lines[start + 1:middle]),
            "".join(line + "\n" for line in lines[middle + 1:end]))


# ----------------------------------------------------------------------------- fixtures


def test_benign_session():
    events, issues = parse_file(PARSER, BENIGN)
    assert issue_rows(issues) == [("line 2", ZONELESS)]
    assert by_source(events) == {"agent:human_command": 2, "agent:prompt": 1,
                                 "agent:session": 1, "agent:tool_call": 5}
    assert [(e.ref.locator, e.step, e.action, e.outcome, e.attrs.get("approval"))
            for e in calls(events)] == [
        ("line 17", 1, "add-file-to-chat", None, "approved"),
        ("line 22", 2, "edit", "success", None), ("line 32", 3, "edit", "success", None),
        ("line 53", 4, "git-commit", "success", None), ("line 54", 5, "shell", None,
                                                         "approved")]
    check_golden("agent_shapes/aider_benign.json", projection(events, issues))


def test_benign_edit_and_shell_steps_whole():
    events, _ = parse_file(PARSER, BENIGN)
    session = f"aider-{ref_of(BENIGN, '')['sha256'][:12]}-1"
    assert fields(at(events, "line 22")) == {
        "locator": "line 22", "source": "agent:tool_call", "time": None, "action": "edit",
        "action_class": "other", "actor_id": "aider", "actor_kind": "agent",
        "target_id": "cli.py", "target_type": "path", "target_label": None,
        "outcome": "success", "session": session, "step": 2, "parent_step": None,
        "approver": None, "bytes_in": None, "bytes_out": None,
        "attrs": {"arguments": {"path": "cli.py",
                                "search": 'parser.add_argument("paths", nargs="+")\n',
                                "replace": 'parser.add_argument("paths", nargs="+")\n'
                                           'parser.add_argument("--verbose", '
                                           'action="store_true")\n'},
                  "is_error": False, "model": "claude-sonnet-4-20250514",
                  "result_text": "Applied edit to cli.py",
                  "runtime": "aider", "seq": 3,
                  "stated_intent": "I'll add the flag and print each file name when it is set.",
                  "tool": "edit", "tool_call_id": None}}
    shell = at(events, "line 54")
    assert (shell.attrs["arguments"], shell.attrs["approval_ref"], shell.attrs["stated_intent"],
            shell.outcome) == ({"command": "python cli.py --verbose README.md"},
                               ref_of(BENIGN, "line 55"), "You can try it with:", None)


def test_human_run_and_git_are_commands_not_steps():
    events, _ = parse_file(PARSER, BENIGN)
    typed = [(e.ref.locator, e.actor_kind, e.step, e.attrs["command"], e.attrs.get("result_text"))
             for e in events if e.source == "agent:human_command"]
    assert typed == [
        ("line 59", "human", None, "pytest -q", None),
        ("line 62", "human", None, "git log --oneline -2",
         "3f9a1c2 feat: Add --verbose flag to print processed files\n0b7e4d1 Initial commit")]


def test_runaway_approvals_refusals_and_policy():
    events, issues = parse_file(PARSER, RUNAWAY)
    assert issue_rows(issues) == [("line 2", ZONELESS)]
    rows = [(e.ref.locator, e.session[-2:], e.action, e.attrs["arguments"].get("command")
             or e.attrs["arguments"].get("path") or e.attrs["arguments"].get("url")
             or e.attrs["arguments"].get("hash"), e.outcome, e.attrs.get("approval"),
             (e.attrs.get("approval_ref") or {}).get("locator"), e.attrs.get("approval_policy"))
            for e in calls(events)]
    assert rows == [
        ("line 21", "-1", "shell", "cat ~/.aws/credentials", None, "approved", "line 22", None),
        ("line 29", "-1", "edit", ".github/workflows/deploy.yml", "success", "approved",
         "line 52", None),
        ("line 54", "-1", "git-commit", "8c41d07", "success", None, None, None),
        ("line 55", "-1", "shell", "rm -rf build/", "rejected", "rejected", "line 57", None),
        ("line 56", "-1", "shell", "git push --force origin main", "rejected", "rejected",
         "line 57", None),
        ("line 76", "-2", "add-url-to-chat", "https://example.com/release.html", None,
         "auto-approved", "line 67", "--yes-always"),
        ("line 80", "-2", "edit", "pyproject.toml", "success", None, None, None),
        ("line 95", "-2", "git-commit", "1d2e3f4", "success", None, None, None),
        ("line 96", "-2", "shell", "twine upload dist/*", "rejected", "rejected", "line 97",
         "--yes-always")]
    turns = [(e.ref.locator, e.attrs["text"]) for e in events if e.source == "agent:prompt"]
    assert turns[0] == ("line 12", "The deploy script fails on staging. Find out why, but do "
                                   "not push anything.")
    policy = [e for e in events if e.source == "agent:session"][1]
    assert (policy.ref.locator, policy.attrs["approval_policy"], policy.attrs["command_line"]) \
        == ("line 65", "--yes-always", "/home/dev/.local/bin/aider --model gpt-4.1 --yes-always")
    check_golden("agent_shapes/aider_runaway.json", projection(events, issues))


def test_session_times_are_read_in_the_zone_given():
    events, issues = parse_file(PARSER, RUNAWAY, tz="America/New_York")
    assert issues == []
    assert [e.time for e in events if e.source == "agent:session"] == [
        "2026-03-03T19:02:51Z", "2026-03-04T13:30:12Z"]
    assert all(e.time is None for e in calls(events))


def test_corrupt_history_issues_are_located():
    events, issues = parse_file(PARSER, CORRUPT)
    assert issue_rows(issues) == [
        ("line 14", "bytes are not valid UTF-8 at byte offset 350"),
        ("line 16", "SEARCH/REPLACE block cut off before its `>>>>>>> REPLACE` line (read as "
                    "far as it goes)"),
        ("line 2", ZONELESS)]
    cut = at(events, "line 16")
    assert (cut.attrs["arguments"], cut.outcome) == (
        {"path": "billing.py", "search": "def total(items):\n",
         "replace": "def grand_total(items):\n"}, None)


# ----------------------------------------------------------------------------- real files

MONO = REAL_DIR / "Monochromatic.aider.chat.history.md"
AFI = REAL_DIR / "afi-core.aider.chat.history.md"
MOZ = REAL_DIR / "mozgoslav.aider.chat.history.md"
OPEN = REAL_DIR / "OpenCoder.aider.chat.history.md"
ZEN = REAL_DIR / "zen-mcp-server.aider.chat.history.md"


@pytest.mark.parametrize("path, steps, sessions, typed", [
    (MONO, 89, 19, 23), (AFI, 73, 9, 28), (MOZ, 14, 3, 11), (OPEN, 9, 34, 32), (ZEN, 0, 4, 0)],
    ids=lambda v: v.name if isinstance(v, Path) else str(v))
def test_real_histories_counts(path, steps, sessions, typed):
    events, issues = parse_file(PARSER, path)
    assert (len(calls(events)), sum(e.source == "agent:session" for e in events),
            sum(e.attrs.get("turn_kind") == "human-typed" for e in events)) == (
        steps, sessions, typed)
    expected = [("line 2", ZONELESS)]
    if not steps:
        expected.append(("file", "recognised as aider, nothing read: no tool call and no "
                                 "human turn"))
    assert issue_rows(issues) == expected


REAL_STEPS = [
    # (file, locator, tool, arguments (None: the block at that line), outcome, approval,
    #  approval ref, result)
    (MONO, "line 375", "add-file-to-chat", {"path": "packages\\module\\es\\src\\CONVENTIONS.md"},
     None, "approved", "line 376", None),
    (MONO, "line 406", "edit", None, "success", None, None,
     "Applied edit to packages\\module\\es\\src\\CONVENTIONS.md"),
    (MONO, "line 445", "git-commit", {"hash": "54d022e",
                                      "message": "docs: Add coding conventions document"},
     "success", None, None, "Commit 54d022e docs: Add coding conventions document"),
    (MONO, "line 531", "edit", None, "rejected", "rejected", "line 564", None),
    (AFI, "line 1191", "shell", {"command": "git push origin main"}, None, "approved",
     "line 1192", None),
    (AFI, "line 82", "edit", None, "success", "approved", "line 114",
     "Applied edit to sync-afi.sh"),
    (AFI, "line 172", "add-file-to-chat", {"path": "cli_hooks/validator_invoker.ts"},
     "rejected", "rejected", "line 173", None),
    (MOZ, "line 255", "add-file-to-chat", {"path": "frontend/electron/preload.ts"},
     "rejected", "rejected", "line 256", None),
    (MOZ, "line 4202", "edit", {"path": "Topology"}, "success", None, None,
     "Applied edit to Topology"),
    (MOZ, "line 4203", "git-commit", {"hash": "2c924fe", "message": "docs: добавить схему "
                                                                    "топологии сервиса диктовки"},
     "success", None, None, "Commit 2c924fe docs: добавить схему топологии сервиса диктовки"),
    (OPEN, "line 1159", "edit", {"path": "shutdown_pc.sh"}, "success", None, None,
     "Applied edit to shutdown_pc.sh"),
    (OPEN, "line 1160", "git-commit", {"hash": "22f6ebc", "message": "feat: add shutdown "
                                       "script for Zorin OS with optional delay"},
     "success", None, None,
     "Commit 22f6ebc feat: add shutdown script for Zorin OS with optional delay"),
    (OPEN, "line 1184", "add-file-to-chat",
     {"path": "frontend/src/components/agent/AgentEvents.tsx"}, None, "approved", "line 1185",
     None),
]


@pytest.mark.parametrize("path, locator, tool, arguments, outcome, approval, ref, result",
                         REAL_STEPS, ids=lambda v: v.name if isinstance(v, Path) else None)
def test_real_steps_whole(path, locator, tool, arguments, outcome, approval, ref, result):
    events, _ = parse_file(PARSER, path)
    step = at(events, locator)
    if arguments is None:
        number = int(locator.split()[1])
        search, replace = block_at(path, number)
        name = path.read_text("utf-8").split("\n")[number - 1].strip()
        arguments = {"path": name, "search": search, "replace": replace}
    assert (step.action, step.attrs["arguments"], step.outcome, step.attrs.get("approval"),
            step.attrs.get("approval_ref"), step.attrs.get("result_text")) == (
        tool, arguments, outcome, approval, ref_of(path, ref) if ref else None, result)


# ----------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize("path", [BENIGN, RUNAWAY, CORRUPT, *sorted(REAL_DIR.glob("*.md"))],
                         ids=lambda p: p.name)
def test_own_files_are_sniffed_as_aider_and_by_nothing_else(path):
    assert sniff(source_of(path)).parser.name == PARSER
    assert claims(path) == [PARSER]


def test_aider_declines_every_other_fixture_and_real_file():
    others = files_of_others("aider", "aider")
    assert len(others) > 30
    assert [p.name for p in others if PARSER in claims(p)] == []


# ----------------------------------------------------------------------------- properties

BENIGN_PARAGRAPHS = BENIGN.read_text("utf-8").split("\n\n")
VOCABULARY = ["# aider chat started at 2026-01-01 00:00:00", "#### do it  ", "> Tokens: 1k  ",
              "> Applied edit to a.py  ", "> Commit abc1234 msg  ", "a.py", "```python",
              "<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE", "```", "```bash", "ls", "",
              "> ls  ", "> Run shell command? (Y)es/(N)o [Yes]: y  ",
              "> Add file to the chat? (Y)es/(N)o [Yes]: n  ", "#### /git status  ",
              "> Create new file? (Y)es/(N)o [Yes]: y  ", "> out", "more out  "]


@PROPERTY
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_raise(data):
    well_formed(parse_bytes(PARSER, b"# aider chat started at 2026-01-01 00:00:00\n" + data))
    well_formed(parse_bytes(PARSER, data))


@PROPERTY
@given(st.lists(st.sampled_from(VOCABULARY) | st.text(max_size=20), max_size=40))
def test_arbitrary_histories_never_raise(lines):
    well_formed(parse_bytes(PARSER, "\n".join(lines).encode("utf-8", "surrogatepass")))


@PROPERTY
@given(st.randoms(use_true_random=False))
def test_shuffled_paragraphs_never_raise_and_every_applied_edit_is_a_step(rng: random.Random):
    paragraphs = list(BENIGN_PARAGRAPHS)
    rng.shuffle(paragraphs)
    items = parse_bytes(PARSER, "\n\n".join(paragraphs).encode())
    well_formed(items)
    edits = [i for i in items if getattr(i, "source", "") == "agent:tool_call"
             and i.action == "edit" and i.outcome == "success"]
    assert len(edits) >= 1              # confirmed blocks, or an edit of its own
