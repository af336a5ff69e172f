"""Whether what a human named ("main", "prod", "src/", "the tests") covers an effect's object.

A directive's object is one of a few shapes (`human.py` resolves them from the words):

  None                 any object
  "production"         an effect marked production, or an object naming prod / production
  "branch NAME"        a push / delete / commit whose remote branch is NAME
  "feature-branch"     a push / delete to a branch that is not a default branch (main ...)
  "where CLASS"        an effect whose object class is CLASS ("where global")
  "path P"             a file under P (relative P matches as a run of path components)
  "outside P"          a file that is not under P
  "outside repo"       a file whose class is not repo, temp or dependency
  "tests"              a test file or directory; for a run, a test runner or dev tool
  "credentials"        a credential read, or a file classed as a credential store
  "host H"             an object on host H or a subdomain
  "package A B"        a package install naming A or B
  "name N"             an object with N as one of its words

An object that cannot be told (the effect has no object, or it is of another shape) is not
covered: a prohibition is never applied on a guess.
"""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache

from .kinds import Effect

PRODUCTION_WORDS = frozenset({"prod", "production", "prd"})
INSIDE_CLASSES = frozenset({"repo", "temp", "dependency", "agent-state"})
DEFAULT_BRANCHES = frozenset({"main", "master", "trunk", "develop", "development", "production",
                              "prod", "release", "stable", "gh-pages"})
FILE_KINDS = frozenset({"file-read", "file-write", "file-delete", "credential-read",
                        "persistence-write"})
TEST_RUNNERS = frozenset({"test", "tests", "pytest", "jest", "vitest", "mocha", "rspec", "tox",
                          "nox", "unittest", "phpunit", "ctest", "karma", "ava", "tap"})
TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "specs", "testing", "e2e"})
_TEST_FILE = re.compile(r"(?:^test_.*|.*_test\.\w+|.*\.(?:test|spec)\.\w+|.*Tests?\.\w+)$")
_WORDS = re.compile(r"[a-z0-9]+")
_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/]*@)?([^/:?#\s]+)")


@lru_cache(maxsize=65536)
def object_words(text: str | None) -> frozenset[str]:
    return frozenset(_WORDS.findall((text or "").lower()))


def is_production(effect: Effect) -> bool:
    return effect.production or bool(PRODUCTION_WORDS & object_words(effect.object))


def covers(obj: str | None, effect: Effect) -> bool:
    """Whether a resolved directive object covers the effect's object."""
    if obj is None:
        return True
    shape, _, value = obj.partition(" ")
    check = _CHECKS.get(shape)
    return bool(check and check(value, effect))


def _production(_: str, effect: Effect) -> bool:
    return is_production(effect)


def branch_of(effect: Effect) -> str | None:
    """The branch a vcs effect's object names ("origin main", "origin/main", "refs/heads/x",
    "main"), lower-cased; None when it names none."""
    if not effect.object or not effect.kind.startswith("vcs-"):
        return None
    text = effect.object.strip()
    if "refs/heads/" in text:
        return text.split("refs/heads/", 1)[1].split()[0].lower()
    parts = [p for p in re.split(r"[\s:]+", text) if p]
    if not parts:
        return None
    last = parts[-1].lstrip("+")
    if len(parts) == 1 and last.count("/") == 1 and last.split("/")[0] in ("origin", "upstream"):
        last = last.split("/")[1]
    return last.lower()


def _branch(name: str, effect: Effect) -> bool:
    return branch_of(effect) == name.lower()


def _feature_branch(_: str, effect: Effect) -> bool:
    branch = branch_of(effect)
    return branch is not None and branch not in DEFAULT_BRANCHES


def _where(value: str, effect: Effect) -> bool:
    return effect.where == value


def _path_of(effect: Effect) -> str | None:
    if effect.kind not in FILE_KINDS or not effect.object:
        return None
    return effect.object.replace("\\", "/")


def under(path: str, root: str) -> bool:
    """Whether `path` lies at or under `root`: an absolute root by prefix, a relative (or
    ~-based) root as a run of whole path components anywhere in the path."""
    root = root.replace("\\", "/").strip()
    if root.startswith("/"):
        normal_root = posixpath.normpath(root)
        normal = posixpath.normpath(path)
        return normal == normal_root or normal.startswith(normal_root.rstrip("/") + "/")
    root = root[2:] if root.startswith(("~/", "./")) else root
    root = root.strip("/")
    if not root:
        return False
    anchored = "/" + path.strip("/") + "/"
    return "/" + root + "/" in anchored


def _path(root: str, effect: Effect) -> bool:
    path = _path_of(effect)
    return path is not None and under(path, root)


def _outside(root: str, effect: Effect) -> bool:
    if root == "repo":
        return effect.kind in FILE_KINDS and effect.where is not None and \
            effect.where not in INSIDE_CLASSES
    path = _path_of(effect)
    # temp is scratch space, not the human's files: "don't modify anything outside X" leaves
    # a file in /tmp alone, as "don't modify any files" does
    return path is not None and effect.where not in ("temp", "agent-state") and \
        not under(path, root)


def _tests(_: str, effect: Effect) -> bool:
    if effect.kind == "exec":        # "run the tests": a test runner, or any dev tool
        return effect.detail == "dev-tool" or bool(TEST_RUNNERS & object_words(effect.object))
    path = _path_of(effect)
    if path is None:
        return False
    parts = [p for p in path.split("/") if p]
    return bool(TEST_DIRS & {p.lower() for p in parts[:-1]}) or bool(
        parts and _TEST_FILE.match(parts[-1])) or bool(parts and parts[-1].lower() in TEST_DIRS)


def _credentials(_: str, effect: Effect) -> bool:
    return effect.kind == "credential-read" or effect.where == "credential-store"


def _host(host: str, effect: Effect) -> bool:
    if not effect.object:
        return False
    found = _HOST.match(effect.object.strip().lower())
    name = found.group(1) if found else ""
    return name == host or name.endswith("." + host)


def _package(names: str, effect: Effect) -> bool:
    return effect.kind == "package-install" and bool(
        object_words(names) & object_words(effect.object))


def _name(name: str, effect: Effect) -> bool:
    text = (effect.object or "").lower()
    wanted = name.lower()
    return bool(text) and (wanted in re.split(r"[\s/:@]+", text) or wanted in object_words(text)
                           and len(object_words(wanted)) == 1)


_CHECKS = {"production": _production, "branch": _branch, "feature-branch": _feature_branch,
           "where": _where, "path": _path, "outside": _outside,
           "tests": _tests, "credentials": _credentials, "host": _host, "package": _package,
           "name": _name}
