"""The line grammar of Aider's chat history (`.aider.chat.history.md`).

Aider appends to one markdown file per project, one session after another:
- `# aider chat started at YYYY-MM-DD HH:MM:SS` (local time, no zone) opens a session;
- `#### text` lines are what the human typed (consecutive lines are one input);
- `> text` lines are Aider's own output (messages, confirmation questions with the answer,
  `Applied edit to x`, `Commit abc1234 msg`); an output of several lines keeps the `> ` on its
  first line only, and the next lines follow with no blank line between;
- anything else is the model's reply, written after a blank line (it may hold fenced code,
  SEARCH/REPLACE blocks, `####` headings and `>` quotes of its own).
Aider ends every human and output line with two spaces (a markdown line break); when the file
still has them, a `####` line without them is the model's heading, not a human line.

This module splits the file into sessions and records, and finds the SEARCH/REPLACE edit
blocks and shell blocks in a model reply. It judges nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HEADER = re.compile(r"^# aider chat started at (.*?)\s*$")
USER = "####"
TOOL = ">"


def marked_as(line: str, marker: str) -> bool:
    """`#### text` / `> text` (or the bare marker): not `#####` or `>>>>>>> REPLACE`."""
    return line.startswith(marker + " ") or line.rstrip() == marker
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
SEARCH = re.compile(r"^\s*<{5,9} SEARCH>?\s*$")
DIVIDER = re.compile(r"^\s*={5,9}\s*$")
REPLACE = re.compile(r"^\s*>{5,9} REPLACE\s*$")
SHELL_FENCE = re.compile(r"^\s*```(?:bash|sh|shell|zsh|fish|ksh|csh|tcsh|cmd|batch|"
                         r"powershell|ps1)\s*$", re.I)

Line = tuple[int, str]


@dataclass
class Record:
    """One human input, one Aider output, or one model reply: its lines and numbers."""

    kind: str                               # "user" | "tool" | "assistant"
    lines: list[Line] = field(default_factory=list)

    @property
    def number(self) -> int:
        return self.lines[0][0]

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in self.lines)


@dataclass
class Session:
    number: int | None                      # line of the header (None: text before any)
    started: str | None                     # the header's time text
    records: list[Record] = field(default_factory=list)


def _body(line: str, marker: str) -> str:
    """A human or output line without its marker and the trailing line break."""
    rest = line[len(marker):]
    return (rest[1:] if rest.startswith(" ") else rest).rstrip()


class _Splitter:
    """Feeds lines one at a time; keeps track of fences inside model replies."""

    def __init__(self, marked: bool):
        self.marked = marked                # the file keeps Aider's trailing two spaces
        self.sessions: list[Session] = []
        self.current: Record | None = None
        self.blank = True                   # a blank line since the last record line
        self.in_fence = False
        self.unended = False                # an output of several lines still going on

    def session(self) -> Session:
        if not self.sessions:
            self.sessions.append(Session(None, None))
        return self.sessions[-1]

    def open(self, kind: str, number: int, text: str, raw: str = "") -> None:
        self.current = Record(kind, [(number, text)])
        self.session().records.append(self.current)
        self.in_fence = kind == "assistant" and bool(FENCE.match(text))
        # Aider ends an output with two spaces: a first line without them has more to come
        self.unended = kind == "tool" and self.marked and not raw.endswith("  ")

    def feed(self, number: int, line: str) -> None:
        header = HEADER.match(line)
        if header:
            self.sessions.append(Session(number, header.group(1)))
            self.current, self.blank, self.unended = None, True, False
            return
        if self.unended and not (marked_as(line, USER) or marked_as(line, TOOL)):
            self.current.lines.append((number, line.rstrip()))
            self.unended = not line.endswith("  ")
            self.blank = False
            return
        self.unended = False
        if not line.strip():
            if self.current is not None and self.current.kind == "assistant":
                self.current.lines.append((number, ""))
            self.blank = True
            return
        kind = self.current.kind if self.current is not None else None
        self.line(number, line, kind)
        self.blank = False

    def line(self, number: int, line: str, kind: str | None) -> None:
        reply_goes_on = kind == "assistant" and (
            not self.blank or (self.in_fence and not self._breaks(line)))
        if marked_as(line, USER) and not reply_goes_on and self._human(line):
            if kind == "user" and not self.blank:
                self.current.lines.append((number, _body(line, USER)))
            else:
                self.open("user", number, _body(line, USER))
        elif marked_as(line, TOOL) and not reply_goes_on:
            self.open("tool", number, _body(line, TOOL), line)
        elif kind == "tool" and not self.blank:
            self.current.lines.append((number, line.rstrip()))       # output goes on
        elif kind == "assistant":
            self.current.lines.append((number, line))
            if FENCE.match(line):
                self.in_fence = not self.in_fence
        else:
            self.open("assistant", number, line)

    def _breaks(self, line: str) -> bool:
        """An Aider line after a reply whose fences do not pair up (a cut-off reply)."""
        if not (marked_as(line, USER) or marked_as(line, TOOL)):
            return False
        return line.endswith("  ") if self.marked else line.startswith("> Tokens:")

    def _human(self, line: str) -> bool:
        return not self.marked or line.endswith("  ") or line.rstrip() == USER


def split_sessions(lines: list[Line]) -> list[Session]:
    """The sessions of a chat history and their records, in file order."""
    marked = any(marked_as(text, USER) and text.endswith("  ") for _, text in lines)
    splitter = _Splitter(marked)
    for number, text in lines:
        splitter.feed(number, text.rstrip("\r"))
    for session in splitter.sessions:
        for record in session.records:
            while record.kind == "assistant" and len(record.lines) > 1 and \
                    not record.lines[-1][1].strip():
                record.lines.pop()
    return splitter.sessions


# ----------------------------------------------------------------------------- model replies


@dataclass
class Block:
    """A SEARCH/REPLACE edit (path, search, replace) or a shell block (command) of a reply."""

    kind: str                               # "edit" | "shell"
    number: int                             # line the block starts on (its file name line)
    path: str | None = None
    search: str = ""
    replace: str = ""
    command: str = ""
    intent: str | None = None               # the reply's prose just before the block
    complete: bool = True                   # the block reached its closing marker


def _file_name(window: list[str]) -> tuple[str | None, int]:
    """The file name on the up-to-three lines before `<<<<<<< SEARCH` (nearest first,
    looking past fence lines only), and how many of those lines lead into the block."""
    lead = 0
    for text in reversed(window):
        name = text.strip()
        fence = FENCE.match(name)
        if fence:
            lead += 1
            rest = name[len(fence.group(1)):].strip()
            if rest and ("." in rest or "/" in rest):
                return rest, lead
            continue
        if not name or SEARCH.match(name) or DIVIDER.match(name) or REPLACE.match(name):
            return None, lead
        return name.rstrip(":").lstrip("#").strip().strip("`*").strip() or None, lead + 1
    return None, lead


def reply_blocks(lines: list[Line]) -> list[Block]:
    """The edit and shell blocks of one model reply, in order."""
    blocks: list[Block] = []
    prose: list[str] = []
    index = 0
    while index < len(lines):
        number, text = lines[index]
        if SEARCH.match(text):
            index = _edit(lines, index, blocks, prose)
        elif SHELL_FENCE.match(text) and not _search_follows(lines, index):
            index = _shell(lines, index, blocks, prose)
        else:
            prose.append(text)
            index += 1
    return blocks


def _search_follows(lines: list[Line], index: int) -> bool:
    return any(SEARCH.match(text) for _, text in lines[index + 1:index + 3])


def _intent(prose: list[str], drop: int = 0) -> str | None:
    kept = prose[:len(prose) - drop] if drop else prose
    text = "\n".join(line for line in kept if not FENCE.match(line)).strip()
    prose.clear()
    return text or None


def _edit(lines: list[Line], index: int, blocks: list[Block], prose: list[str]) -> int:
    window = lines[max(0, index - 3):index]
    path, lead = _file_name([text for _, text in window])
    start = window[len(window) - lead][0] if lead else lines[index][0]
    previous = next((b.path for b in reversed(blocks) if b.kind == "edit"), None)
    search: list[str] = []
    replace: list[str] = []
    part, end = 0, index + 1
    while end < len(lines) and part < 2:
        text = lines[end][1]
        if (part == 0 and DIVIDER.match(text)) or (part == 1 and (
                REPLACE.match(text) or DIVIDER.match(text))):
            part += 1
        else:
            (search if part == 0 else replace).append(text)
        end += 1
    blocks.append(Block("edit", start, path or previous, _joined(search), _joined(replace),
                        intent=_intent(prose, drop=min(lead, len(prose))),
                        complete=part == 2))
    return end


def _shell(lines: list[Line], index: int, blocks: list[Block], prose: list[str]) -> int:
    body, end = [], index + 1
    while end < len(lines) and not FENCE.match(lines[end][1]):
        body.append(lines[end][1])
        end += 1
    blocks.append(Block("shell", lines[index][0], command="\n".join(body).strip(),
                        intent=_intent(prose)))
    return end + 1


def _joined(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)
