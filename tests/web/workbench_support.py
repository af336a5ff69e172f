"""Helpers of the workbench tests: upload a folder, wait for a job, a live uvicorn server."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from tracehound.web.app import Settings, create_app

FIXTURES = Path(__file__).parent.parent / "fixtures" / "web"
ARTIFACTS = Path(__file__).parent.parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TEST_PORT = 8765                     # what TestClient pretends to be; nothing listens on it


def pack_files(folder: Path, prefix: str | None = None) -> tuple[list, dict[str, list[str]]]:
    """Multipart `files` and `paths` for every file of a folder (as a folder drop sends them)."""
    prefix = folder.name if prefix is None else prefix
    paths = sorted(p for p in folder.rglob("*") if p.is_file())
    files = [("files", (p.name, p.read_bytes())) for p in paths]
    names = [f"{prefix}/{p.relative_to(folder).as_posix()}" for p in paths]
    return files, {"paths": names}


def wait_job(http: Any, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = http.get(f"/api/jobs/{job_id}").json()
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def analyze_folder(http: Any, folder: Path, **extra: Any) -> tuple[str, dict[str, Any]]:
    """Upload a folder, wait for the analysis; (case id, finished job)."""
    files, data = pack_files(folder)
    response = http.post("/api/cases", files=files, data=data, **extra)
    assert response.status_code == 201, response.text
    body = response.json()
    return body["case_id"], wait_job(http, body["job"]["id"])


class LiveServer:
    """The real app under uvicorn in a thread, on a socket we bound to a free loopback port."""

    def __init__(self, cases_dir: Path, **settings: Any):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.cases_dir = cases_dir
        app = create_app(Settings(port=self.port, cases_dir=cases_dir, **settings))
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def case_json(cases_dir: Path, case_id: str) -> dict[str, Any]:
    return json.loads((cases_dir / case_id / "case.json").read_text(encoding="utf-8"))


def sha256_hex(data: bytes) -> str:
    import hashlib
    return hashlib.sha256(data).hexdigest()


def sample_document(evidence: dict[str, bytes], text: str = "") -> dict[str, Any]:
    """A small CONTRACT.md case document over the given evidence files (name -> bytes): one
    3-step trace, three findings, a graph, a classification, drift metrics and a parse issue.
    `text` is appended to every evidence-derived string (used for XSS payloads)."""
    names = sorted(evidence)
    sha = {n: sha256_hex(evidence[n]) for n in names}
    first = names[0]

    def ref(locator: str, name: str = first) -> dict[str, str]:
        return {"sha256": sha[name], "locator": locator}

    steps = [
        {"index": i, "parent": None if i == 1 else i - 1, "time": f"2026-04-12T14:0{i}:00Z",
         "tool": tool + text, "action_class": klass, "target": "kepler-payments-prod" + text,
         "approver": None, "outcome": "success", "refs": [ref(f"line {i}")]}
        for i, (tool, klass) in enumerate([("aws.s3.list-buckets", "list"),
                                           ("aws.s3.get-object", "read"),
                                           ("aws.lambda.put-rule", "persistence")], start=1)]
    findings = [
        {"id": f"f{i}", "rule": rule, "tool": tool, "category": category, "severity": severity,
         "time": f"2026-04-12T14:0{i}:00Z", "step": i, "session": "sess-1" + text,
         "actor": "agent-1" + text, "target": "t" + text, "title": "Title " + rule + text,
         "statement": "Statement " + text, "refs": [ref(f"line {i}")], "techniques": ["T1530"],
         "engine_version": "tracehound 0.1.0 / x 1"}
        for i, (rule, tool, category, severity) in enumerate([
            ("TH-AGENT-SCOPE", "divergence", "scope-creep", "medium"),
            ("TH-AGENT-EXFIL", "exfiltration", "exfiltration", "high"),
            ("TH-AGENT-PERSIST", "persistence", "persistence", "critical")], start=1)]
    return {
        "schema": "tracehound/1", "engine": {"name": "tracehound", "version": "0.1.0"},
        "evidence": [{"path": f"pack/{n}", "sha256": sha[n], "bytes": len(evidence[n]),
                      "format": "agent-tool-call-ndjson", "parser_version": "1", "reason": "",
                      "events": 3, "parse_issues": 1 if n == first else 0} for n in names],
        "traces": [{"session": "sess-1" + text, "agent": "agent-1" + text, "steps": steps}],
        "findings": findings,
        "graphs": [{"kind": "mcp-call-graph",
                    "nodes": [{"id": "root", "label": "session" + text},
                              {"id": "a", "label": "list-buckets" + text, "scope": "in-scope"},
                              {"id": "b", "label": "get-object" + text, "scope": "out-of-scope"}],
                    "edges": [{"source": "root", "target": "a"},
                              {"source": "a", "target": "b"}]}],
        "classification": {"case_type": "agent-runaway", "confidence": 0.9,
                           "incident_type": "privilege-escape",
                           "signals": [{"signal": "approver null" + text, "weight": 0.5,
                                        "refs": [ref("line 2")]}]},
        "parse_issues": [{"path": f"pack/{first}", "locator": "line 4",
                          "problem": "invalid JSON" + text}],
        "drift_metrics": [{"agent_id": "agent-1" + text, "agent_name": None, "week": "2026-W15",
                           "drift_events_total": 4,
                           "drift_events_by_type": {"D1": 1, "D2": 3, "D3": 0, "D4": 0,
                                                    "D5": 0, "D6": 0},
                           "actions": {"total": 12, "blocked": 2, "allowed": 10},
                           "policy_hits": 3}],
        "iocs": [{"value": "203.0.113.9" + text, "kind": "ip", "files": 2}],
    }


def make_case(library: Any, evidence: dict[str, bytes], doc: dict[str, Any]) -> Any:
    """A finished case folder holding `evidence` under pack/ and `doc` as its analysis."""
    import io
    from tracehound.web.views import case_summary
    case = library.create("pack")
    taken: set[str] = set()
    staged = [case.stage(f"pack/{name}", io.BytesIO(data), taken)
              for name, data in sorted(evidence.items())]
    case.seal(staged, lambda *args: None)
    (case.root / "case.json").write_text(json.dumps(doc), encoding="utf-8")
    case.update(status="done", summary=case_summary(doc))
    return case
