"""Case folders: safe names, read-only evidence with hashes, listing, reopening after restart."""

from __future__ import annotations

import io
import json
import stat
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings, strategies as st

from tracehound.web.app import Settings, create_app
from tracehound.web.cases import CaseLibrary, safe_relative_path
from workbench_support import TEST_PORT, make_case, sample_document, sha256_hex


@pytest.mark.parametrize("given, expected", [
    ("a.ndjson", "a.ndjson"),
    ("pack/sub/a.ndjson", "pack/sub/a.ndjson"),
    ("/pack//./a.ndjson", "pack/a.ndjson"),
    ("pack\\win\\a.json", "pack/win/a.json"),
    ("<img src=x onerror=alert(1)>.ndjson", "<img src=x onerror=alert(1)>.ndjson"),
    ("C:/evidence/a.csv", "C:/evidence/a.csv"),
])
def test_safe_relative_path_keeps_plain_names(given: str, expected: str) -> None:
    assert safe_relative_path(given) == expected


@pytest.mark.parametrize("given, problem", [
    ("../etc/passwd", "climbs out"),
    ("pack/../../x", "climbs out"),
    ("..\\..\\x", "climbs out"),
    ("", "has no name"),
    ("/", "has no name"),
    ("a\x00b", "control characters"),
    ("a\nb.ndjson", "control characters"),
    ("x" * 256, "longer than 255"),
    ("/".join(["d"] * 40), "too deep"),
])
def test_safe_relative_path_refuses(given: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        safe_relative_path(given)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab./\\:\x00\n <>\"'~é")), max_size=40))
def test_safe_relative_path_never_escapes(name: str) -> None:
    try:
        result = safe_relative_path(name)
    except ValueError:
        return
    parts = result.split("/")
    assert result and not result.startswith("/") and "\\" not in result
    assert ".." not in parts and "." not in parts and "" not in parts
    assert not any(ord(c) < 32 for c in result)
    assert (Path("/cases/x/evidence") / result).resolve().is_relative_to("/cases/x/evidence")


def test_sealed_evidence_is_read_only_hashed_and_checkable(tmp_path: Path) -> None:
    library = CaseLibrary(tmp_path / "cases")
    case = library.create("t")
    taken: set[str] = set()
    staged = [case.stage("pack/a.ndjson", io.BytesIO(b"one\n"), taken),
              case.stage("pack/a.ndjson", io.BytesIO(b"two\n"), taken),
              case.stage("pack/sub/b.csv", io.BytesIO(b"h\n1\n"), taken)]
    steps = []
    case.seal(staged, lambda what, done, total: steps.append((what, done, total)))
    assert [s.relpath for s in staged] == ["pack/a.ndjson", "pack/a (2).ndjson", "pack/sub/b.csv"]
    assert steps[-1] == ("hashed", 3, 3)
    stored = case.evidence_dir / "pack" / "a (2).ndjson"
    assert stored.read_bytes() == b"two\n"
    assert stat.S_IMODE(stored.stat().st_mode) & 0o222 == 0
    assert not case.incoming_dir.exists()
    meta = case.meta()
    assert [(u["path"], u["sha256"], u["bytes"]) for u in meta["uploads"]] == [
        ("pack/a (2).ndjson", sha256_hex(b"two\n"), 4),
        ("pack/a.ndjson", sha256_hex(b"one\n"), 4),
        ("pack/sub/b.csv", sha256_hex(b"h\n1\n"), 4)]
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=case.root,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == 3


def test_library_lists_newest_first_and_rejects_odd_ids(tmp_path: Path) -> None:
    library = CaseLibrary(tmp_path / "cases")
    first = library.create("first")
    second = library.create("second")
    first.update(created="2026-01-01T00:00:00Z")
    second.update(created="2026-02-01T00:00:00Z")
    (tmp_path / "cases" / "not-a-case").mkdir()
    assert [m["title"] for m in library.all()] == ["second", "first"]
    for odd in ("../cases", "not-a-case", first.id + "/..", ""):
        with pytest.raises(KeyError):
            library.get(odd)


def test_cases_left_running_are_marked_interrupted_on_restart(tmp_path: Path) -> None:
    library = CaseLibrary(tmp_path / "cases")
    running = library.create("running")
    running.update(status="running")
    done = library.create("done")
    done.update(status="done")
    assert CaseLibrary(tmp_path / "cases").mark_interrupted() == 1
    assert running.meta()["status"] == "interrupted"
    assert done.meta()["status"] == "done"


def test_a_case_reopens_after_a_restart(tmp_path: Path) -> None:
    evidence = {"trace.ndjson": b'{"a": 1}\n{"b": 2}\n{"c": 3}\n'}
    doc = sample_document(evidence)
    case = make_case(CaseLibrary(tmp_path / "cases"), evidence, doc)
    app = create_app(Settings(port=TEST_PORT, cases_dir=tmp_path / "cases"))
    with TestClient(app, base_url=f"http://127.0.0.1:{TEST_PORT}") as client:
        home = client.get("/")
        assert f'href="/cases/{case.id}"' in home.text
        page = client.get(f"/cases/{case.id}")
        assert page.status_code == 200
        assert 'data-testid="step-count">3<' in page.text
        assert client.get(f"/api/cases/{case.id}/case.json").json() == json.loads(
            json.dumps(doc))
