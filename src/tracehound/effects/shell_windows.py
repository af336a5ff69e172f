"""PowerShell and cmd basics: which dialect a text is in, and its simple commands.

Not a full grammar: statements split at newlines, `;`, `|`, `&&`, `||` and script-block
braces (PowerShell) or `&` (cmd); words with quotes removed (PowerShell backtick and cmd
caret escapes); redirections `>`, `>>`, `2>`, `*>`, `<`; `cd` / `Set-Location` move the
working directory; `$env:NAME = value` and `set NAME=value` set the environment. Program
names are lower-cased without `.exe`. Commands come out as shell_bash.Raw for shell.py.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .shell_words import Raw, Redirect, Walk, split_outside_quotes
from .tables import table

_PS_SEPARATORS = re.compile(r"\r?\n|;|\|\||&&|\||\{|\}")
_CMD_SEPARATORS = re.compile(r"\r?\n|\|\||&&|\||&")
_REDIRECT = re.compile(r"^(\d|\*)?(>>|>)(&\d)?(.*)$")
_PS_ENV = re.compile(r"^\$env:([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", re.IGNORECASE)
_CMD_SET = re.compile(r"^set\s+\"?([A-Za-z_][A-Za-z0-9_]*)=(.*?)\"?$", re.IGNORECASE)
_CD = frozenset({"cd", "chdir", "set-location", "sl", "pushd", "push-location"})


@lru_cache(maxsize=1)
def _detectors() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    data = table("shell")
    verbs = "|".join(data["powershell_verbs"])
    aliases = "|".join(re.escape(a) for a in data["powershell_detect"])
    start = r"(?:^|[;|{(\n]|&&|\|\|)\s*&?\s*"
    powershell = re.compile(rf"{start}(?:(?:{verbs})-[A-Z][A-Za-z]+\b|(?:{aliases})(?=\s|$))"
                            r"|\$env:[A-Za-z_]", re.MULTILINE)
    builtins = "|".join(data["cmd_builtins"])
    cmd_start = re.compile(rf"^\s*@?(?:{builtins})(?=\s|$)", re.IGNORECASE)
    cmd_sign = re.compile(r"\s/[A-Za-z?]{1,2}(?::\S*)?(?=\s|$)|(?:^|\s)\"?[A-Za-z]:\\"
                          r"|(?:^|\s)\"?(?:HKLM|HKCU|HKCR|HKU|HKCC|HKEY_[A-Z_]+)\\")
    return powershell, cmd_start, cmd_sign


@lru_cache(maxsize=16384)
def dialect_of(text: str) -> str:
    """"powershell", "cmd" or "bash" (the default)."""
    if not text:
        return "bash"
    powershell, cmd_start, cmd_sign = _detectors()
    if powershell.search(text):
        return "powershell"
    if cmd_start.match(text) and cmd_sign.search(text):
        return "cmd"
    return "bash"


def walk(text: str, dialect: str) -> Walk:
    separators = _PS_SEPARATORS if dialect == "powershell" else _CMD_SEPARATORS
    out: list[Raw] = []
    exports: dict[str, str] = {}
    cwd: str | None = None
    feed: int | None = None
    for segment, op in _segments(text, separators, dialect):
        stripped = segment.strip()
        assignment = (_PS_ENV if dialect == "powershell" else _CMD_SET).match(stripped)
        if assignment:
            exports[assignment.group(1)] = _unquote(assignment.group(2).strip(), dialect)
            feed = None
            continue
        raw = _raw(stripped, dialect, feed, cwd, exports)
        if raw is not None:
            out.append(raw)
            if raw.words[0].lower() in _CD:
                operands = [w for w in raw.words[1:] if not w.startswith(("-", "/"))]
                cwd = operands[0] if operands else cwd
        feed = len(out) - 1 if op == "|" and raw is not None else None
    return Walk(out, cwd, exports, [])


def _raw(segment: str, dialect: str, feed: int | None, cwd: str | None,
         exports: dict[str, str]) -> Raw | None:
    words = _words(segment, dialect)
    if words and words[0] in ("&", "."):
        words = words[1:] if words[0] == "&" else ["source"] + words[1:]
    redirects: list[Redirect] = []
    kept: list[str] = []
    pending: tuple[str, int | None] | None = None
    for word in words:
        if pending is not None:
            redirects.append(Redirect(pending[0], pending[1], word))
            pending = None
            continue
        match = _REDIRECT.match(word)
        if match and not match.group(3):
            fd = None if match.group(1) in (None, "*") else int(match.group(1))
            op = "&>" if match.group(1) == "*" else match.group(2)
            if match.group(4):
                redirects.append(Redirect(op, fd, match.group(4)))
            else:
                pending = (op, fd)
            continue
        if match and match.group(3):
            continue                                 # 2>&1
        if word == "<" and dialect == "cmd":
            pending = ("<", None)
            continue
        kept.append(word)
    if not kept or (dialect == "powershell" and kept[0].startswith("$")):
        return None                 # no command: a PowerShell expression ($_.Matches, $x = 1)
    kept[0] = kept[0].lower()
    if dialect == "powershell":
        kept[0] = table("shell")["powershell_aliases"].get(kept[0], kept[0])
    return Raw(kept, [not w.startswith("$") for w in kept], list(exports.items()), redirects,
               "top", feed, None, cwd)


def _segments(text: str, separators: re.Pattern[str], dialect: str) -> list[tuple[str, str]]:
    """PowerShell quotes with ' and " and escapes with a backtick; cmd quotes with " and
    escapes with a caret; either escape works inside quotes too."""
    if dialect == "powershell":
        return split_outside_quotes(text, separators, "'\"", "`", escape_in=(None, "'", '"'))
    return split_outside_quotes(text, separators, '"', "^", escape_in=(None, '"'))


def _words(segment: str, dialect: str) -> list[str]:
    words: list[str] = []
    current: list[str] = []
    started = False
    quote: str | None = None
    escape = "`" if dialect == "powershell" else "^"
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch == escape and i + 1 < len(segment):
            nxt = segment[i + 1]
            current.append({"n": "\n", "t": "\t"}.get(nxt, nxt) if escape == "`" else nxt)
            started = True
            i += 2
            continue
        if quote:
            if ch == quote:
                if i + 1 < len(segment) and segment[i + 1] == quote:   # '' inside '...'
                    current.append(ch)
                    i += 2
                    continue
                quote = None
            else:
                current.append(ch)
        elif ch in ("'\"" if dialect == "powershell" else "\""):
            quote = ch
            started = True
        elif ch.isspace():
            if started:
                words.append("".join(current))
            current, started = [], False
        else:
            current.append(ch)
            started = True
        i += 1
    if started:
        words.append("".join(current))
    return words


def _unquote(value: str, dialect: str) -> str:
    words = _words(value, dialect)
    return " ".join(words)
