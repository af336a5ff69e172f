"""Path classes: what a place on disk is (docs/effects.md, "Paths"), by data/paths.yaml.

`classify(path, cwd, repo_root, home)` resolves the path (relative against the step's cwd,
`~` and $HOME against the home, Windows forms to forward slashes) and names its class:
`repo` (inside the repository or working directory), `temp`, `home-dotfile`, `system`,
`dependency` (installed packages and toolchains), `credential-store` (detail: which),
`persistence` (detail: the mechanism) or `outside`. A credential store or persistence
location inside the repo (`.env`, `.git/hooks/x`) keeps the more specific class.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from .tables import table

PATH_KINDS = ("repo", "temp", "home-dotfile", "system", "dependency", "credential-store",
              "persistence", "agent-state", "agent-history", "outside")

_HOME_WORD = re.compile(r"^(?:~|\$HOME|\$\{HOME\}|%USERPROFILE%|%HOMEPATH%|\$env:USERPROFILE"
                        r"|\$env:HOME)(?=[/\\]|$)", re.IGNORECASE)
_WINDOWS_VARS = (
    (re.compile(r"^(?:%APPDATA%|\$env:APPDATA)(?=[/\\]|$)", re.I), "~/AppData/Roaming"),
    (re.compile(r"^(?:%LOCALAPPDATA%|\$env:LOCALAPPDATA)(?=[/\\]|$)", re.I), "~/AppData/Local"),
    (re.compile(r"^(?:%TEMP%|%TMP%|\$env:TEMP|\$env:TMP)(?=[/\\]|$)", re.I),
     "~/AppData/Local/Temp"),
    (re.compile(r"^(?:%SYSTEMROOT%|%WINDIR%|\$env:SystemRoot|\$env:windir)(?=[/\\]|$)", re.I),
     "c:/windows"),
    (re.compile(r"^(?:%PROGRAMDATA%|\$env:ProgramData)(?=[/\\]|$)", re.I), "c:/programdata"),
    (re.compile(r"^(?:\$TMPDIR|\$\{TMPDIR\})(?=/|$)"), "/tmp"),
    (re.compile(r"^\$PROFILE$", re.I), "~/Documents/PowerShell/Microsoft.PowerShell_profile.ps1"),
)
_DRIVE = re.compile(r"^([A-Za-z]):[\\/]")
_USER_HOME = re.compile(r"^(/home/[^/]+|/Users/[^/]+|/root|/var/root|[a-z]:/users/[^/]+)(?=/|$)",
                        re.IGNORECASE)
_NOT_A_ROOT = frozenset({"/", "/tmp", "/home", "/Users", "/etc", "/usr", "/var", "/opt",
                         "/root", "c:/", "c:/users"})


@dataclass(frozen=True, slots=True)
class PathClass:
    """A path's class. `path` is its display form: repo-relative inside the repo, `~/...`
    under a home, else absolute (or as written when nothing resolves it)."""

    kind: str
    detail: str | None
    path: str


@dataclass(frozen=True, slots=True)
class Resolved:
    absolute: str | None      # normalized absolute form ("/x/y", "c:/x/y"), None if unknown
    home_form: str | None     # "~/rest" when under a home
    relative: str | None      # normalized relative form when nothing anchors it


# ----------------------------------------------------------------------------- resolving

def home_of(cwd: str | None) -> str | None:
    """The home directory a working directory lies under (/home/u, /Users/u, c:/users/u)."""
    if not cwd:
        return None
    match = _USER_HOME.match(_slashes(cwd))
    return match.group(1) if match else None


def _slashes(path: str) -> str:
    drive = _DRIVE.match(path)
    if drive or ("\\" in path and "/" not in path):
        path = path.replace("\\", "/")
        if drive:
            path = drive.group(1).lower() + path[1:]
    return path


def _expand(path: str, home: str | None) -> str:
    path = path.strip()
    if not any(c in path for c in "~$%\\:"):
        return path
    if path.startswith("file://"):
        path = path[7:]
    path = _slashes(path)
    for pattern, replacement in _WINDOWS_VARS:
        if pattern.match(path):
            path = pattern.sub(replacement, path, count=1)
            break
    word = _HOME_WORD.match(path)
    if word:
        path = (home or "~") + path[word.end():]
    return _slashes(path)


def _absolute(path: str) -> bool:
    return path.startswith("/") or bool(re.match(r"^[a-z]:/", path))


def _norm(path: str) -> str:
    if re.match(r"^[a-z]:/", path):
        return path[:2] + posixpath.normpath(path[2:])
    normalized = posixpath.normpath(path)
    return "/" + normalized.lstrip("/") if normalized.startswith("//") else normalized


@lru_cache(maxsize=65536)
def resolve(path: str, cwd: str | None = None, home: str | None = None) -> Resolved:
    """The absolute, home and relative forms of a path."""
    home = _slashes(home).rstrip("/") if home else None
    text = _expand(path, home)
    if text.startswith("~"):
        rest = _norm("/" + text[1:].lstrip("/"))
        return Resolved(None, "~" + ("" if rest == "/" else rest), None)
    if not _absolute(text):
        base = _expand(cwd, home) if cwd else None
        if base is None or not _absolute(base) and not base.startswith("~"):
            return Resolved(None, None, _norm(text or "."))
        if base.startswith("~"):
            joined = _norm("/" + (base[1:].lstrip("/") + "/" + text).lstrip("/"))
            return Resolved(None, "~" + joined, None)
        text = base.rstrip("/") + "/" + text
    absolute = _norm(text)
    if home and (absolute == home or absolute.startswith(home + "/")):
        return Resolved(absolute, "~" + absolute[len(home):], None)
    match = _USER_HOME.match(absolute)
    return Resolved(absolute, "~" + absolute[match.end():] if match else None, None)


# ----------------------------------------------------------------------------- patterns

def _glob_regex(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern[i:] == "/**":
            out.append("(?:/.*)?")
            break
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "{" and "}" in pattern[i:]:
            end = pattern.index("}", i)
            out.append("(?:" + "|".join(_glob_regex(p) for p in pattern[i + 1:end].split(","))
                       + ")")
            i = end + 1
            continue
        out.append("[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch))
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class _Matcher:
    """Patterns grouped by the form of the path they apply to: the home form, the absolute
    form, the last component (patterns without a slash), or a tail of any form."""

    home: re.Pattern[str] | None
    absolute: re.Pattern[str] | None
    basename: re.Pattern[str] | None
    tail: re.Pattern[str] | None

    @classmethod
    def of(cls, patterns: Iterable[str]) -> "_Matcher":
        groups: dict[str, list[str]] = {"home": [], "absolute": [], "basename": [], "tail": []}
        for pattern in patterns:
            pattern = _slashes(pattern)
            if pattern.startswith("~/"):
                groups["home"].append(_glob_regex(pattern))
            elif _absolute(pattern):
                groups["absolute"].append(_glob_regex(pattern))
            elif "/" not in pattern.removeprefix("**/"):
                groups["basename"].append(_glob_regex(pattern.removeprefix("**/")))
            else:
                groups["tail"].append(_glob_regex(pattern.removeprefix("**/")))
        compiled = {}
        for key, regexes in groups.items():
            if not regexes:
                compiled[key] = None
                continue
            body = "(?:" + "|".join(regexes) + r")\Z"
            compiled[key] = re.compile(("(?:^|/)" if key == "tail" else "") + body,
                                       re.IGNORECASE)
        return cls(compiled["home"], compiled["absolute"], compiled["basename"],
                   compiled["tail"])

    def matches(self, resolved: Resolved) -> bool:
        if self.home and resolved.home_form and self.home.match(resolved.home_form):
            return True
        if self.absolute and resolved.absolute and self.absolute.match(resolved.absolute):
            return True
        form = resolved.absolute or resolved.home_form or resolved.relative or ""
        if self.basename and self.basename.match(form.rsplit("/", 1)[-1]):
            return True
        return bool(self.tail and self.tail.search(form))


@dataclass(frozen=True)
class _Rule:
    kind: str
    detail: str | None
    matcher: _Matcher
    exceptions: _Matcher | None

    def matches(self, resolved: Resolved) -> bool:
        if not self.matcher.matches(resolved):
            return False
        return not (self.exceptions and self.exceptions.matches(resolved))


def _rule(row: dict, kind: str | None = None) -> _Rule:
    exceptions = row.get("except")
    return _Rule(kind or row["kind"], row.get("detail"), _Matcher.of(row["paths"]),
                 _Matcher.of(exceptions) if exceptions else None)


@dataclass(frozen=True)
class _RuleSet:
    """Rules in priority order, with one combined regex per anchored form (the first rule
    whose pattern matches wins, by alternation order) and the rules with tail patterns."""

    rules: tuple[_Rule, ...]
    combined: tuple[tuple[str, re.Pattern[str]], ...]
    tailed: tuple[int, ...]

    @classmethod
    def of(cls, rules: tuple[_Rule, ...]) -> "_RuleSet":
        combined = []
        for form in ("home", "absolute", "basename"):
            parts = [f"(?P<r{i}>{getattr(r.matcher, form).pattern})"
                     for i, r in enumerate(rules) if getattr(r.matcher, form) is not None]
            if parts:
                combined.append((form, re.compile("|".join(parts), re.IGNORECASE)))
        tailed = tuple(i for i, r in enumerate(rules) if r.matcher.tail is not None)
        return cls(rules, tuple(combined), tailed)

    def first(self, resolved: Resolved) -> _Rule | None:
        best = len(self.rules)
        form_text = resolved.absolute or resolved.home_form or resolved.relative or ""
        texts = {"home": resolved.home_form, "absolute": resolved.absolute,
                 "basename": form_text.rsplit("/", 1)[-1]}
        for form, pattern in self.combined:
            text = texts[form]
            match = pattern.match(text) if text else None
            if match and match.lastgroup:
                best = min(best, int(match.lastgroup[1:]))
        for index in self.tailed:
            if index >= best:
                break
            if self.rules[index].matcher.tail.search(form_text):
                best = index
                break
        if best == len(self.rules):
            return None
        rule = self.rules[best]
        if rule.exceptions and rule.exceptions.matches(resolved):
            return next((r for r in self.rules[best + 1:] if r.matches(resolved)), None)
        return rule


@lru_cache(maxsize=1)
def _rules() -> tuple[_RuleSet, _RuleSet, _RuleSet]:
    data = table("paths")
    return (_RuleSet.of(tuple(_rule(r) for r in data["specific"])),
            _RuleSet.of((_rule(data["dependency"], "dependency"),)),
            _RuleSet.of(tuple(_rule(r) for r in data["general"])))


# ----------------------------------------------------------------------------- classes

@lru_cache(maxsize=65536)
def classify(path: str, cwd: str | None = None, repo_root: str | None = None,
             home: str | None = None) -> PathClass:
    """The class of `path` as seen from a step running in `cwd`."""
    home = home or home_of(cwd) or home_of(repo_root)
    resolved = resolve(path, cwd, home)
    root = _root(repo_root, cwd, home)
    shown = display(resolved, root)
    specific, dependency, general = _rules()
    rule = specific.first(resolved)
    if rule is not None:
        return PathClass(rule.kind, rule.detail, shown)
    if dependency.first(resolved) is not None:
        return PathClass("dependency", None, shown)
    if _inside(resolved, root):
        return PathClass("repo", None, shown)
    rule = general.first(resolved)
    if rule is not None:
        return PathClass(rule.kind, rule.detail, shown)
    return PathClass("outside", None, shown)


def _root(repo_root: str | None, cwd: str | None, home: str | None) -> str | None:
    """The directory whose inside is the repo: the repository root (as given, even a
    home-shaped directory such as a container's /home/<repo>), else the working directory
    unless that is a top-level place ("/", a home, /tmp)."""
    for candidate, given in ((repo_root, True), (cwd, False)):
        if not candidate:
            continue
        resolved = resolve(candidate, None, None if given else home)
        form = resolved.absolute or resolved.home_form
        if form and form not in _NOT_A_ROOT and form != "~" and (
                given or resolved.absolute != home):
            return form
    return None


def _inside(resolved: Resolved, root: str | None) -> bool:
    if resolved.relative is not None:
        return not resolved.relative.startswith("../") and resolved.relative != ".."
    if root is None:
        return False
    for form in (resolved.absolute, resolved.home_form):
        if form and (form == root or form.startswith(root.rstrip("/") + "/")):
            return True
    return False


def display(resolved: Resolved, root: str | None = None) -> str:
    """The display form: repo-relative, `~/...`, absolute, or relative as written."""
    if resolved.relative is not None:
        return resolved.relative
    if root:
        for form in (resolved.absolute, resolved.home_form):
            if form == root:
                return "."
            if form and form.startswith(root.rstrip("/") + "/"):
                return form[len(root.rstrip("/")) + 1:]
    return resolved.home_form or resolved.absolute or "."


@lru_cache(maxsize=1)
def _sensitive_names() -> re.Pattern[str]:
    return re.compile(table("paths")["sensitive_names"])


def sensitive_name(name: str | None) -> bool:
    """True when a file or object name says it holds sensitive data (data: sensitive_names)."""
    base = (name or "").rstrip("/").rsplit("/", 1)[-1]
    return bool(base) and bool(_sensitive_names().search(base))


def infer_root(paths: Iterable[str], minimum: int = 3) -> str | None:
    """The working directory a session without one most likely had: the deepest directory
    that holds at least `minimum` of the absolute paths its steps name and two in five of
    them, leaving out system, temp and dependency places and the folder of homes (/home,
    /Users). None when no directory stands out."""
    counts: dict[str, int] = {}
    total = 0
    for path in paths:
        resolved = _norm(_slashes(path))
        parts = [p for p in resolved.split("/") if p]
        if not resolved.startswith("/") or len(parts) < 2:
            continue
        if classify(resolved).kind in ("system", "temp", "dependency", "credential-store"):
            continue
        total += 1
        for depth in range(1, min(len(parts), 8)):      # directories, not the file itself
            prefix = "/" + "/".join(parts[:depth])
            counts[prefix] = counts.get(prefix, 0) + 1
    needed = max(minimum, (total * 2 + 4) // 5)
    held = [p for p, n in counts.items() if n >= needed
            and not (p.count("/") == 1 and home_of(p + "/u/x") is not None)]
    if not held:
        return None
    return max(sorted(held), key=lambda p: (p.count("/"), counts[p]))
