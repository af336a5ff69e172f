"""Command rules for running things: interpreters and shells (scripts, inline code, code fed
on stdin), `source`, package installs and publishes, the privilege of a sudo prefix, and the
default for a program no row covers.

Running code whose effect is decided at run time is opaque-execution: code downloaded or
decoded then run, `sh -c` with a command built at run time, inline code that starts
processes, opens sockets or evaluates strings, a file the same script downloaded.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .command_context import Output, Step, rule
from .tables import table

_QUOTED = re.compile(r"""(?:'([^'\n]{2,300})'|"([^"\n]{2,300})")""")
_PATHISH = re.compile(r"^(?:~|/|\.{1,2}/|[A-Za-z]:[\\/]|\$HOME)|\.(?:env|pem|key|netrc)$|"
                      r"(?:^|/)\.env(?:\.|$)|credentials|id_rsa|id_ed25519")
_STDIN_OPERANDS = ("-", "/dev/stdin")


@lru_cache(maxsize=1)
def _shell_data() -> dict:
    return table("shell")


@lru_cache(maxsize=1)
def _data() -> dict:
    return table("commands")


@lru_cache(maxsize=1)
def _signals() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, re.compile(pattern)) for name, pattern in _data()["code_signals"].items())


def code_signals(code: str) -> tuple[str, ...]:
    """What a piece of code does that is decided at run time (process, network,
    dynamic-code), by data."""
    sample = code[:200_000]
    return tuple(name for name, pattern in _signals() if pattern.search(sample))


def code_paths(code: str) -> list[str]:
    """Quoted strings in code that look like paths."""
    found = []
    for match in _QUOTED.finditer(code[:200_000]):
        text = match.group(1) or match.group(2)
        if _PATHISH.search(text) and " " not in text.strip():
            found.append(text)
    return found


# ----------------------------------------------------------------------------- privilege

def privilege(step: Step) -> None:
    wrappers = _shell_data()["wrappers"]
    for prefix in step.cmd.prefixes:
        if wrappers.get(prefix, {}).get("privilege"):
            step.add("privilege", step.cmd.argv[0], detail=prefix)


# ----------------------------------------------------------------------------- default

def default(step: Step) -> None:
    """A command no row covered: nothing for inert programs, exec for the rest."""
    cmd = step.cmd
    program = step.program
    if not cmd.program_literal:
        step.add("opaque-execution", cmd.argv[0][:80], detail="program computed at run time")
        return
    if program in _inert() or _hosts_nested(step):
        return
    dev = _data()["dev_tools"].get(program)
    if dev is not None and (dev == "*" or (step.operands and step.operands[0] in dev)
                            or " ".join(step.operands[:2]) in dev):
        step.add("exec", program, detail="dev-tool")
        return
    if _is_script_path(cmd.program_path):
        _run_script(step, cmd.program_path, None)
        return
    step.add("exec", program)


def _hosts_nested(step: Step) -> bool:
    """A command whose script (sh -c, eval, a here-doc to a shell) was read as commands of
    its own: those carry the effects."""
    return any(c.parent == step.index and c.via in ("sh-c", "eval", "heredoc", "pipe", "watch")
               for c in step.script.commands[step.index + 1:])


@lru_cache(maxsize=1)
def _inert() -> frozenset[str]:
    return frozenset(_data()["inert"])


def _is_script_path(path: str) -> bool:
    if "/" not in path and "\\" not in path:
        return False
    return not re.match(r"^(?:/usr/|/bin/|/sbin/|/opt/homebrew/|/usr/local/)", path)


def _run_script(step: Step, path: str, interpreter: str | None) -> None:
    klass = step.path(path)
    step.got.runs.append(klass.path)
    host = step.got.downloaded.get(klass.path)
    if host:
        step.add("opaque-execution", host, detail=f"runs {klass.path} downloaded from {host}")
        return
    step.add("exec", klass.path, where=klass.kind,
             detail=f"{interpreter} script" if interpreter else "script")


# ----------------------------------------------------------------------------- interpreters

@rule("interpreter")
def interpreter(step: Step) -> None:
    program = step.program
    data = _shell_data()
    if program in data["shells"]:
        _shell(step)
    elif program in data["interpreters"] and program != "awk":
        _code_interpreter(step, data["interpreters"][program])


def _shell(step: Step) -> None:
    argv = step.cmd.argv
    values = set(_shell_data()["shell_values"])
    i = 1
    while i < len(argv) and argv[i][:1] in "-+" and argv[i] not in _STDIN_OPERANDS + ("--",):
        word = argv[i]
        if not word.startswith("--") and "c" in word[1:] or word == "--command":
            code = argv[i + 1] if i + 1 < len(argv) else ""
            if not step.cmd.literal and "$" in code:
                step.add("opaque-execution", f"{step.program} -c",
                         detail="runs a command built at run time")
                _fed(step, _children_outputs(step))
            return
        i += 2 if word in values else 1
    operands = [a for a in argv[i:] if a != "--"]
    if operands and operands[0] not in _STDIN_OPERANDS:
        if operands[0].startswith("<("):
            _fed(step, _children_outputs(step))
            return
        _run_script(step, operands[0], step.program)
        return
    if step.stdin_kind() in ("heredoc", None):
        return                         # a here-doc script: its commands follow this one
    _fed(step, [step.upstream] if step.upstream else [], step.stdin_file())


def _children_outputs(step: Step) -> list[Output]:
    return [step.got.outputs[i] for i, c in enumerate(step.script.commands)
            if c.parent == step.index and c.via in ("process-substitution", "substitution")
            and i in step.got.outputs]


def _fed(step: Step, outputs: list[Output | None], file: str | None = None) -> None:
    """Code run from what earlier commands produced."""
    if file:
        _run_script(step, file, step.program)
        return
    for output in outputs:
        if output is None:
            continue
        if output.kind == "download":
            step.add("opaque-execution", output.what,
                     detail=f"runs code downloaded from {output.what}")
        elif output.kind == "decoded":
            step.add("opaque-execution", step.program, detail="runs decoded data")
        elif output.kind == "file" and output.what:
            _run_script(step, output.what, step.program)
        elif output.kind == "text":
            _inline_code(step, output.what or "", "stdin")
        else:
            step.add("opaque-execution", step.program,
                     detail=f"runs the output of {output.what or 'a command'}")
        return
    if step.cmd.stdin_from is not None:
        command = step.upstream_command
        step.add("opaque-execution", step.program,
                 detail=f"runs the output of {command.argv[0] if command else 'a command'}")


def _code_interpreter(step: Step, spec: dict) -> None:
    argv = step.cmd.argv
    values = set(spec.get("values", ()))
    code_flags = set(spec.get("code", ()))
    i = 1
    while i < len(argv) and argv[i].startswith("-") and argv[i] not in _STDIN_OPERANDS:
        word = argv[i]
        flag = next((f for f in code_flags if word == f or (word.startswith(f) and len(f) == 2
                                                             and word[1:].isalpha()
                                                             and f[1] in word[1:])), None)
        if flag:
            _inline_code(step, argv[i + 1] if i + 1 < len(argv) else "", word)
            return
        i += 2 if word in values else 1
    operands = argv[i:]
    if spec.get("code") == ["eval"] and operands[:1] == ("eval",):
        _inline_code(step, " ".join(operands[1:]), "eval")
        return
    if operands and operands[0] not in _STDIN_OPERANDS:
        if operands[0].startswith("<("):
            _fed(step, _children_outputs(step))
            return
        if len(step.got.effects) == step.before:
            _run_script(step, operands[0], step.program)
        return
    text = step.stdin_text()
    if text is not None:
        _inline_code(step, text, "here-doc" if step.stdin_kind() == "heredoc" else "stdin")
    elif step.cmd.stdin_from is not None or step.stdin_kind() == "file":
        _fed(step, [step.upstream], step.stdin_file())
    elif len(step.got.effects) == step.before:
        step.add("exec", step.program, detail=None if len(argv) > 1 else "interactive")


def _inline_code(step: Step, code: str, how: str) -> None:
    signals = code_signals(code)
    for path in code_paths(code):
        if step.path(path).kind == "credential-store":
            step.path_effect("file-read", path, f"in {step.program} code")
    if signals:
        step.add("opaque-execution", f"{step.program} {how}",
                 detail="code uses " + ", ".join(signals))
    elif len(step.got.effects) == step.before:
        step.add("exec", step.program, detail=f"inline code ({how})")


@rule("source")
def source(step: Step) -> None:
    operands = step.operands
    if not operands:
        return
    target = operands[0]
    if target.startswith("<("):
        _fed(step, _children_outputs(step))
        return
    klass = step.path(target)
    if klass.kind == "credential-store":
        step.path_effect("file-read", target, "sourced into the shell")
        return
    if klass.kind == "dependency" or target.endswith(("/activate", "activate.sh")):
        step.add("exec", klass.path, where=klass.kind, detail="dev-tool")
        return
    _run_script(step, target, "sourced")


# ----------------------------------------------------------------------------- packages

@rule("package_install")
def package_install(step: Step) -> None:
    manager = step.program
    spec = _data()["package_managers"].get(manager)
    if spec is None:
        return
    found = _install_words(step, spec)
    if found is None:
        return
    sub, removing = found
    names = [w for w in step.operands[len(sub.split()):] if w]
    args = step.args
    project = (args.has(*spec.get("project_flags", ())) and not _real_names(names, spec)) or \
        (not names and not spec.get("global") and not removing)
    if spec.get("project_operands") and names and all(
            re.match(spec["project_operands"], n) for n in names):
        project = True
    global_ = _is_global(step, spec, sub)
    if project and not global_:
        step.add("exec", manager, detail="dev-tool")
        return
    what = " ".join(names or [f"-r {v}" for v in args.values("-r")] or ["(project)"])
    step.add("package-install", f"{manager} {what}"[:200], where="global" if global_ else None,
             detail="remove" if removing else None)


def _install_words(step: Step, spec: dict) -> tuple[str, bool] | None:
    words = step.operands
    if spec.get("bare"):
        return "", False
    for key, removing in (("install", False), ("remove", True)):
        for sub in spec.get(key, ()):
            if spec.get("flag_subs") and step.args.has(sub):
                return "", removing
            if tuple(words[:len(sub.split())]) == tuple(sub.split()):
                return sub, removing
    return None


def _real_names(names: list[str], spec: dict) -> list[str]:
    pattern = spec.get("project_operands")
    return [n for n in names if not (pattern and re.match(pattern, n))]


def _is_global(step: Step, spec: dict, sub: str) -> bool:
    if step.args.has(*spec.get("local_flags", ())):
        return False
    if spec.get("global") or sub in spec.get("global_subs", ()):
        return True
    flags = spec.get("global_flags", ())
    return step.cmd.elevated or any(step.args.has(f) or f in step.cmd.argv for f in flags)


@rule("publish_package")
def publish_package(step: Step) -> None:
    words = step.operands
    key = next((f"{step.program} {' '.join(words[:n])}" for n in (2, 1)
                if f"{step.program} {' '.join(words[:n])}" in _data()["publishers"]), None)
    if key is None or step.program == "docker":
        return
    if step.args.has("--dry-run", "-n") and step.program in ("npm", "cargo", "pnpm", "yarn"):
        return
    registry = step.args.value("--registry", "-r", "--repository", "--repository-url", "--index")
    restricted = (step.args.value("--access") or "") == "restricted"
    private = bool(registry) or restricted or step.program in ("mvn", "gradle", "gradlew")
    step.add("publish", registry or _default_registry(step.program), public=not private,
             direction="out", detail=f"package published by {key}")


def _default_registry(program: str) -> str:
    return {"npm": "registry.npmjs.org", "pnpm": "registry.npmjs.org",
            "yarn": "registry.npmjs.org", "bun": "registry.npmjs.org", "twine": "pypi.org",
            "poetry": "pypi.org", "uv": "pypi.org", "hatch": "pypi.org", "flit": "pypi.org",
            "pdm": "pypi.org", "cargo": "crates.io", "gem": "rubygems.org",
            "vsce": "marketplace.visualstudio.com"}.get(program, f"{program} registry")
