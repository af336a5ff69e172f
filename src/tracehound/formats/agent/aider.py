"""Aider chat histories (`.aider.chat.history.md`) -> events.

One file holds many sessions (`aider_markdown.py` splits it into records). Per session:
- the startup lines give the session record: `Aider vX`, `Main model: M with F edit format`,
  `Cur working dir` / `Git working dir`, the command line (`--yes-always` there means every
  question was answered by policy); the header's time has no zone and stays empty unless
  `--tz` is given;
- a human input (`#### ...`) is a turn; `/run cmd`, `!cmd`, `/test cmd` and `/git args` are
  commands the human ran (never agent steps); `/ask`, `/code`, `/architect`, `/context` carry
  a turn; any other in-chat command (`/add`, `/drop`, `/undo`...) is kept as system-injected
  text;
- each SEARCH/REPLACE block of a model reply is a step (tool `edit`, arguments {path, search,
  replace}); `Applied edit to <path>` confirms it, `SearchReplaceNoExactMatch ... in <path>`
  is its failure, `Create new file?` / `Allow edits to file...?` its approval; an
  `Applied edit` no block accounts for (whole-file or diff formats) is an edit step of its own
  ({path});
- `Run shell command(s)? ... [Yes]: y|n` after the proposed commands is a step (tool `shell`,
  {command}) approved or rejected by the answer; `Add file to the chat?` / `Add URL to the
  chat?` are steps that bring a file or page into the model's context, with their answer;
- `Commit <hash> <message>` is a commit Aider made (tool `git-commit`, actor aider).
Lines are the locators. Aider records no per-step times and no command output.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue, line_ref
from .aider_markdown import Block, Record, Session, reply_blocks, split_sessions
from .builder import ToolCall, TraceBuilder, prompt_event
from ..base import Parser, Sample, Source
from ..readers import iter_text_lines
from ..registry import register

RUNTIME = "aider"
_SNIFF = re.compile(r"^# aider chat started at \d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}", re.M)
CONFIRM = re.compile(r"^(.*?\?)\s+\(Y\)es/\(N\)o.*\[([^\]]*)\]:\s*(\S*)\s*$")
APPLIED = re.compile(r"^Applied edit to (.+?)\s*$")
NO_MATCH = re.compile(r"SearchReplaceNoExactMatch: This SEARCH block failed to exactly match "
                      r"lines in (.+?)\s*$")
FAILED = re.compile(r"^#+ (?:\d+ SEARCH/REPLACE blocks? failed to match!|"
                    r"SearchReplaceNoExactMatch:)")
COMMIT = re.compile(r"^Commit ([0-9a-f]{7,40}) (.*)$")
DIRTY = re.compile(r"^Committing (.+) before applying edits\.$")
VERSION = re.compile(r"^Aider v(\S+)")
MODEL = re.compile(r"^(?:Main model|Model): (\S+)(?:.*?\b(?:with|using) (\S+) edit format)?")
CWD = re.compile(r"^(Cur working dir|Git working dir): (.+)$")
COMMAND_LINE = re.compile(r"^(?:\S*[/\\])?aider(?:\.exe|\.cmd|\.bat)?(?:\s|$)", re.I)
# Aider's in-chat commands (`/ru` runs /run when the prefix names one command)
COMMANDS = ("model", "editor-model", "weak-model", "chat-mode", "models", "web", "commit",
            "lint", "clear", "reset", "tokens", "undo", "diff", "add", "drop", "git", "test",
            "run", "exit", "quit", "ls", "help", "ask", "code", "architect", "context", "ok",
            "voice", "paste", "read-only", "map", "map-refresh", "settings", "load", "save",
            "multiline-mode", "copy", "report", "editor", "edit", "think-tokens",
            "reasoning-effort", "copy-context")
SHELL_COMMANDS = ("run", "test", "git")
TURN_COMMANDS = ("ask", "code", "architect", "context", "ok")


@register
class AiderParser(Parser):
    name = "aider"
    version = "1"
    description = "Aider chat history markdown (.aider.chat.history.md)"
    example = "Monochromatic.aider.chat.history.md"

    def sniff(self, sample: Sample) -> str | None:
        head = sample.text[:65536]
        if head.lstrip()[:1] in ("{", "[") or not _SNIFF.search(head):
            return None
        return "Aider chat history: `# aider chat started at` session headers"

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        builder = TraceBuilder(RUNTIME, source, order="file")
        lines: list[tuple[int, str]] = []
        for item in iter_text_lines(source.data, source.path):
            if isinstance(item, ParseIssue):
                builder.add(item)
            else:
                lines.append(item)
        for ordinal, session in enumerate(split_sessions(lines), start=1):
            if session.records or session.number is not None:
                SessionReader(builder, source, session, ordinal).read()
        yield from builder.build()


def _answer(answer: str, explicit: bool) -> str | None:
    """approved / rejected from the first letter Aider wrote after the question."""
    letter = answer[:1].lower()
    if not letter:
        return None
    if letter == "y" or (letter == "a" and not explicit):
        return "approved"
    return "rejected"


def same_path(one: Any, other: str) -> bool:
    if not isinstance(one, str) or not one:
        return False
    a, b = (p.replace("\\", "/").removeprefix("./").strip() for p in (one, other))
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def _command_of(text: str) -> tuple[str | None, str]:
    """(Aider command name, its arguments) of a human input, or (None, text)."""
    if text.startswith("!"):
        return "run", text[1:].strip()
    if not text.startswith("/"):
        return None, text
    word, _, rest = text.partition(" ")
    word = word[1:].lower()
    found = [c for c in COMMANDS if c == word] or [c for c in COMMANDS if c.startswith(word)]
    return (found[0] if len(found) == 1 else word), rest.strip()


class SessionReader:
    """One `# aider chat started at` session into the builder."""

    def __init__(self, builder: TraceBuilder, source: Source, session: Session, ordinal: int):
        self.builder, self.source, self.session = builder, source, session
        self.id = f"aider-{source.sha256[:12]}-{ordinal}"
        self.facts = self._facts()
        self.policy_ref: EvidenceRef | None = None
        if {"--yes-always", "--yes"} & set(self.facts.get("command_line", "").split()):
            self.policy_ref = self.ref(self.facts["command_line_line"])
        self.edits: list[ToolCall] = []     # edit steps of this exchange not yet confirmed
        self.shells: list[Block] = []       # shell blocks the replies of this exchange hold
        self.dirty = False

    def ref(self, number: int) -> EvidenceRef:
        return line_ref(self.source.sha256, number)

    def _facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = {}
        for record in self.session.records:
            if record.kind != "tool":
                continue
            first = record.lines[0][1]
            for pattern, keys in ((VERSION, ("runtime_version",)),
                                  (MODEL, ("model", "edit_format"))):
                match = pattern.match(first)
                for key, value in zip(keys, match.groups() if match else ()):
                    if value:
                        facts.setdefault(key, value)
            where = CWD.match(first)
            if where:
                facts.setdefault("cwd" if where.group(1).startswith("Cur") else "git_root",
                                 where.group(2).strip())
            if COMMAND_LINE.match(first) and "command_line" not in facts:
                facts["command_line"], facts["command_line_line"] = first, record.number
        return facts

    def read(self) -> None:
        records = self.session.records
        start = self.session.number or records[0].number
        facts = self.facts
        self.builder.session_meta(
            self.ref(start), self.id, time=self.builder.time(self.session.started,
                                                             self.ref(start)),
            runtime_version=facts.get("runtime_version"), agent_kind="coding",
            model=facts.get("model"), cwd=facts.get("cwd") or facts.get("git_root"),
            approval_policy="--yes-always" if self.policy_ref else None,
            edit_format=facts.get("edit_format"), command_line=facts.get("command_line"))
        for index, record in enumerate(records):
            if record.kind == "user":
                following = records[index + 1] if index + 1 < len(records) else None
                self.human(record, following)
            elif record.kind == "assistant":
                self.reply(record)
            else:
                self.output(record, records[index - 1] if index else None)

    # ------------------------------------------------------------------ human input

    def human(self, record: Record, following: Record | None) -> None:
        text = record.text
        first = record.lines[0][1].strip()
        if CONFIRM.match(first) or text.strip() in ("", "<blank>"):
            return                                  # an answer echoed for a group of asks
        self.edits, self.shells = [], []           # a new exchange begins
        command, rest = _command_of(text.strip())
        ref = self.ref(record.number)
        if command in SHELL_COMMANDS:
            if not rest:
                self._turn(ref, text, "system-injected")
                return
            output = following.text if command == "git" and following is not None and \
                following.kind == "tool" else None
            self.builder.human_command(ref, f"git {rest}" if command == "git" else rest,
                                       result=output, session=self.id, raw=text)
        elif command is None or command in TURN_COMMANDS:
            self._turn(ref, text, "human-typed")
        else:
            self._turn(ref, text, "system-injected")

    def _turn(self, ref: EvidenceRef, text: str, kind: str) -> None:
        """Every input is its own turn: a human who types the same text again means it."""
        self.builder.add(prompt_event(ref, RUNTIME, text, "user", session=self.id,
                                      turn_kind=kind, raw=text))

    # ------------------------------------------------------------------ model replies

    def reply(self, record: Record) -> None:
        if FAILED.match(record.lines[0][1]):
            self.failures(record)           # the rest of Aider's failure report
            return
        for block in reply_blocks(record.lines):
            if block.kind == "shell":
                self.shells.append(block)
                continue
            if not block.complete:
                self.builder.issue(f"line {block.number}", "SEARCH/REPLACE block cut off "
                                   "before its `>>>>>>> REPLACE` line (read as far as it goes)")
            call = self._call(block.number, "edit", {"path": block.path, "search": block.search,
                                                     "replace": block.replace},
                              intent=block.intent)
            self.edits.append(call)

    def _call(self, number: int, tool: str, arguments: dict[str, Any], **kw: Any) -> ToolCall:
        call = ToolCall(ref=self.ref(number), tool=tool, session=self.id, arguments=arguments,
                        actor_id=RUNTIME, model=self.facts.get("model"),
                        stated_intent=kw.pop("intent", None), raw=kw.pop("raw", None), **kw)
        self.builder.add(call)
        return call

    # ------------------------------------------------------------------ Aider's output

    def output(self, record: Record, previous: Record | None) -> None:
        first = record.lines[0][1]
        confirm = CONFIRM.match(first)
        if confirm:
            self.question(record, confirm, previous)
            return
        for pattern, handle in ((APPLIED, self.applied), (COMMIT, self.commit)):
            match = pattern.match(first)
            if match:
                handle(record, match)
                return
        self.failures(record)
        self.dirty = bool(DIRTY.match(first)) or (self.dirty and not first.strip())

    def failures(self, record: Record) -> None:
        """Aider's report of SEARCH blocks that matched nothing: each fails one edit."""
        for _, text in record.lines:
            match = NO_MATCH.search(text)
            if match:
                self.no_match(record, match)

    def applied(self, record: Record, match: re.Match) -> None:
        path = match.group(1)
        found = [c for c in self.edits if same_path(c.arguments.get("path"), path)]
        for call in found:
            call.is_error, call.result = False, record.text
            self.edits.remove(call)
        if not found:
            self._call(record.number, "edit", {"path": path}, is_error=False,
                       result=record.text)

    def no_match(self, record: Record, match: re.Match) -> None:
        call = next((c for c in self.edits if same_path(c.arguments.get("path"),
                                                        match.group(1))), None)
        if call is not None:
            call.is_error, call.result = True, record.text
            self.edits.remove(call)

    def commit(self, record: Record, match: re.Match) -> None:
        extra = {"dirty_commit": True} if self.dirty else {}
        self.dirty = False
        self._call(record.number, "git-commit", {"hash": match.group(1),
                                                 "message": match.group(2).strip()},
                   is_error=False, result=record.text, extra=extra)

    def question(self, record: Record, confirm: re.Match, previous: Record | None) -> None:
        asked, answer = confirm.group(1), confirm.group(3)
        subject = previous if previous is not None and previous.kind == "tool" and \
            not CONFIRM.match(previous.lines[0][1]) else None
        target = " ".join(t.strip() for _, t in subject.lines).strip() if subject else ""
        if asked in ("Run shell command?", "Run shell commands?") and subject is not None:
            self.shell(record, subject, _answer(answer, explicit=True))
        elif asked == "Add file to the chat?" and target:
            self._asked(record, subject.number, "add-file-to-chat", {"path": target},
                        _answer(answer, False), describe_as=("read", {"path": target}),
                        raw=subject.text)
        elif asked == "Add URL to the chat?" and target:
            self._asked(record, subject.number, "add-url-to-chat", {"url": target},
                        _answer(answer, False), describe_as=("fetch", {"url": target}),
                        raw=subject.text)
        elif asked.startswith(("Create new file", "Allow edits to")) and target:
            for call in self.edits:
                if same_path(call.arguments.get("path"), target):
                    self._approve(call, _answer(answer, False), record)

    def shell(self, record: Record, subject: Record, approval: str | None) -> None:
        """Each command Aider asked to run (it runs them one by one): a step."""
        for number, text in subject.lines:
            command = text.strip()
            if command and not command.startswith("#"):
                self._asked(record, number, "shell", {"command": command}, approval,
                            raw=subject.text, intent=self._shell_intent(command))

    def _asked(self, record: Record, number: int, tool: str, arguments: dict[str, Any],
               approval: str | None, **kw: Any) -> None:
        call = self._call(number, tool, arguments, **kw)
        self._approve(call, approval, record)

    def _approve(self, call: ToolCall, approval: str | None, record: Record) -> None:
        if approval is None:
            return
        call.approval, call.approval_ref = approval, self.ref(record.number)
        if self.policy_ref is not None:             # every answer came from --yes-always
            call.approval_policy = "--yes-always"
            if approval == "approved":
                call.approval, call.approval_ref = "auto-approved", self.policy_ref

    def _shell_intent(self, command: str) -> str | None:
        """The prose before the reply's shell block that holds this command."""
        block = next((b for b in reversed(self.shells)
                      if command in (line.strip() for line in b.command.splitlines())), None)
        return block.intent if block is not None else None
