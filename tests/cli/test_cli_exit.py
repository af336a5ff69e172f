"""The console script leaves without interpreter teardown once a command is done
(cli.main): its exit code and its whole output must survive that."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tracehound.fixtures.kepler import write_pack

TRACEHOUND = Path(sys.executable).with_name("tracehound")
pytestmark = pytest.mark.skipif(not TRACEHOUND.exists(), reason="tracehound script not installed")


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kepler") / "kepler-pack"
    write_pack(out)
    return out


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(TRACEHOUND), *args], capture_output=True, timeout=300)


def test_a_finding_at_fail_on_exits_1_with_the_whole_document_on_a_pipe(pack):
    done = run("analyze", str(pack), "--format", "json", "--fail-on", "high", "--quiet")
    assert done.returncode == 1, done.stderr.decode()
    document = json.loads(done.stdout)             # all of it: flushed before leaving
    assert document["schema"] == "tracehound/1" and document["findings"]


def test_no_finding_at_fail_on_exits_0_and_usage_errors_exit_2(pack, tmp_path):
    out = tmp_path / "case.json"
    done = run("analyze", str(pack), "--format", "json", "--fail-on", "critical", "--quiet",
               "--out", str(out))
    severities = {f["severity"] for f in json.loads(out.read_text())["findings"]}
    assert done.returncode == (1 if "critical" in severities else 0), done.stderr.decode()
    assert run("analyze", str(pack), "--no-such-option").returncode == 2
    missing = run("analyze", str(tmp_path / "missing"), "--quiet")
    assert missing.returncode == 2 and b"tracehound:" in missing.stderr   # a usage error
