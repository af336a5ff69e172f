"""Classing agent steps lives only in the effects layer (issue 13): the modules that used to
hold command, program, path and host tables (the parsers' actions module, scope.py, the
agent tools and their helpers) hold none any more, and the old table modules are gone."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[2] / "src" / "tracehound"
CHECKED = [SRC / "formats" / "agent" / "actions.py", SRC / "formats" / "agent" / "builder.py",
           SRC / "scope.py", *sorted((SRC / "analyzers" / "agent").glob("*.py"))]
# Words that only a command, path or host table would hold.
SENTINELS = {
    "git", "curl", "wget", "rm", "crontab", "systemctl", "launchctl", "ssh", "scp", "rsync",
    "nc", "bash", "sudo", "chmod", "aws", "gcloud", "kubectl", "terraform", "powershell",
    "~/.ssh", "~/.aws", "id_rsa", ".bashrc", "authorized_keys", ".env", "/etc/", "/tmp",
    "pastebin.com", "transfer.sh", "0x0.st", "*.amazonaws.com", "webhook.site", "cron",
    "launchagents", "systemd", ".git/hooks", ".mcp.json", "claude_desktop_config.json",
}


def table_strings(path: Path) -> list[tuple[int, str]]:
    """Strings inside module- or class-level containers of three or more strings."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict, ast.Call)):
            continue
        items = node.keys + node.values if isinstance(node, ast.Dict) else \
            node.args if isinstance(node, ast.Call) else node.elts
        texts = [i.value for i in items if isinstance(i, ast.Constant)
                 and isinstance(i.value, str)]
        if len(texts) >= 3:
            found += [(node.lineno, t) for t in texts]
    return found


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: p.relative_to(SRC).as_posix())
def test_no_command_path_or_host_table(path: Path) -> None:
    hits = [(line, text) for line, text in table_strings(path)
            if text.lower() in SENTINELS or text.lower().lstrip("*.") in SENTINELS]
    assert hits == [], f"{path.name}: table entries that belong in effects/data: {hits}"


def test_the_old_table_modules_are_gone() -> None:
    assert not (SRC / "scope_roots.py").exists()
    assert not (SRC / "credential_stores.py").exists()


def test_the_checker_sees_a_table() -> None:
    """The check can fail: a module with a command table is caught."""
    sample = SRC.parent.parent / "tests" / "core" / "_table_sample.py"
    sample.write_text('PROGRAMS = ("git", "curl", "ls")\n', encoding="utf-8")
    try:
        assert any(text == "curl" for _, text in table_strings(sample))
    finally:
        sample.unlink()
