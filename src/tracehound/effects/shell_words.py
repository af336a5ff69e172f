"""Shell text without a grammar: the raw command records every reader produces, and a
conservative splitter for text that does not parse (unbalanced quotes, cut-off here-docs):
split at `;`, `&&`, `||`, `|`, `&` and newlines outside quotes, then read word by word."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_COMMANDS = 4000          # a script with more simple commands is read up to here
ESCAPE_IN_STRING = re.compile(r"\\([\"\\$`\n])")


@dataclass(frozen=True, slots=True)
class Redirect:
    """One redirection: `op` as written (">", ">>", "<", "&>", "<<", "<<<", ">&"), the
    descriptor when one is written (2 in "2>"), the target file (None for a duplicated
    descriptor, a here-doc or a here-string) and the here-doc / here-string text."""

    op: str
    fd: int | None
    target: str | None
    body: str | None = None

    @property
    def writes(self) -> bool:
        return self.target is not None and self.op in (">", ">>", "&>", "&>>", ">|", ">&")

    @property
    def reads(self) -> bool:
        return self.target is not None and self.op in ("<", "<>")


@dataclass(slots=True)
class Raw:
    """A simple command as the walk found it (mutable until shell.py freezes it)."""

    words: list[str]
    literal: list[bool]
    env: list[tuple[str, str]] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    via: str = "top"
    stdin_from: int | None = None
    parent: int | None = None
    cwd: str | None = None


@dataclass(slots=True)
class Walk:
    """The result of reading one text: raw commands in order, where `cd` left it, the
    variables it exported, and why it is not fully parsed (empty when it is)."""

    commands: list[Raw]
    cwd: str | None
    exports: dict[str, str]
    problems: list[str]


def changed_dir(cwd: str | None, args: list[str]) -> str | None:
    operands = [a for a in args if not a.startswith("-") or a == "-"]
    if not operands:
        return "~"
    target = operands[0]
    if target == "-":
        return cwd
    if target.startswith(("/", "~", "$HOME")) or re.match(r"^[A-Za-z]:[\\/]", target) \
            or cwd is None:
        return target
    return cwd.rstrip("/") + "/" + target


# ----------------------------------------------------------------------------- fallback

_OPERATOR = re.compile(r"\|\||&&|\|&|;;|[;|&\n]")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_REDIRECT_WORD = re.compile(r"^(\d*|&)(>>|>\||>&|>|<<<|<<|<)(.*)$", re.DOTALL)
_SUBST = re.compile(r"\$\(([^()]*)\)|`([^`]*)`")


def split_conservatively(text: str) -> Walk:
    """Split at `;`, `&&`, `||`, `|`, `&` and newlines outside quotes, and read each piece
    word by word. An unbalanced quote runs to the end of the text. Never raises."""
    out: list[Raw] = []
    feed: int | None = None
    cwd: str | None = None
    for segment, op in _segments(text):
        words = words_of(segment)
        raw = _raw_of(words, feed, cwd)
        if raw is not None:
            out.append(raw)
            if raw.words[0] in ("cd", "pushd"):
                cwd = changed_dir(cwd, raw.words[1:])
            for match in _SUBST.finditer(segment):
                inner = match.group(1) if match.group(1) is not None else match.group(2)
                sub = _raw_of(words_of(inner), None, cwd)
                if sub is not None:
                    sub.via = "substitution"
                    sub.parent = len(out) - 1
                    out.append(sub)
        feed = (len(out) - 1 if raw is not None else None) if op in ("|", "|&") else None
    return Walk(out[:MAX_COMMANDS], cwd, {}, ["read word by word"])


def _raw_of(words: list[tuple[str, bool]], feed: int | None, cwd: str | None) -> Raw | None:
    env: list[tuple[str, str]] = []
    redirects: list[Redirect] = []
    kept: list[tuple[str, bool]] = []
    pending: str | None = None
    for word, quoted in words:
        if pending is not None:
            redirects.append(Redirect(pending, None, word))
            pending = None
            continue
        redirect = None if quoted else _REDIRECT_WORD.match(word)
        if redirect:
            op = redirect.group(2)
            if redirect.group(3):
                target = redirect.group(3)
                redirects.append(Redirect(op, None, None if target.isdigit() else target))
            elif op in ("<<", "<<<"):
                redirects.append(Redirect(op, None, None, ""))
            else:
                pending = op
            continue
        if not kept and not quoted and _ASSIGNMENT.match(word):
            name, _, value = word.partition("=")
            env.append((name, value))
            continue
        kept.append((word, quoted))
    if not kept:
        return None
    return Raw([w for w, _ in kept], ["$" not in w and "`" not in w for w, _ in kept], env,
               redirects, "fallback", feed, None, cwd)


def _segments(text: str) -> list[tuple[str, str]]:
    """(segment, the operator after it), splitting only outside quotes (POSIX: a backslash
    escapes outside quotes and inside double quotes, never inside single quotes)."""
    return split_outside_quotes(text, _OPERATOR, "'\"", "\\", escape_in=(None, '"'))


def split_outside_quotes(text: str, separators: re.Pattern[str], quotes: str, escape: str,
                         escape_in: tuple[str | None, ...]) -> list[tuple[str, str]]:
    """(segment, the separator after it) for each non-blank segment of `text`, split where
    `separators` match outside quotes. `escape` skips the next character while the quote
    state (None: unquoted, or the open quote) is one of `escape_in`. Shared by the POSIX and
    the Windows shells (shell_windows.py), which differ only in these arguments."""
    pieces: list[tuple[str, str]] = []
    start = i = 0
    quote: str | None = None
    while i < len(text):
        ch = text[i]
        if ch == escape and quote in escape_in:
            i += 2
            continue
        if quote:
            quote = None if ch == quote else quote
        elif ch in quotes:
            quote = ch
        else:
            match = separators.match(text, i)
            if match:
                pieces.append((text[start:i], match.group(0)))
                i = start = match.end()
                continue
        i += 1
    pieces.append((text[start:], ""))
    return [(s, op) for s, op in pieces if s.strip()]


def words_of(segment: str) -> list[tuple[str, bool]]:
    """Words with quotes removed; (word, whether any part was quoted)."""
    words: list[tuple[str, bool]] = []
    current: list[str] = []
    quoted = started = False
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch in "'\"":
            end = segment.find(ch, i + 1)
            while ch == '"' and end > 0 and segment[end - 1] == "\\":
                end = segment.find(ch, end + 1)
            end = len(segment) if end < 0 else end
            piece = segment[i + 1:end]
            current.append(ESCAPE_IN_STRING.sub(r"\1", piece) if ch == '"' else piece)
            quoted = started = True
            i = end + 1
            continue
        if ch == "\\" and i + 1 < len(segment):
            current.append(segment[i + 1])
            started = True
            i += 2
            continue
        if ch.isspace() or ch in "()":
            if started:
                words.append(("".join(current), quoted))
            current, quoted, started = [], False, False
        else:
            current.append(ch)
            started = True
        i += 1
    if started:
        words.append(("".join(current), quoted))
    return words
