"""effects/paths.py: resolving a path (cwd, home, Windows forms) and naming its class."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracehound.effects.paths import PathClass, classify, home_of, resolve

REPO = "/home/bob/app"


@pytest.mark.parametrize("path,cwd,expected", [
    ("src/app.py", REPO, PathClass("repo", None, "src/app.py")),
    ("./src/../README.md", REPO, PathClass("repo", None, "README.md")),
    ("/home/bob/app/.git/hooks/pre-commit", REPO, PathClass("persistence", "git-hook",
                                                              ".git/hooks/pre-commit")),
    (".env", REPO, PathClass("credential-store", "dotenv", ".env")),
    (".env.example", REPO, PathClass("repo", None, ".env.example")),
    ("../other/x", REPO, PathClass("outside", None, "~/other/x")),
    ("~/.aws/credentials", REPO, PathClass("credential-store", "aws", "~/.aws/credentials")),
    ("$HOME/.ssh/id_rsa", REPO, PathClass("credential-store", "ssh-key", "~/.ssh/id_rsa")),
    ("${HOME}/.ssh/id_rsa.pub", REPO, PathClass("home-dotfile", None, "~/.ssh/id_rsa.pub")),
    ("/root/.ssh/authorized_keys", REPO, PathClass("persistence", "authorized-keys",
                                                   "~/.ssh/authorized_keys")),
    ("/tmp/build.log", REPO, PathClass("temp", None, "/tmp/build.log")),
    ("/etc/hosts", REPO, PathClass("system", None, "/etc/hosts")),
    ("/etc/sudoers.d/bot", REPO, PathClass("system", "sudoers", "/etc/sudoers.d/bot")),
    ("node_modules/x/index.js", REPO, PathClass("dependency", None, "node_modules/x/index.js")),
    ("/usr/lib/python3.11/json/__init__.py", REPO, PathClass(
        "dependency", None, "/usr/lib/python3.11/json/__init__.py")),
    ("/srv/data/x.csv", REPO, PathClass("system", None, "/srv/data/x.csv")),
    ("/work/elsewhere/x", REPO, PathClass("outside", None, "/work/elsewhere/x")),
])
def test_classes(path, cwd, expected):
    assert classify(path, cwd, REPO) == expected


def test_windows_paths_and_variables():
    assert classify("C:\\Users\\bob\\.aws\\credentials") == PathClass(
        "credential-store", "aws", "~/.aws/credentials")
    assert classify("%APPDATA%\\Claude\\claude_desktop_config.json").kind == "persistence"
    assert classify("$env:USERPROFILE\\.ssh\\id_rsa").detail == "ssh-key"
    assert classify("C:\\Windows\\System32\\drivers\\etc\\hosts").kind == "system"
    assert classify("build\\out.log", "C:\\work\\app", "C:\\work\\app") == PathClass(
        "repo", None, "build/out.log")


def test_home_comes_from_the_cwd():
    assert home_of("/home/bob/app") == "/home/bob"
    assert home_of("/Users/alice/src") == "/Users/alice"
    assert home_of("C:\\Users\\bob\\x") == "c:/Users/bob"
    assert home_of("/srv/app") is None
    assert classify("~/notes.txt", "/Users/alice/src").path == "~/notes.txt"
    assert resolve("~/x", None, None).absolute is None
    assert resolve("~/x", None, "/Users/alice").absolute == "/Users/alice/x"


def test_relative_path_without_a_cwd_is_taken_as_inside():
    assert classify("src/app.py") == PathClass("repo", None, "src/app.py")
    assert classify("../x").kind == "outside"


def test_a_top_level_cwd_is_not_a_repository():
    assert classify("/etc/passwd", "/").kind == "system"
    assert classify("/home/bob/notes", "/home/bob").kind == "outside"


def test_the_more_specific_class_wins_inside_the_repo():
    assert classify(".github/workflows/ci.yml", REPO, REPO).detail == "ci-workflow"
    assert classify(".vscode/mcp.json", REPO, REPO).detail == "mcp-config"
    assert classify(".claude/settings.json", REPO, REPO).detail == "agent-config"
    assert classify("config/prod.pem", REPO, REPO).detail == "key-file"
    assert classify("terraform.tfstate", REPO, REPO).kind == "credential-store"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.sampled_from([None, "/", REPO, "C:\\work", "~/x", "rel"]))
def test_never_raises(path, cwd):
    found = classify(path, cwd, REPO)
    assert found.kind in ("repo", "temp", "home-dotfile", "system", "dependency",
                          "credential-store", "persistence", "outside")
