"""Shell commands -> effects, by the table data/commands.yaml (docs/effects.md).

`classify(text, cwd, home, repo_root)` parses the text (shell.py), reads each simple command's
options by the program's spec (flags in any order, short and long, `--flag=value`, combined
short flags), applies every table row that matches (program, subcommand words, flags,
operands, stdin) and the named rules the rows point to (command_*.py), adds what
redirections write or read and the privilege of a sudo prefix, and gives a command no row
covered its default: nothing for inert programs, `exec` (detail dev-tool for build / test /
lint / format tools) for the rest. A script that did not parse fully still gets the effects
of every word-by-word command, with `fully_parsed=False`. Results are cached per (text,
places).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import (command_cloud, command_files, command_infra, command_net,  # noqa: F401
               command_run, command_system, command_vcs)
from .command_context import RULES, Args, Collected, Step, Where
from .kinds import Effect
from .shell import ParsedScript, SimpleCommand, family, parse
from .tables import table

__all__ = ["Classified", "classify", "classify_script", "parse_args"]


@dataclass(frozen=True, slots=True)
class Classified:
    """The effects of a shell text and the facts a session remembers about it."""

    effects: tuple[Effect, ...]
    fully_parsed: bool
    reads: tuple[str, ...] = ()                        # files whose content it reads
    writes: tuple[tuple[str, str | None], ...] = ()    # (file, content when the text holds it)
    sends: tuple[str, ...] = ()                        # files whose content goes out
    sends_text: tuple[str, ...] = ()                   # literal text that goes out
    runs: tuple[str, ...] = ()                         # scripts it runs
    notes: tuple[str, ...] = ()
    cwd: str | None = None                             # where it leaves the shell
    derived: tuple[tuple[str, str], ...] = ()          # (file written, the file it was made of)


def classify(text: str, cwd: str | None = None, home: str | None = None,
             repo_root: str | None = None) -> Classified:
    """The effects of a shell command text run in `cwd` (cached)."""
    if not isinstance(text, str):
        text = str(text)
    if len(text) > 4096:
        return classify_script(parse(text), Where(cwd, home, repo_root))
    return _classify_cached(text, cwd, home, repo_root)


@lru_cache(maxsize=16384)
def _classify_cached(text: str, cwd: str | None, home: str | None,
                     repo_root: str | None) -> Classified:
    return classify_script(parse(text), Where(cwd, home, repo_root))


def classify_script(script: ParsedScript, where: Where) -> Classified:
    got = Collected()
    for index, cmd in enumerate(script.commands):
        try:
            _classify_command(script, index, cmd, where, got)
        except Exception as error:  # noqa: BLE001 -- one odd command never fails a step
            got.notes.append(f"command {index + 1} read only in part ({type(error).__name__})")
    if not script.fully_parsed:
        got.notes.append("not fully parsed: " + "; ".join(script.problems))
    return Classified(tuple(dict.fromkeys(got.effects)), script.fully_parsed,
                      tuple(dict.fromkeys(got.reads)), tuple(dict.fromkeys(got.writes)),
                      tuple(dict.fromkeys(got.sends)), tuple(dict.fromkeys(got.sends_text)),
                      tuple(dict.fromkeys(got.runs)), tuple(got.notes),
                      script.cwd, tuple(dict.fromkeys(got.derived)))


def _classify_command(script: ParsedScript, index: int, cmd: SimpleCommand, where: Where,
                      got: Collected) -> None:
    args = parse_args(cmd.argv, cmd.dialect)
    step = Step(where=where.at(cmd.cwd), got=got, cmd=cmd, args=args, script=script,
                index=index, before=len(got.effects))
    if args.value("-C") and family(cmd.argv[0]) == "git":
        step.where = step.where.at(args.value("-C"))
    command_files.redirections(step)
    step.before = len(got.effects)
    _apply_rows(step)
    produced = len(got.effects) > step.before
    command_run.privilege(step)
    if not produced:
        command_run.default(step)


# ----------------------------------------------------------------------------- rows

@dataclass(frozen=True)
class _Row:
    program: str
    words: tuple[str, ...]
    data: dict[str, Any]
    operand: re.Pattern[str] | None


@lru_cache(maxsize=1)
def _rows() -> dict[str, tuple[_Row, ...]]:
    grouped: dict[str, list[_Row]] = {}
    for row in table("commands")["commands"]:
        program, *words = row["match"].split()
        operand = re.compile(row["operand"]) if row.get("operand") else None
        grouped.setdefault(program, []).append(_Row(program, tuple(words), row, operand))
    return {k: tuple(v) for k, v in grouped.items()}


def rows_for(program: str) -> tuple[_Row, ...]:
    rows = _rows()
    return rows.get(program, ()) + rows.get("*", ())


def _apply_rows(step: Step) -> None:
    ran: set[str] = set()
    for row in rows_for(step.program):
        if not _matches(row, step):
            continue
        handler = row.data.get("handler")
        if handler:
            if handler not in ran:
                ran.add(handler)
                RULES[handler](step)
        else:
            _row_effects(row, step)
        if row.data.get("final"):
            break


def _matches(row: _Row, step: Step) -> bool:
    words = step.args.words
    if tuple(words[:len(row.words)]) != row.words:
        return False
    operands = words[len(row.words):]
    data = row.data
    if "flags" in data and not step.args.has(*data["flags"]):
        return False
    if "all" in data and not all(step.args.has(f) for f in data["all"]):
        return False
    if "without" in data and step.args.has(*data["without"]):
        return False
    if row.operand is not None and not (operands and row.operand.search(operands[0])):
        return False
    if data.get("no_operands") and operands:
        return False
    if "stdin" in data and step.stdin_kind() != data["stdin"]:
        return False
    return True


_PATH_KINDS = frozenset({"file-read", "file-write", "file-delete"})


def _row_effects(row: _Row, step: Step) -> None:
    data = row.data
    kind = data["effect"]
    operands = step.args.words[len(row.words):]
    objects = _objects(str(data.get("object", "$program")), step, operands)
    detail = data.get("detail")
    if isinstance(detail, str) and detail.startswith("$operand0"):
        detail = operands[0] if operands else None
    for obj in objects:
        if kind in _PATH_KINDS and obj is not None:
            if kind == "file-write":
                step.write(obj, None, detail)
            else:
                step.path_effect(kind, obj, detail)
            continue
        step.add(kind, obj, detail=detail, direction=data.get("direction"),
                 public=bool(data.get("public", False)))


def _objects(spec: str, step: Step, operands: list[str]) -> list[str | None]:
    if spec == "$operands":
        return list(operands) or [None]
    if spec == "$operand0":
        return [operands[0] if operands else None]
    if spec == "$operand1":
        return [operands[1] if len(operands) > 1 else "."]
    if spec == "$last":
        return [operands[-1] if operands else None]
    if spec == "$program":
        return [step.program]
    if spec == "$cwd":
        return [step.path(".").path]
    if spec.startswith("$flag:"):
        return [step.args.value(spec[6:].lower()) or step.args.value(spec[6:])]
    if spec.startswith("$"):
        return [command_vcs.special_object(spec, step)]
    return [spec]


# ----------------------------------------------------------------------------- arguments

@lru_cache(maxsize=1)
def _specs() -> dict[str, dict[str, Any]]:
    return table("commands")["programs"]


@lru_cache(maxsize=2048)
def _spec(key: str) -> tuple[frozenset[str], dict[str, str], str, frozenset[str],
                             frozenset[str]]:
    """(options with a value, aliases, style, switches, global options) of a program or
    of "program sub"."""
    specs = _specs()
    program = key.split(" ", 1)[0]
    values: list[str] = []
    aliases: dict[str, str] = {}
    switches: list[str] = []
    style = "getopt"
    for name in dict.fromkeys((program, key)):
        spec = specs.get(name) or {}
        values += spec.get("values", [])
        aliases.update(spec.get("aliases", {}))
        switches += spec.get("switches", [])
        style = spec.get("style", style)
    base = specs.get(program) or {}
    return (frozenset(values), aliases, style, frozenset(switches),
            frozenset(base.get("global", ())))


def parse_args(argv: tuple[str, ...], dialect: str = "bash") -> Args:
    """Options and positional words of a command, by its program's spec."""
    return _parse_args_cached(argv, dialect)


@lru_cache(maxsize=32768)
def _parse_args_cached(argv: tuple[str, ...], dialect: str) -> Args:
    program = family(argv[0])
    values, aliases, style, switches, global_options = _spec(program)
    if style == "getopt" and dialect == "powershell" and "-" in program:
        style = "powershell"
    words: list[str] = []
    flags: dict[str, list[str]] = {}
    i = 1
    while global_options and i < len(argv) and argv[i].startswith("-"):
        name, _, inline = argv[i].partition("=")
        if name in global_options and not inline and i + 1 < len(argv):
            flags.setdefault(name, []).append(argv[i + 1])
            i += 2
        else:
            flags.setdefault(name, []).append(inline)
            i += 1
    rest = False
    while i < len(argv):
        word = argv[i]
        if rest or not _is_option(word, style):
            if not rest and word == "--":
                rest = True
                flags.setdefault("--", []).append("")
            else:
                words.append(word)
                if len(words) == 1 and f"{program} {word}" in _specs():
                    values, aliases, style, switches, _ = _spec(f"{program} {word}")
            i += 1
            continue
        i = _option(argv, i, style, values, aliases, switches, flags)
    return Args(words, flags)


def _is_option(word: str, style: str) -> bool:
    if word in ("-", "--"):
        return word == "--"
    if style == "cmd":
        return (word.startswith("/") and len(word) > 1 and "/" not in word[1:]
                and "\\" not in word) or (word.startswith("-") and len(word) > 1)
    return word.startswith("-") and len(word) > 1


def _option(argv: tuple[str, ...], i: int, style: str, values: frozenset[str],
            aliases: dict[str, str], switches: frozenset[str],
            flags: dict[str, list[str]]) -> int:
    word = argv[i]
    following = argv[i + 1] if i + 1 < len(argv) else None
    if style in ("powershell", "cmd", "single") or word.startswith("--"):
        splitter = ":" if style in ("powershell", "cmd") else "="
        name, sep, inline = word.partition(splitter)
        if style in ("powershell", "cmd"):
            name = name.lower()
        if style == "cmd" and name.startswith("-"):
            name = "/" + name[1:]
        name = aliases.get(name, name)
        if sep:
            flags.setdefault(name, []).append(inline)
            return i + 1
        takes = (name not in switches) if style == "powershell" else name in values
        if takes and following is not None:
            flags.setdefault(name, []).append(following)
            return i + 2
        flags.setdefault(name, []).append("")
        return i + 1
    for position in range(1, len(word)):
        name = aliases.get("-" + word[position], "-" + word[position])
        if "-" + word[position] in values:
            inline = word[position + 1:]
            if inline:
                flags.setdefault(name, []).append(inline)
                return i + 1
            flags.setdefault(name, []).append(following if following is not None else "")
            return i + 2
        flags.setdefault(name, []).append("")
    return i + 1
