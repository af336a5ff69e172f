"""An upload's bytes are written once: streamed from the request into the case's incoming
folder (no spooled temporary file), then renamed into evidence/ (no copy)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from fastapi.testclient import TestClient

from tracehound.web.app import Settings, create_app
from workbench_support import TEST_PORT, wait_job


def test_an_upload_is_written_once_and_stored_as_sent(tmp_path: Path, monkeypatch) -> None:
    spool = tmp_path / "tmp"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))     # where a spooled copy would go

    def no_copy(*args, **kwargs):
        raise AssertionError("the upload was copied")
    monkeypatch.setattr(shutil, "copyfile", no_copy)
    monkeypatch.setattr(shutil, "copyfileobj", no_copy)
    big = os.urandom(3 * 1024 * 1024)
    files = [("files", ("big.bin", big)), ("files", ("a.ndjson", b'{"a": 1}\n')),
             ("files", ("empty.txt", b"")), ("baseline", ("", b""))]
    app = create_app(Settings(port=TEST_PORT, cases_dir=tmp_path / "cases"))
    with TestClient(app, base_url=f"http://127.0.0.1:{TEST_PORT}") as client:
        response = client.post("/api/cases", files=files, data={
            "paths": ["pack/big.bin", "pack/sub/a.ndjson", "pack/empty.txt"]})
        assert response.status_code == 201, response.text
        case_id = response.json()["case_id"]
        wait_job(client, response.json()["job"]["id"])
        root = client.app.state.library.root / case_id
        meta = client.get(f"/api/cases/{case_id}").json()
    assert list(spool.iterdir()) == []
    assert not (root / ".incoming").exists()
    stored = {u["path"]: u for u in meta["uploads"]}
    assert sorted(stored) == ["pack/big.bin", "pack/empty.txt", "pack/sub/a.ndjson"]
    assert (root / "evidence" / "pack" / "big.bin").read_bytes() == big
    assert stored["pack/big.bin"]["sha256"] == hashlib.sha256(big).hexdigest()
    assert stored["pack/empty.txt"]["bytes"] == 0 and meta["baseline"] is None


def test_a_broken_form_leaves_no_case_and_no_slot(tmp_path: Path) -> None:
    app = create_app(Settings(port=TEST_PORT, cases_dir=tmp_path / "cases"))
    with TestClient(app, base_url=f"http://127.0.0.1:{TEST_PORT}") as client:
        body = (b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n'
                b"\r\nhalf a file")                     # no closing boundary
        response = client.post("/api/cases", content=body, headers={
            "content-type": "multipart/form-data; boundary=xyz"})
        assert response.status_code == 400, response.text
        plain = client.post("/api/cases", content=b"x", headers={"content-type": "text/plain"})
        assert plain.status_code == 400
    assert list((tmp_path / "cases").iterdir()) == []
