"""Command rules for files: redirections, reads, copies, deletes, in-place edits, archives.

Every path is classed (paths.py), so a read of `~/.aws/credentials` is a credential-read
and a write to `~/.bashrc` a persistence-write, whichever program or redirection did it.
"""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache
from typing import Any

from .command_context import DEVICES, Step, rule
from .tables import table

_PATCH_FILE = re.compile(r"^\*\*\* (Add|Update|Delete) File: (.+?)\s*$|^\*\*\* Move to: (.+?)\s*$"
                         r"|^\+\+\+ (?:b/)?(.+?)\s*$|^--- (?:a/)?(.+?)\s*$")
_NETWORK_DEVICE = re.compile(r"^/dev/(?:tcp|udp)/([^/]+)/(\d+)$")


@lru_cache(maxsize=1)
def readers() -> dict:
    return table("commands")["readers"]


# ----------------------------------------------------------------------------- redirections

def redirections(step: Step) -> None:
    """What a command's redirections write and read."""
    for redirect in step.cmd.redirects:
        target = redirect.target
        if target is None or DEVICES.match(target):
            continue
        network = _NETWORK_DEVICE.match(target)
        if network and redirect.writes:
            step.add("upload", network.group(1), where="network-device", direction="out",
                     detail=f"bash /dev/tcp redirect from {step.program}")
            step.got.sends += [o for o in step.operands if not o.startswith("-")][:4]
            continue
        if network:
            step.add("download", network.group(1), direction="in", detail="bash /dev/tcp")
            continue
        if redirect.writes:
            step.write(target, _written_text(step))
        elif redirect.reads:
            step.path_effect("file-read", target)
            klass = step.path(target)
            step.output("file", klass.path, klass.kind == "credential-store")


def _written_text(step: Step) -> str | None:
    """The text a command writes when the command line holds it (here-doc, echo, printf)."""
    argv = step.cmd.argv
    if not step.cmd.literal:
        return None
    if argv[0] in ("cat", "tee") and len([a for a in argv[1:] if not a.startswith("-")]) <= 1:
        for redirect in step.cmd.redirects:
            if redirect.op in ("<<", "<<<") and redirect.body is not None:
                return redirect.body
    if argv[0] == "echo":
        words = [w for w in argv[1:] if w not in ("-n", "-e", "-E")]
        return " ".join(words) + ("" if "-n" in argv else "\n")
    if argv[0] == "printf" and len(argv) == 2 and "%" not in argv[1]:
        return argv[1].replace("\\n", "\n")
    return None


# ----------------------------------------------------------------------------- reading

@rule("read_files")
def read_files(step: Step) -> None:
    program = step.program
    data = readers()
    if program in ("echo", "printf", "write-output"):
        step.output("text", _written_text(step) or " ".join(step.cmd.argv[1:]))
        return
    if program in data["listing"]:
        if program == "find":
            return
        operands = [o for o in step.operands] or (["."] if program in data["default_here"]
                                                  else [])
        for operand in operands:
            step.path_effect("file-read", operand, listing=True)
        return
    operands = _read_operands(step, data)
    if operands is None:
        _pass_through(step, data)
        return
    for operand in operands:
        if operand in ("-", "/dev/stdin"):
            continue
        step.path_effect("file-read", operand)
    if operands:
        klass = step.path(operands[0])
        step.output("file", klass.path, klass.kind == "credential-store")


def _read_operands(step: Step, data: dict) -> list[str] | None:
    program = step.program
    if program in data["content"]:
        return list(step.operands) or None
    pattern_flags = data["pattern_first"].get(program)
    if pattern_flags is None:
        return None
    operands = list(step.operands)
    if not step.args.has(*pattern_flags) and program not in ("select-string", "findstr"):
        operands = operands[1:]
    if program == "select-string":
        operands = step.args.values("-path", "-literalpath") or operands[1:]
    if not operands and program in data["default_here"]:
        return ["."]
    if not operands and step.args.has("-r", "-R", "--recursive") and program in (
            "grep", "egrep", "fgrep"):
        return ["."]
    return operands or None


def _pass_through(step: Step, data: dict) -> None:
    upstream = step.upstream
    if upstream is not None and step.program in data["filters"]:
        decoders = data["decoders"].get(step.program)
        if decoders is not None and ("*" in decoders or step.args.has(*decoders)
                                     or any(o in decoders for o in step.operands)):
            step.output("decoded", upstream.what, upstream.sensitive)
            return
        step.got.outputs[step.index] = upstream
        return
    decoders = data["decoders"].get(step.program)
    if decoders is not None and ("*" in decoders or step.args.has(*decoders)):
        text = step.stdin_text()
        step.output("decoded", text)


@rule("cat_heredoc")
def cat_heredoc(step: Step) -> None:
    text = step.stdin_text()
    if text is not None:
        step.output("text", text)


# ----------------------------------------------------------------------------- deleting

@rule("remove")
def remove(step: Step) -> None:
    args = step.args
    recursive = args.has("-r", "-R", "--recursive", "/s", "-recurse")
    operands = list(step.operands) + args.values("-path")
    detail = "recursive" if recursive else None
    if args.has("--no-preserve-root"):
        detail = "recursive, no-preserve-root"
    for operand in operands:
        step.path_effect("file-delete", operand, detail)


@rule("find")
def find(step: Step) -> None:
    argv = step.cmd.argv
    roots: list[str] = []
    for word in argv[1:]:
        if word.startswith(("-", "(", "!", ")")):
            break
        roots.append(word)
    roots = roots or ["."]
    delete = "-delete" in argv
    for root in roots:
        step.path_effect("file-read", root, listing=True)
        if delete:
            step.path_effect("file-delete", root, "find -delete")
    for option in ("-fprint", "-fprint0", "-fprintf", "-fls"):
        if option in argv[:-1]:
            step.write(argv[argv.index(option) + 1])


# ----------------------------------------------------------------------------- copying

@rule("copy")
def copy(step: Step) -> None:
    program = step.program
    args = step.args
    operands = list(step.operands)
    if program in ("copy-item", "move-item"):
        sources = args.values("-path") or operands[:1]
        dest = args.value("-destination") or (operands[-1] if len(operands) > 1 else None)
    elif program == "robocopy":
        sources, dest = operands[:1], (operands[1] if len(operands) > 1 else None)
    else:
        target = args.value("-t", "--target-directory")
        if target:
            sources, dest = operands, target + "/"
        elif program == "ln" and len(operands) == 1:
            sources, dest = operands, "./"
        else:
            sources, dest = operands[:-1], (operands[-1] if len(operands) > 1 else None)
    if dest is None:
        return
    directory = dest.endswith(("/", "\\")) or dest in (".", "..", "~") or len(sources) > 1
    moving = program in ("mv", "move-item", "move")
    for source in sources:
        if program != "ln" and not moving:
            step.path_effect("file-read", source)
        written = posixpath.join(dest, posixpath.basename(source.rstrip("/"))) if directory \
            else dest
        step.write(written, None, "symlink" if program == "ln" else None)
        step.got.derived.append((step.path(written).path, step.path(source).path))
        if moving:
            step.path_effect("file-delete", source, "moved")


# ----------------------------------------------------------------------------- writing

@rule("ps_write")
def ps_write(step: Step) -> None:
    args = step.args
    path = args.value("-path", "-filepath") or (step.operands[0] if step.operands else None)
    if step.program == "out-file" and path is None:
        return
    if path is None:
        return
    value = args.value("-value")
    step.write(path, value if value is not None and not value.startswith("$") else None)


@rule("edit_in_place")
def edit_in_place(step: Step) -> None:
    operands = list(step.operands)
    if step.program == "sed" and not step.args.has("-e", "-f"):
        operands = operands[1:]
    for operand in operands:
        step.write(operand, None, "edited in place")


@rule("dd")
def dd(step: Step) -> None:
    for word in step.cmd.argv[1:]:
        key, _, value = word.partition("=")
        if key == "if" and value and not value.startswith("/dev/"):
            step.path_effect("file-read", value)
        elif key == "of" and value:
            step.write(value, None, "dd")


@rule("archive")
def archive(step: Step) -> None:
    args = step.args
    operands = list(step.operands)
    if step.program == "tar":
        _tar(step, operands)
        return
    if step.program == "unzip":
        if not operands:
            return
        step.path_effect("file-read", operands[0])
        if not args.has("-l", "-t", "-v", "-Z", "-p"):
            step.write(args.value("-d") or ".", None, "extracted")
        return
    if step.program == "zip" and operands:
        step.write(operands[0], None, "archive")
        for operand in operands[1:]:
            step.path_effect("file-read", operand)
            step.got.derived.append((step.path(operands[0]).path, step.path(operand).path))


def _tar(step: Step, operands: list[str]) -> None:
    args = step.args
    first = step.cmd.argv[1] if len(step.cmd.argv) > 1 else ""
    letters = set(first) if first and not first.startswith("-") else set()
    if letters:
        operands = [o for o in operands if o != first]
    archive_file = args.value("-f")
    if "f" in letters and archive_file is None and operands:
        archive_file, operands = operands[0], operands[1:]
    extract = args.has("-x") or "x" in letters
    create = args.has("-c", "-r", "-u") or letters & {"c", "r", "u"}
    if extract:
        if archive_file and archive_file != "-":
            step.path_effect("file-read", archive_file)
        step.write(args.value("-C") or ".", None, "extracted")
    elif create:
        for operand in operands:
            if operand != "-":
                step.path_effect("file-read", operand)
        if archive_file and archive_file != "-":
            step.write(archive_file, None, "archive")
            step.got.derived += [(step.path(archive_file).path, step.path(o).path)
                                 for o in operands if o != "-"]
        elif operands:
            klass = step.path(operands[0])
            step.output("file", klass.path, klass.kind == "credential-store")
    elif archive_file:
        step.path_effect("file-read", archive_file, listing=True)


@rule("apply_patch")
def apply_patch(step: Step) -> None:
    """Codex's `apply_patch <<'EOF' ... EOF`: the files the patch adds, changes, deletes."""
    text = step.stdin_text() or " ".join(step.operands)
    for action, path, added in patch_files(text):
        if action == "delete":
            step.path_effect("file-delete", path, "patch")
        else:
            step.write(path, added if action == "add" else None, "patch")


def patch_files(text: str) -> list[tuple[str, str, str]]:
    """(add / update / delete, path, added text) per file of an apply_patch or unified diff."""
    files: list[list[Any]] = []
    old_path: str | None = None
    for line in text.splitlines():
        match = _PATCH_FILE.match(line)
        if match:
            if match.group(1):
                files.append([match.group(1).lower(), match.group(2), []])
            elif match.group(3) and files:
                files.append(["add", match.group(3), []])
            elif match.group(5) is not None:
                old_path = match.group(5)
            elif match.group(4) is not None:
                deleted = match.group(4) == "/dev/null"
                files.append(["delete" if deleted else "update",
                              old_path if deleted and old_path else match.group(4), []])
            continue
        if files and line.startswith("+") and not line.startswith("+++"):
            files[-1][2].append(line[1:])
    return [(a, p, "\n".join(lines)) for a, p, lines in files if p and p != "/dev/null"]
