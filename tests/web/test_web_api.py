"""The HTTP API end to end (real worker processes): upload, analyze, reopen, download."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Iterator

import duckdb
import pytest
from fastapi.testclient import TestClient

from tracehound.web import worker
from tracehound.web.app import Settings, create_app
from tracehound.web.jobs import Job
from workbench_support import (TEST_PORT, analyze_folder, case_json, pack_files, sha256_hex,
                               wait_job)

BASELINE = b"""agents:
  - agent_id: "kepler-sre-agent-01"
    name: "Kepler SRE agent"
    owner: "taylor.keel@kepler-insurance.example"
    tools:
      - {name: "aws.s3.list-buckets", operations: [read]}
    data_sources:
      - "arn:aws:s3:::kepler-*"
    actions: [Read]
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app (and its two warm worker processes) for this module's tests."""
    app = create_app(Settings(port=TEST_PORT, cases_dir=tmp_path_factory.mktemp("api")))
    with TestClient(app, base_url=f"http://127.0.0.1:{TEST_PORT}") as test_client:
        yield test_client


@pytest.fixture(scope="module")
def kepler_case(client: TestClient, kepler_pack: Path) -> tuple[str, dict]:
    case_id, job = analyze_folder(client, kepler_pack)
    return case_id, job


def zipped(folder: Path, prefix: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.writestr(f"{prefix}/{path.name}", path.read_bytes())
    return buffer.getvalue()


def test_kepler_upload_is_stored_analyzed_and_kept(client: TestClient, kepler_pack: Path,
                                                   kepler_case: tuple[str, dict]) -> None:
    case_id, job = kepler_case
    assert job["state"] == "done", job
    assert job["percent"] == 100
    cases_dir = client.app.state.library.root
    doc = case_json(cases_dir, case_id)
    names = sorted(p.name for p in kepler_pack.iterdir())
    assert [e["path"] for e in doc["evidence"]] == [f"kepler-pack/{n}" for n in names]
    assert [e["sha256"] for e in doc["evidence"]] == [
        sha256_hex((kepler_pack / n).read_bytes()) for n in names]
    meta = client.get(f"/api/cases/{case_id}").json()
    assert meta["status"] == "done" and meta["title"] == "kepler-pack"
    assert meta["summary"]["findings"] == len(doc["findings"])
    assert meta["summary"]["steps"] == sum(len(t["steps"]) for t in doc["traces"])
    with duckdb.connect(str(cases_dir / case_id / "case.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM findings").fetchone()[0] == len(doc["findings"])
        events = con.execute("SELECT count(*) FROM events").fetchone()[0]
    assert events == sum(e["events"] for e in doc["evidence"])
    download = client.get(f"/cases/{case_id}/download/case.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert download.json() == doc


def test_a_zip_gives_the_same_findings_as_the_folder(client: TestClient, kepler_pack: Path,
                                                      kepler_case: tuple[str, dict]) -> None:
    folder_case, _ = kepler_case
    response = client.post("/api/cases", files=[(
        "files", ("kepler-pack.zip", zipped(kepler_pack, "kepler-pack")))])
    assert response.status_code == 201
    job = wait_job(client, response.json()["job"]["id"])
    assert job["state"] == "done", job
    root = client.app.state.library.root
    from_zip = case_json(root, response.json()["case_id"])
    from_folder = case_json(root, folder_case)
    assert from_zip["evidence"][0]["path"].startswith("kepler-pack.zip!kepler-pack/")
    assert from_zip["findings"] == from_folder["findings"]
    assert from_zip["traces"] == from_folder["traces"]


def test_a_zip_slip_archive_is_refused_by_intake(client: TestClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../escape.ndjson", b'{"a": 1}\n')
    response = client.post("/api/cases", files=[("files", ("evil.zip", buffer.getvalue()))])
    case_id = response.json()["case_id"]
    assert wait_job(client, response.json()["job"]["id"])["state"] == "done"
    issues = case_json(client.app.state.library.root, case_id)["parse_issues"]
    assert [(i["path"], i["locator"]) for i in issues] == [("evil.zip", "file")]
    assert "zip-slip" in issues[0]["problem"]
    meta = client.get(f"/api/cases/{case_id}").json()
    assert meta["message"].startswith("No input could be read")
    assert "zip-slip" in client.get(f"/cases/{case_id}").text
    extracted = list((client.app.state.library.root / case_id).rglob("escape.ndjson"))
    assert extracted == [] and not (client.app.state.library.root / "escape.ndjson").exists()


def test_a_zip_bomb_is_refused_by_intake(client: TestClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.ndjson", b"\n" * (50 * 1024 * 1024))
    response = client.post("/api/cases", files=[("files", ("bomb.zip", buffer.getvalue()))])
    assert wait_job(client, response.json()["job"]["id"])["state"] == "done"
    issues = case_json(client.app.state.library.root, response.json()["case_id"])["parse_issues"]
    assert len(issues) == 1 and "zip bomb" in issues[0]["problem"]


def test_a_climbing_file_name_refuses_the_whole_upload(client: TestClient) -> None:
    before = client.get("/api/cases").json()
    response = client.post("/api/cases", files=[("files", ("a.ndjson", b"{}\n")),
                                                ("files", ("b.ndjson", b"{}\n"))],
                           data={"paths": ["pack/a.ndjson", "../../etc/cron.d/b.ndjson"]})
    assert response.status_code == 400
    assert "climbs out" in response.json()["detail"]
    assert client.get("/api/cases").json() == before


def test_an_upload_without_files_is_refused(client: TestClient) -> None:
    response = client.post("/api/cases", data={"paths": ["x"]})
    assert response.status_code == 400


def test_adding_a_baseline_analyzes_again_and_is_preserved(client: TestClient,
                                                           kepler_pack: Path) -> None:
    case_id, _ = analyze_folder(client, kepler_pack)
    response = client.post(f"/api/cases/{case_id}/baseline",
                           files=[("baseline", ("scope.yaml", BASELINE))])
    assert response.status_code == 202
    job = wait_job(client, response.json()["job"]["id"])
    assert job["state"] == "done", job
    meta = client.get(f"/api/cases/{case_id}").json()
    assert meta["baseline"]["name"] == "scope.yaml"
    assert meta["baseline"]["sha256"] == sha256_hex(BASELINE)
    sums = (client.app.state.library.root / case_id / "SHA256SUMS").read_text()
    assert f"{sha256_hex(BASELINE)}  baseline/scope.yaml\n" in sums


def test_a_broken_baseline_fails_the_analysis_with_its_line(client: TestClient,
                                                            kepler_pack: Path) -> None:
    files, data = pack_files(kepler_pack)
    files.append(("baseline", ("scope.yaml", b"agents:\n  - agent_id: a\n    colour: red\n")))
    response = client.post("/api/cases", files=files, data=data)
    job = wait_job(client, response.json()["job"]["id"])
    assert job["state"] == "failed"
    assert "line 3" in job["error"] and "colour" in job["error"]


def test_analysis_of_a_busy_case_is_refused(client: TestClient, kepler_pack: Path) -> None:
    case_id, _ = analyze_folder(client, kepler_pack)
    client.app.state.library.get(case_id).update(status="running")
    assert client.post(f"/api/cases/{case_id}/analyze").status_code == 409
    assert client.get(f"/cases/{case_id}/download/case.json").status_code == 409


def test_analyze_again_reuses_the_stored_evidence(client: TestClient,
                                                  kepler_case: tuple[str, dict]) -> None:
    case_id, _ = kepler_case
    before = case_json(client.app.state.library.root, case_id)
    response = client.post(f"/api/cases/{case_id}/analyze")
    assert response.status_code == 202
    assert wait_job(client, response.json()["job"]["id"])["state"] == "done"
    assert case_json(client.app.state.library.root, case_id)["findings"] == before["findings"]


def test_report_downloads_are_attachments_in_a_sandbox(client: TestClient,
                                                       kepler_case: tuple[str, dict]) -> None:
    case_id, _ = kepler_case
    pdf = client.get(f"/cases/{case_id}/download/report.pdf")      # renders the HTML too
    assert pdf.status_code == 200, pdf.text
    assert pdf.content.startswith(b"%PDF")
    html = client.get(f"/cases/{case_id}/download/report.html")
    assert html.status_code == 200, html.text
    assert "attachment" in html.headers["content-disposition"]
    assert "sandbox" in html.headers["content-security-policy"]
    assert "kepler-sre-agent-01" in html.text


def test_timesketch_timeline_download(client: TestClient,
                                      kepler_case: tuple[str, dict]) -> None:
    case_id, _ = kepler_case
    response = client.get(f"/cases/{case_id}/download/timeline.csv")
    assert response.status_code == 200, response.text
    header = response.text.splitlines()[0].split(",")
    assert header[:3] == ["message", "datetime", "timestamp_desc"]


def test_unknown_download_and_job() -> None:
    job = Job("j", "c", "analyze")
    job.advance("hashing x", 1, 2)
    assert job.percent == 5
    job.advance("parsing y", 1, 2)
    assert job.percent == 27
    job.advance("running exfiltration", 2, 4)
    assert job.percent == 70
    job.advance("parsing late", 0, 2)              # never goes backwards
    assert job.percent == 70


def test_worker_channel_is_json_lines(tmp_path: Path) -> None:
    lines: list[str] = []

    class Channel:
        def write(self, text: str) -> None:
            lines.append(text)

        def flush(self) -> None:
            pass

    assert worker.main(["nonsense", str(tmp_path)], Channel()) == 2
    assert worker.main(["analyze", str(tmp_path / "missing")], Channel()) == 1
    assert [json.loads(line) for line in lines][-1]["error"].startswith("FileNotFoundError")
    lines.clear()
    requests = ["not json\n", json.dumps({"kind": "format-disk", "case_dir": "/"}) + "\n",
                json.dumps({"kind": "analyze", "case_dir": str(tmp_path)}) + "\n"]
    assert worker.main(["--serve"], Channel(), requests) == 0
    answers = [json.loads(line) for line in lines]
    assert [sorted(a) for a in answers] == [["error"], ["error"], ["error"]]
    assert answers[0]["error"].startswith("bad request")
    assert "unknown job kind" in answers[1]["error"]
    assert answers[2]["error"].startswith("FileNotFoundError")
