"""Command text -> ParsedScript: the simple commands a shell step runs, normalized.

Bash is read with tree-sitter-bash (shell_bash.py); PowerShell and cmd with a small reader of
their basics (shell_windows.py). Every simple command comes out with its program normalized
(`/usr/bin/git` -> `git`, `python3.11` stays as written but `python -m pytest` is `pytest`),
wrappers recorded in `prefixes` and removed (sudo, env, nohup, time, nice, timeout, xargs,
npx, `uv run`, ... by data/shell.yaml), its environment assignments, redirections, the
directory an earlier `cd` left the script in, and how it was reached: `via` (top, pipe stage,
substitution, process-substitution, sh-c, eval, heredoc, xargs, find-exec, fallback) and
`stdin_from` (the command whose output it reads). `sh -c` / `bash -c` strings, `eval`, a
shell fed a here-doc or piped literal text, `find -exec` and `powershell -Command` are parsed
as scripts of their own, their commands following the one that runs them (`parent`).
Parsing is cached per command string. Text that does not parse is split conservatively and
read word by word, with `fully_parsed=False`.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from . import shell_bash, shell_windows
from .shell_words import Raw, Redirect, Walk, changed_dir
from .tables import table

__all__ = ["ParsedScript", "Redirect", "SimpleCommand", "parse", "program_name"]

MAX_DEPTH = 6                 # nested sh -c / eval / here-doc scripts read up to this depth
CACHED_TEXT = 4096            # longer texts are parsed each time (rare; keeps the cache small)
_SIMPLE = re.compile(r"[A-Za-z0-9_./:=@%+,~^*?-]+(?: +[A-Za-z0-9_./:=@%+,~^*?-]+)*")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_STRIP_EXT = re.compile(r"\.(?:exe|cmd|bat|com)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SimpleCommand:
    """One command the script runs. `argv[0]` is the normalized program name."""

    argv: tuple[str, ...]
    program_path: str                          # argv[0] as written ("/usr/bin/git", "./x.sh")
    prefixes: tuple[str, ...] = ()             # wrappers removed, outermost first
    env: tuple[tuple[str, str], ...] = ()      # NAME=value given to it (exports included)
    redirects: tuple[Redirect, ...] = ()
    cwd: str | None = None                     # where an earlier `cd` left it (None: unchanged)
    via: str = "top"
    stdin_from: int | None = None              # index of the command whose output it reads
    parent: int | None = None                  # index of the command that runs / hosts it
    depth: int = 0                             # nesting of sh -c / eval / here-doc scripts
    literal: bool = True                       # no word holds an expansion
    program_literal: bool = True               # the program name holds no expansion
    elevated: bool = False                     # runs under sudo / doas (itself or a parent)
    dialect: str = "bash"

    @property
    def program(self) -> str:
        return self.argv[0]

    @property
    def args(self) -> tuple[str, ...]:
        return self.argv[1:]

    def env_value(self, name: str) -> str | None:
        for key, value in reversed(self.env):
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class ParsedScript:
    text: str
    commands: tuple[SimpleCommand, ...]
    fully_parsed: bool
    dialect: str = "bash"
    cwd: str | None = None                     # where the script leaves the shell
    problems: tuple[str, ...] = ()


def parse(text: str) -> ParsedScript:
    """The simple commands of a shell text (cached per text)."""
    if not isinstance(text, str):
        text = str(text)
    if len(text) > CACHED_TEXT:
        return _parse(text, 0, None)
    return _parse_cached(text)


@lru_cache(maxsize=16384)
def _parse_cached(text: str) -> ParsedScript:
    return _parse(text, 0, None)


@lru_cache(maxsize=8192)
def _nested(text: str, depth: int, dialect: str | None) -> ParsedScript:
    return _parse(text, depth, dialect)


def _parse(text: str, depth: int, dialect: str | None) -> ParsedScript:
    dialect = dialect or shell_windows.dialect_of(text)
    stripped = text.strip()
    if dialect != "bash":
        walked = shell_windows.walk(text, dialect)
    elif _SIMPLE.fullmatch(stripped):
        walked = _simple_walk(stripped)
    else:
        walked = shell_bash.walk(text)
    builder = _Builder(depth, dialect)
    for index, raw in enumerate(walked.commands):
        builder.add(raw, index)
    commands = builder.finish()
    problems = tuple(dict.fromkeys(walked.problems + builder.problems))
    return ParsedScript(text, commands, not problems, dialect, walked.cwd, problems)


def _simple_walk(text: str) -> Walk:
    """Plain words only (no quotes, operators or expansions): no parser needed."""
    words = text.split()
    env: list[tuple[str, str]] = []
    while words and _ASSIGNMENT.match(words[0]):
        name, _, value = words.pop(0).partition("=")
        env.append((name, value))
    if not words:
        return Walk([], None, {}, [])
    cwd = changed_dir(None, words[1:]) if words[0] in ("cd", "pushd") else None
    return Walk([Raw(words, [True] * len(words), env)], cwd, {}, [])


def program_name(word: str) -> str:
    """`/usr/bin/git` -> `git`; `C:\\Tools\\Git.EXE` -> `git`; a version suffix stays."""
    base = (re.split(r"[/\\]", word)[-1] or word) if ("/" in word or "\\" in word) else word
    stripped = _STRIP_EXT.sub("", base)
    if stripped != base or "\\" in word:
        return stripped.lower()
    return base


@lru_cache(maxsize=1)
def _data() -> dict:
    return table("shell")


def family(name: str) -> str:
    """A program's family name (`python3.11` -> `python`, `k` -> `kubectl`), by data."""
    return _family(name)


@lru_cache(maxsize=4096)
def _family(name: str) -> str:
    for pattern, alias in _data()["program_aliases"].items():
        if re.match(pattern, name):
            return alias
    return name


# ----------------------------------------------------------------------------- building

class _Builder:
    """Raw commands -> SimpleCommands, with nested scripts spliced in after their host."""

    def __init__(self, depth: int, dialect: str):
        self.depth = depth
        self.dialect = dialect
        self.out: list[dict] = []
        self.index_of: dict[int, int] = {}
        self.problems: list[str] = []

    def add(self, raw: Raw, raw_index: int) -> None:
        words, literal = list(raw.words), list(raw.literal)
        env = list(raw.env)
        prefixes: list[str] = []
        via = raw.via
        elevated = False
        words, literal, via, elevated = _unwrap(words, literal, env, prefixes, via)
        if not words or not words[0]:
            return
        position = len(self.out)
        self.index_of[raw_index] = position
        self.out.append({
            "argv": tuple([program_name(words[0])] + words[1:]), "program_path": words[0],
            "prefixes": tuple(prefixes), "env": tuple(env), "redirects": tuple(raw.redirects),
            "cwd": raw.cwd, "via": via, "stdin_from": ("raw", raw.stdin_from),
            "parent": ("raw", raw.parent), "depth": self.depth, "literal": all(literal),
            "program_literal": literal[0] if literal else True, "elevated": elevated,
            "dialect": self.dialect})
        if not self.out[-1]["program_literal"]:
            self.problems.append("a program name is computed at run time")
        for text, nested_via, dialect in _nested_scripts(self.out[-1], self._upstream(raw)):
            if not self.out[-1]["literal"] and ("$(" in text or "`" in text):
                continue              # its substitutions were read already; the rest is opaque
            self._splice(text, nested_via, dialect, position)

    def _upstream(self, raw: Raw) -> dict | None:
        if raw.stdin_from is None or raw.stdin_from not in self.index_of:
            return None
        return self.out[self.index_of[raw.stdin_from]]

    def _splice(self, text: str, via: str, dialect: str | None, host: int) -> None:
        if self.depth + 1 > MAX_DEPTH:
            self.problems.append("nested scripts deeper than the limit")
            return
        nested = _nested(text, self.depth + 1, dialect)
        if not nested.fully_parsed:
            self.problems.extend(nested.problems)
        offset = len(self.out)
        parent = self.out[host]
        for cmd in nested.commands:
            self.out.append({
                "argv": cmd.argv, "program_path": cmd.program_path, "prefixes": cmd.prefixes,
                "env": parent["env"] + cmd.env, "redirects": cmd.redirects,
                "cwd": _join_dir(parent["cwd"], cmd.cwd),
                "via": via if cmd.via == "top" else cmd.via,
                "stdin_from": ("final", None if cmd.stdin_from is None
                               else cmd.stdin_from + offset),
                "parent": ("final", host if cmd.parent is None else cmd.parent + offset),
                "depth": cmd.depth, "literal": cmd.literal,
                "program_literal": cmd.program_literal,
                "elevated": cmd.elevated or parent["elevated"], "dialect": cmd.dialect})

    def finish(self) -> tuple[SimpleCommand, ...]:
        result = []
        for fields in self.out:
            for key in ("stdin_from", "parent"):
                space, value = fields[key]
                fields[key] = self.index_of.get(value) if space == "raw" and value is not None \
                    else value
            result.append(SimpleCommand(**fields))
        return tuple(result)


def _join_dir(base: str | None, inner: str | None) -> str | None:
    if inner is None:
        return base
    if base is None or inner.startswith(("/", "~", "$")) or re.match(r"^[A-Za-z]:", inner):
        return inner
    return base.rstrip("/") + "/" + inner


# ----------------------------------------------------------------------------- wrappers

def _unwrap(words: list[str], literal: list[bool], env: list[tuple[str, str]],
            prefixes: list[str], via: str) -> tuple[list[str], list[bool], str, bool]:
    """Remove wrappers (data/shell.yaml `wrappers`) and `python -m`; returns the command's
    words, their literal flags, how it is reached, and whether it runs elevated."""
    wrappers = _data()["wrappers"]
    elevated = False
    for _ in range(16):
        if not words:
            break
        name = program_name(words[0])
        key, width = name, 1
        for size in (3, 2):
            joined = " ".join([name] + words[1:size])
            if len(words) >= size and joined in wrappers:
                key, width = joined, size
                break
        spec = wrappers.get(key)
        if spec is None:
            start = _module_start(name, words)
            if start is None:
                break
            prefixes.append(f"{family(name)} -m")
            words, literal = words[start:], literal[start:]
            continue
        start = _command_start(words, width, spec, env)
        if start is None:
            if spec.get("default") and not any(w in spec.get("stop", ()) for w in words):
                words, literal = [spec["default"]], [True]
                prefixes.append(key)
                via = spec.get("via", via)
            break
        prefixes.append(key)
        elevated = elevated or bool(spec.get("privilege"))
        via = spec.get("via", via)
        words, literal = words[start:], literal[start:]
        if spec.get("runner") and words:
            words[0] = _package_program(words[0])
    return words, literal, via, elevated


def _command_start(words: Sequence[str], width: int, spec: dict,
                   env: list[tuple[str, str]]) -> int | None:
    """Index where the wrapped command starts, or None when the wrapper is the command."""
    values = set(spec.get("values", ()))
    stop = set(spec.get("stop", ()))
    positionals = int(spec.get("positionals", 0))
    i = width
    taken = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            i += 1
            break
        if word in stop or word.split("=", 1)[0] in stop:
            return None
        if word.startswith("-") and len(word) > 1:
            i += 2 if _takes_value(word, values) else 1
            continue
        if spec.get("assignments") and _ASSIGNMENT.match(word):
            name, _, value = word.partition("=")
            env.append((name, value))
            i += 1
            continue
        if spec.get("assignments") and i + 1 < len(words) and _SUBSTITUTION.fullmatch(word):
            i += 1           # `env $(cat .env | xargs) cargo run`: it expands to NAME=value
            continue
        if taken < positionals:
            if taken == 0 and spec.get("sets_env"):
                env.append((spec["sets_env"], word))
            taken += 1
            i += 1
            continue
        if spec.get("dashdash") and "--" in words[i:]:
            i = words.index("--", i) + 1
        break
    return i if i < len(words) else None


_SUBSTITUTION = re.compile(r"\$\(.*\)|`.*`", re.S)


def _takes_value(word: str, values: set[str]) -> bool:
    """Whether an option word is followed by its value (`-u root`, not `-uroot`/`--u=x`)."""
    if word in values:
        return True
    if word.startswith("--") or "=" in word:
        return False
    return len(word) > 2 and f"-{word[-1]}" in values and all(
        f"-{c}" not in values for c in word[1:-1])


def _module_start(name: str, words: Sequence[str]) -> int | None:
    """`python -u -m pytest x` -> the index of `pytest`; None for other shapes."""
    spec = _data()["interpreters"].get(family(name))
    if not spec or not spec.get("module"):
        return None
    values = set(spec.get("values", ()))
    i = 1
    while i < len(words) and words[i].startswith("-"):
        word = words[i]
        if word in spec["module"]:
            return i + 1 if i + 1 < len(words) else None
        if word.startswith("-m") and len(word) > 2 and "-m" in spec["module"]:
            return None
        if word in spec.get("code", ()):
            return None
        i += 2 if word in values else 1
    return None


def _package_program(word: str) -> str:
    """`prettier@3.1` -> `prettier`; `@scope/pkg@1` -> `pkg`; `create-vite@latest` -> ..."""
    name = word.rsplit("@", 1)[0] if word.rfind("@") > 0 else word
    return name.rsplit("/", 1)[-1] if name.startswith("@") else name


# ----------------------------------------------------------------------------- nesting

def _nested_scripts(fields: dict, upstream: dict | None) -> list[tuple[str, str, str | None]]:
    """(text, via, dialect) of the scripts a command runs that can be read here."""
    argv: tuple[str, ...] = fields["argv"]
    name = family(argv[0])
    data = _data()
    if name in data["shells"]:
        return _shell_scripts(argv, fields["redirects"], upstream)
    if name == "eval" and len(argv) > 1:
        return [(" ".join(argv[1:]), "eval", "bash")]
    if name in ("su", "runuser"):
        code = _option_value(argv, ("-c", "--command"))
        return [(code, "sh-c", "bash")] if code else []
    if name == "watch":
        rest = _after_options(argv, {"-n", "--interval", "-d", "--differences", "-q"})
        return [(" ".join(rest), "watch", "bash")] if rest else []
    if name == "find":
        return [(text, "find-exec", "bash") for text in _find_exec(argv)]
    if name in ("powershell", "pwsh"):
        return _powershell_scripts(argv)
    if name == "cmd":
        code = _cmd_script(argv)
        return [(code, "sh-c", "cmd")] if code else []
    return []


def _shell_scripts(argv: tuple[str, ...], redirects: tuple[Redirect, ...],
                   upstream: dict | None) -> list[tuple[str, str, str | None]]:
    values = set(_data()["shell_values"])
    i = 1
    while i < len(argv) and argv[i][:1] in "-+" and argv[i] not in ("-", "--"):
        word = argv[i]
        if not word.startswith("--") and "c" in word[1:]:
            return [(argv[i + 1], "sh-c", "bash")] if i + 1 < len(argv) else []
        if word == "--command":
            return [(argv[i + 1], "sh-c", "bash")] if i + 1 < len(argv) else []
        i += 2 if word in values else 1
    operands = argv[i:]
    if operands and operands[0] not in ("-", "--", "/dev/stdin"):
        return []                                  # runs a script file
    for redirect in redirects:
        if redirect.op in ("<<", "<<<") and redirect.body:
            return [(redirect.body, "heredoc", "bash")]
    text = _literal_output(upstream)
    return [(text, "pipe", "bash")] if text else []


def _literal_output(upstream: dict | None) -> str | None:
    """The text a `cat <<EOF`, `echo 'x'` or `printf 'x'` writes to its stdout."""
    if upstream is None or not upstream["literal"]:
        return None
    argv = upstream["argv"]
    if argv[0] == "cat" and len(argv) == 1:
        bodies = [r.body for r in upstream["redirects"] if r.op in ("<<", "<<<") and r.body]
        return bodies[0] if bodies else None
    if argv[0] in ("echo", "printf") and len(argv) > 1:
        words = [w for w in argv[1:] if not (argv[0] == "echo" and w in ("-n", "-e", "-E"))]
        text = " ".join(words)
        return text.replace("\\n", "\n") if argv[0] == "printf" or "-e" in argv else text
    return None


def _option_value(argv: Sequence[str], names: Sequence[str]) -> str | None:
    for i, word in enumerate(argv):
        if word in names and i + 1 < len(argv):
            return argv[i + 1]
        for name in names:
            if name.startswith("--") and word.startswith(name + "="):
                return word[len(name) + 1:]
    return None


def _after_options(argv: Sequence[str], values: set[str]) -> list[str]:
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] in values else 1
    return list(argv[i:])


def _find_exec(argv: Sequence[str]) -> list[str]:
    """The commands of `find ... -exec cmd {} \\;` (and -execdir, -ok, -okdir), with `{}`
    standing for the paths found under the first start path."""
    roots = [w for w in argv[1:] if not w.startswith(("-", "(", "!", ")"))][:1] or ["."]
    scripts: list[str] = []
    i = 1
    while i < len(argv):
        if argv[i] in ("-exec", "-execdir", "-ok", "-okdir"):
            j = i + 1
            while j < len(argv) and argv[j] not in (";", "+", "\\;"):
                j += 1
            words = [roots[0] if w == "{}" else w for w in argv[i + 1:j]]
            if words:
                scripts.append(" ".join(_quote(w) for w in words))
            i = j
        i += 1
    return scripts


def _quote(word: str) -> str:
    return word if re.fullmatch(r"[A-Za-z0-9_./:=@%+,~-]+", word) else \
        "'" + word.replace("'", "'\\''") + "'"


def _powershell_scripts(argv: Sequence[str]) -> list[tuple[str, str, str | None]]:
    for i, word in enumerate(argv[1:], start=1):
        lower = word.lower()
        if lower in ("-c", "-command", "/c", "-command:") and i + 1 < len(argv):
            return [(" ".join(argv[i + 1:]), "sh-c", "powershell")]
        if lower in ("-e", "-ec", "-enc", "-encodedcommand") and i + 1 < len(argv):
            decoded = _utf16_base64(argv[i + 1])
            return [(decoded, "sh-c", "powershell")] if decoded else []
    return []


def _utf16_base64(text: str) -> str | None:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4)).decode("utf-16-le")
    except (ValueError, UnicodeDecodeError):
        return None


def _cmd_script(argv: Sequence[str]) -> str | None:
    for i, word in enumerate(argv[1:], start=1):
        if word.lower() in ("/c", "/k", "/r") and i + 1 < len(argv):
            return " ".join(argv[i + 1:])
    return None
