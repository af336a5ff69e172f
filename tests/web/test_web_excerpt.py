"""Evidence excerpts: the record behind sha256 + locator, from files and stored archives."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest

from tracehound.web.excerpt import ExcerptError, excerpt, locate
from workbench_support import sha256_hex

NDJSON = b'{"step": 1}\n{"step": 2, "note": "<script>x</script>"}\n'
CSV = b'time,user,op\n2026-01-01,alice,"multi\nline"\n\n2026-01-02,bob,read\n'
DOC = json.dumps({"grants": [{"action": "s3:GetObject", "a/b": {"~k": "deep"}}]}).encode()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "evidence"
    (root / "pack").mkdir(parents=True)
    (root / "pack" / "trace.ndjson").write_bytes(NDJSON)
    (root / "pack" / "audit.csv").write_bytes(CSV)
    (root / "pack" / "grant.json").write_bytes(DOC)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inner/trace.ndjson", NDJSON)
    (root / "pack.zip").write_bytes(buffer.getvalue())
    (root / "log.gz").write_bytes(gzip.compress(CSV))
    return root


def entries(*pairs: tuple[str, bytes]) -> list[dict]:
    return [{"path": path, "sha256": sha256_hex(data), "bytes": len(data)}
            for path, data in pairs]


def test_line_of_an_ndjson_file(folder: Path) -> None:
    found = excerpt(folder, entries(("pack/trace.ndjson", NDJSON)), sha256_hex(NDJSON), "line 2")
    assert found["text"] == '{"step": 2, "note": "<script>x</script>"}'
    assert (found["path"], found["locator"], found["origin"]) == (
        "pack/trace.ndjson", "line 2", "file")


def test_csv_rows_are_numbered_like_the_reader(folder: Path) -> None:
    ev = entries(("pack/audit.csv", CSV))
    assert excerpt(folder, ev, sha256_hex(CSV), "row 1")["text"] == (
        "time: 2026-01-01\nuser: alice\nop: multi\nline")
    assert excerpt(folder, ev, sha256_hex(CSV), "row 2")["text"] == (
        "time: 2026-01-02\nuser: bob\nop: read")


def test_json_pointer_with_escaped_tokens(folder: Path) -> None:
    found = excerpt(folder, entries(("pack/grant.json", DOC)), sha256_hex(DOC),
                    "json:/grants/0/a~1b/~0k")
    assert found["text"] == '"deep"'


def test_members_of_stored_archives(folder: Path) -> None:
    ev = entries(("pack.zip!inner/trace.ndjson", NDJSON), ("log.gz!log", CSV))
    assert excerpt(folder, ev, sha256_hex(NDJSON), "line 1")["text"] == '{"step": 1}'
    assert excerpt(folder, ev, sha256_hex(CSV), "row 2")["text"].endswith("op: read")


@pytest.mark.parametrize("sha, locator, problem", [
    ("0" * 64, "line 1", "no evidence file with that sha256"),
    ("not-a-sha", "line 1", "not a sha256"),
    (sha256_hex(NDJSON), "line 99", "not found"),
    (sha256_hex(NDJSON), "page 1", "not a locator"),
    (sha256_hex(NDJSON), "line 0", "not a locator"),
])
def test_what_cannot_be_excerpted_says_why(folder: Path, sha: str, locator: str,
                                           problem: str) -> None:
    with pytest.raises(ExcerptError, match=problem):
        excerpt(folder, entries(("pack/trace.ndjson", NDJSON)), sha, locator)


def test_a_changed_copy_is_not_excerpted(folder: Path) -> None:
    ev = [{"path": "pack/trace.ndjson", "sha256": "a" * 64, "bytes": len(NDJSON)}]
    with pytest.raises(ExcerptError):
        excerpt(folder, ev, "a" * 64, "line 1")


def test_paths_cannot_leave_the_evidence_folder(folder: Path) -> None:
    (folder.parent / "secret.txt").write_text("top secret\n")
    with pytest.raises(ExcerptError, match="outside the case folder"):
        locate(folder, "../secret.txt")
    with pytest.raises(ExcerptError, match="not found"):
        locate(folder, "pack/missing.ndjson")
