"""What a command rule sees and how it reports: the parsed arguments of one simple command,
where it runs, what its stdin carries, and a collector for its effects and side facts
(files it reads, writes with their content, sends out, scripts it runs).

The rules themselves live in command_*.py, registered by name with `@rule("name")`; the
table (data/commands.yaml) says which rule applies to which program.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable
from urllib.parse import urlsplit

from .kinds import Effect
from .paths import PathClass, classify
from .shell import ParsedScript, SimpleCommand, family
from .tables import table

RULES: dict[str, Callable[["Step"], None]] = {}
# Devices a command may read or write that are no file: `> /dev/null`, `curl -o /dev/null`.
DEVICES = re.compile(r"^(?:/dev/(?:null|stdout|stderr|tty|fd/\d+|zero)|nul|\$null|NUL)$",
                     re.IGNORECASE)
_URL = re.compile(r"(?i)\b(?:https?|ftp|wss?)://[^\s'\"<>`|;)]+")
_TOKENS = re.compile(r"[^a-z0-9]+")


def rule(name: str) -> Callable[[Callable[["Step"], None]], Callable[["Step"], None]]:
    def register(function: Callable[["Step"], None]) -> Callable[["Step"], None]:
        if name in RULES:
            raise ValueError(f"command rule {name!r} registered twice")
        RULES[name] = function
        return function
    return register


@dataclass(frozen=True, slots=True)
class Where:
    """The places a step's paths are judged against."""

    cwd: str | None = None
    home: str | None = None
    repo_root: str | None = None

    def at(self, cwd: str | None) -> "Where":
        if cwd is None:
            return self
        if self.cwd and not re.match(r"^(?:/|~|\$|[A-Za-z]:)", cwd):
            cwd = self.cwd.rstrip("/") + "/" + cwd
        return Where(cwd, self.home, self.repo_root)


@dataclass(slots=True)
class Args:
    """A command's options and positional words (options removed wherever they stood)."""

    words: list[str]
    flags: dict[str, list[str]]

    def has(self, *names: str) -> bool:
        return any(name in self.flags for name in names)

    def value(self, *names: str) -> str | None:
        for name in names:
            values = self.flags.get(name)
            if values:
                return values[-1]
        return None

    def values(self, *names: str) -> list[str]:
        return [v for name in names for v in self.flags.get(name, ())]


@dataclass(frozen=True, slots=True)
class Output:
    """What a command writes to its stdout, as far as the next pipeline stage cares:
    kind download (what: host), decoded, file (what: path), text (what: the text),
    environment, program (what: its name)."""

    kind: str
    what: str | None = None
    sensitive: bool = False


@dataclass(slots=True)
class Collected:
    """Everything the commands of one script did, in order."""

    effects: list[Effect] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)            # content read (display paths)
    writes: list[tuple[str, str | None]] = field(default_factory=list)
    sends: list[str] = field(default_factory=list)            # files whose content goes out
    sends_text: list[str] = field(default_factory=list)       # literal text that goes out
    runs: list[str] = field(default_factory=list)             # scripts run (display paths)
    notes: list[str] = field(default_factory=list)
    outputs: dict[int, Output] = field(default_factory=dict)
    downloaded: dict[str, str] = field(default_factory=dict)  # path -> host it came from
    context: dict[str, str] = field(default_factory=dict)     # kube context, tf workspace...
    derived: list[tuple[str, str]] = field(default_factory=list)  # (file written, made from)


@dataclass(slots=True)
class Recorder:
    """Reports effects and side facts into a Collected, classing paths where it runs."""

    where: Where
    got: Collected

    def add(self, kind: str, obj: str | None = None, **extra) -> Effect:
        effect = Effect(kind, obj, **extra)
        self.got.effects.append(effect)
        return effect

    def path(self, path: str) -> PathClass:
        return classify(path, self.where.cwd, self.where.repo_root, self.where.home)

    def path_effect(self, kind: str, path: str, detail: str | None = None,
                    listing: bool = False) -> Effect:
        """A file effect with its path class: a content read of a credential store is a
        credential-read, a write to a persistence location a persistence-write, a write
        to the sudoers files also a privilege. A device (`-o /dev/null`) is no file: its
        effect is returned but not recorded."""
        if DEVICES.match(path):
            return Effect(kind, path, where="device")
        klass = self.path(path)
        if kind == "file-read" and klass.kind == "credential-store" and not listing:
            self.got.reads.append(klass.path)
            return self.add("credential-read", klass.path, where=klass.kind,
                            detail=detail or klass.detail)
        if kind == "file-read" and not listing:
            self.got.reads.append(klass.path)
        if kind == "file-write" and klass.kind == "persistence":
            return self.add("persistence-write", klass.path, where=klass.kind,
                            detail=detail or klass.detail)
        if kind == "file-write" and klass.detail == "sudoers":
            self.add("privilege", klass.path, where=klass.kind, detail="sudoers")
        return self.add(kind, klass.path, where=klass.kind, detail=detail or klass.detail)

    def write(self, path: str, content: str | None = None, detail: str | None = None) -> None:
        if DEVICES.match(path):
            return
        effect = self.path_effect("file-write", path, detail)
        self.got.writes.append((effect.object or path, content))


@dataclass(slots=True)
class Step(Recorder):
    """One simple command under classification."""

    cmd: SimpleCommand
    args: Args
    script: ParsedScript
    index: int
    before: int = 0                       # len(got.effects) when the command started

    @property
    def program(self) -> str:
        return family(self.cmd.argv[0])

    @property
    def operands(self) -> list[str]:
        return self.args.words

    @property
    def upstream(self) -> Output | None:
        source = self.cmd.stdin_from
        return None if source is None else self.got.outputs.get(source)

    @property
    def upstream_command(self) -> SimpleCommand | None:
        source = self.cmd.stdin_from
        return None if source is None else self.script.commands[source]

    def stdin_kind(self) -> str | None:
        for redirect in self.cmd.redirects:
            if redirect.op in ("<<", "<<<"):
                return "heredoc"
            if redirect.op == "<" and redirect.target:
                return "file"
        return "pipe" if self.cmd.stdin_from is not None else None

    def stdin_text(self) -> str | None:
        for redirect in self.cmd.redirects:
            if redirect.op in ("<<", "<<<") and redirect.body is not None:
                return redirect.body
        upstream = self.upstream
        return upstream.what if upstream is not None and upstream.kind == "text" else None

    def stdin_file(self) -> str | None:
        for redirect in self.cmd.redirects:
            if redirect.op == "<" and redirect.target:
                return redirect.target
        upstream = self.upstream
        return upstream.what if upstream is not None and upstream.kind == "file" else None

    def output(self, kind: str, what: str | None = None, sensitive: bool = False) -> None:
        self.got.outputs[self.index] = Output(kind, what, sensitive)

    def note(self, text: str) -> None:
        if text not in self.got.notes:
            self.got.notes.append(text)

    def production(self, *values: str | None) -> bool:
        """Whether the command's profile / project / context / env or the given resource
        names name production (whole tokens, by data)."""
        data = table("commands")["production"]
        found = list(values)
        found += self.args.values(*data["options"])
        found += [self.cmd.env_value(name) for name in data["env"]]
        found += self.got.context.values()
        return any(names_production(v) for v in found if v)


# ----------------------------------------------------------------------------- helpers

@lru_cache(maxsize=8192)
def names_production(value: str) -> bool:
    words = frozenset(table("commands")["production"]["words"])
    return any(token in words for token in _TOKENS.split(value.lower()))


def urls_in(words: Iterable[str]) -> list[str]:
    return [m.group(0) for w in words for m in _URL.finditer(w)]


def host_of(url: str) -> str | None:
    """The host of a URL (or of `user@host:path` / a bare host name)."""
    if "://" not in url:
        url = "//" + url
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host or None


@lru_cache(maxsize=4096)
def host_class(host: str | None) -> str | None:
    if not host:
        return None
    host = host.lower().strip("[]")
    for name, patterns in table("commands")["hosts"].items():
        for pattern in patterns:
            pattern = pattern.strip("[]").lower()
            if host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:])):
                return name
    return None


def is_public_host(host: str | None) -> bool:
    return host_class(host) in table("commands")["public_classes"]


def secret_name(name: str) -> bool:
    return bool(_secret_names().search(name))


@lru_cache(maxsize=1)
def _secret_names() -> re.Pattern[str]:
    return re.compile(table("commands")["secret_names"])
