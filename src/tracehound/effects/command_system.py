"""Command rules for the system: the environment, permissions and privilege, scheduling and
start-up (crontab, systemd, the Windows registry)."""

from __future__ import annotations

import re
from functools import lru_cache

from .command_context import Step, rule, secret_name
from .tables import table

_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|env:([A-Za-z_][A-Za-z0-9_]*)"
                       r"|([A-Za-z_][A-Za-z0-9_]*))")
_SETUID = re.compile(r"^(?:[0-7]*[4267][0-7]{3}|[ugoa]*[+=][rwxXtugo]*s[rwxXtugo]*)$")
_WIDE_OPEN = re.compile(r"^(?:[0-7]?[0-7]{2}[2367]|[ugoa]*o[ugoa]*\+[rwxX]*w|a\+[rwxX]*w|\+?w)$")
_FILTERS = frozenset({"grep", "egrep", "fgrep", "rg", "awk", "sed", "select-string", "findstr",
                      "where-object", "sls"})


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    data = table("commands")
    return (re.compile(data["secret_filters"]), re.compile(data["registry_persistence"]),
            re.compile(data["registry_secrets"]))


# ----------------------------------------------------------------------------- environment

@rule("env_dump")
def env_dump(step: Step) -> None:
    """`env`, `printenv`, `set`, `export -p`, `Get-ChildItem env:`: the whole environment,
    unless a named variable is asked for or a filter keeps only non-secret lines."""
    names = _named_variables(step)
    if names is not None:
        for name in names:
            if secret_name(name):
                step.add("credential-read", f"${name}", where="environment",
                         detail="environment variable")
        step.output("environment", " ".join(names), any(secret_name(n) for n in names))
        return
    step.output("environment", None, True)
    pattern = _filter_pattern(step)
    if pattern is not None and not _patterns()[0].search(pattern):
        step.add("file-read", "environment", where="environment",
                 detail=f"filtered for {pattern[:40]}")
        return
    step.add("credential-read", "environment", where="environment",
             detail="whole environment" if pattern is None else f"filtered for {pattern[:40]}")


def _named_variables(step: Step) -> list[str] | None:
    program = step.program
    if program == "printenv" and step.operands:
        return list(step.operands)
    if program in ("get-childitem", "dir"):
        rest = step.operands[0].split(":", 1)[1] if step.operands else ""
        return [rest] if rest.strip("\\/*") else None
    return None


def _filter_pattern(step: Step) -> str | None:
    """The pattern of the filter reading this command's output (`env | grep KEY`)."""
    for later in step.script.commands[step.index + 1:]:
        if later.stdin_from != step.index:
            continue
        if later.argv[0] not in _FILTERS:
            return None
        words = [w for w in later.argv[1:] if not w.startswith("-")]
        return " ".join(words) if words else None
    return None


@rule("echo_secret")
def echo_secret(step: Step) -> None:
    """`echo $AWS_SECRET_ACCESS_KEY`: a secret from the environment printed."""
    for word in step.cmd.argv[1:]:
        for match in _VARIABLE.finditer(word):
            name = next(g for g in match.groups() if g)
            if secret_name(name):
                step.add("credential-read", f"${name}", where="environment",
                         detail="environment variable")
                step.output("environment", name, True)


# ----------------------------------------------------------------------------- permissions

@rule("chmod")
def chmod(step: Step) -> None:
    operands = list(step.operands)
    if not operands:
        return
    mode, paths = ("", operands) if step.args.has("--reference") else (operands[0], operands[1:])
    for path in paths:
        klass = step.path(path)
        if _SETUID.match(mode):
            step.add("privilege", klass.path, where=klass.kind, detail="setuid/setgid bit")
        elif klass.kind in ("credential-store", "system"):
            wide = " (world-writable)" if _WIDE_OPEN.match(mode) else ""
            step.add("privilege", klass.path, where=klass.kind,
                     detail=f"mode {mode} on a {_place(klass.kind)}{wide}")
        else:
            step.write(path, None, f"mode {mode}")


@rule("chown")
def chown(step: Step) -> None:
    operands = list(step.operands)
    if len(operands) < 2 and not step.args.has("--reference"):
        return
    owner, paths = ("", operands) if step.args.has("--reference") else (operands[0], operands[1:])
    for path in paths:
        klass = step.path(path)
        if klass.kind in ("credential-store", "system") or owner.split(":")[0] == "root":
            step.add("privilege", klass.path, where=klass.kind,
                     detail=f"owner {owner} on a {_place(klass.kind)}")
        else:
            step.write(path, None, f"owner {owner}")


def _place(kind: str) -> str:
    return {"credential-store": "credential file", "system": "system path"}.get(kind,
                                                                               f"{kind} path")


@rule("sudo_alone")
def sudo_alone(step: Step) -> None:
    """`sudo -i`, `sudo -s`, `sudo su`: a root shell (sudo with a command is a prefix)."""
    if step.args.has("-i", "-s", "--login", "--shell"):
        user = step.args.value("-u", "--user") or "root"
        step.add("privilege", user, detail="root shell" if user == "root" else "login shell")


@rule("su")
def su(step: Step) -> None:
    users = [o for o in step.operands if o != "-"]
    step.add("privilege", users[0] if users else "root", detail="su")


# ----------------------------------------------------------------------------- start-up

@rule("crontab")
def crontab(step: Step) -> None:
    args = step.args
    user = args.value("-u")
    obj = f"crontab of {user}" if user else "crontab"
    if args.has("-l"):
        step.add("file-read", obj, where="persistence", detail="crontab listed")
        return
    if args.has("-r"):
        step.add("file-delete", obj, where="persistence", detail="crontab removed")
        return
    if args.has("-e"):
        step.add("persistence-write", obj, where="persistence", detail="crontab edited")
        return
    operands = list(step.operands)
    if operands and operands[0] != "-":
        step.path_effect("file-read", operands[0])
        step.add("persistence-write", obj, where="persistence",
                 detail=f"crontab installed from {operands[0]}")
        return
    if operands or step.stdin_kind() is not None:
        text = step.stdin_text()
        detail = "crontab installed from stdin" + (f": {text.strip()[:60]}" if text else "")
        step.add("persistence-write", obj, where="persistence", detail=detail)


@rule("systemctl")
def systemctl(step: Step) -> None:
    verb, *units = step.operands
    scope = "systemd user unit" if step.args.has("--user") else "systemd unit"
    for unit in units or ["(unit)"]:
        if "/" in unit:
            step.path_effect("file-read", unit)
        step.add("persistence-write", unit, where="persistence", detail=f"{scope} {verb}")


@rule("registry")
def registry(step: Step) -> None:
    """reg add / import / save, Set-ItemProperty / New-ItemProperty on registry keys."""
    _, run_keys, secrets = _patterns()
    operands = list(step.operands)
    if step.program == "reg":
        verb = operands[0].lower() if operands else ""
        key = operands[1] if len(operands) > 1 else ""
    else:
        verb, key = "set", step.args.value("-path", "-literalpath") or (operands[0] if operands
                                                                         else "")
    if verb == "save":
        if secrets.match(key.rstrip("\\")):
            step.add("credential-read", key, where="credential-store", detail="registry hive")
        else:
            step.add("file-read", key, where="registry", detail="registry saved")
        if len(operands) > 2:
            step.write(operands[2], None, "registry hive")
        return
    if run_keys.search(key.replace(":", "")):
        step.add("persistence-write", key, where="persistence", detail="registry run key")
    elif key:
        step.add("file-write", key, where="registry", detail=f"registry {verb}")
