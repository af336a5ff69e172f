"""The case page shows the per-row views from the case's views/ folder (the worker writes it
beside case.json, which holds no view), escaped like every other section."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tracehound.report.views_files import write_views
from tracehound.web.views import view_sections
from workbench_support import make_case, sample_document

PAYLOAD = '<script>alert(1)</script>"onmouseover="x'


def artifacts(rows: int = 3) -> dict:
    return {"saas_timeline": [{"time": f"2026-01-01T00:00:{i:02d}Z", "actor": PAYLOAD,
                               "ref": {"sha256": "a" * 64, "locator": f"row {i + 1}"}}
                              for i in range(rows)],
            "account_activity": []}


def test_view_sections_read_each_view_once_and_count_the_rest(tmp_path, monkeypatch):
    import tracehound.web.views as views
    monkeypatch.setattr(views, "MAX_SECTION_ROWS", 2)
    write_views(artifacts(5), tmp_path)
    [(name, table)] = view_sections(tmp_path)          # an empty view is not shown
    assert name == "view saas_timeline" and len(table["rows"]) == 2 and table["omitted"] == 3
    assert view_sections(tmp_path / "missing") == []


def test_the_case_page_shows_the_views_escaped(client: TestClient) -> None:
    evidence = {"trace.ndjson": b'{"a": 1}\n{"b": 2}\n{"c": 3}\n{"d": 4}\n'}
    case = make_case(client.app.state.library, evidence, sample_document(evidence))
    write_views(artifacts(), case.root / "views")
    html = client.get(f"/cases/{case.id}").text
    assert "view saas_timeline" in html and "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "saas_timeline" not in json.dumps(sample_document(evidence))


def test_a_summarized_graph_says_so_on_the_case_page(client: TestClient) -> None:
    from tracehound.correlate.graph import summarize_graph
    evidence = {"trace.ndjson": b'{"a": 1}\n{"b": 2}\n{"c": 3}\n{"d": 4}\n'}
    doc = sample_document(evidence)
    nodes = [{"id": f"step:{i:05d}", "kind": "tool-call", "label": str(i)} for i in range(2_100)]
    doc["graphs"] = [summarize_graph({"kind": "execution-graph", "nodes": nodes, "edges": []})]
    case = make_case(client.app.state.library, evidence, doc)
    html = client.get(f"/cases/{case.id}").text
    assert "The graph has 2100 nodes and 0 edges" in html
    assert "views/graphs/execution-graph.dot" in html


def test_an_analysis_writes_the_views_beside_its_case_json(client: TestClient, tmp_path) -> None:
    from pathlib import Path
    from workbench_support import analyze_folder
    bec = Path(__file__).resolve().parents[1] / "fixtures" / "cloud" / "bec"
    case_id, job = analyze_folder(client, bec)
    assert job["state"] == "done", job
    root = client.app.state.library.get(case_id).root
    doc = json.loads((root / "case.json").read_text(encoding="utf-8"))
    assert "ual_users" not in doc and "o365_views" not in doc
    assert (root / "views" / "ual_users.jsonl").stat().st_size > 0
    assert "view inbox_rules" in client.get(f"/cases/{case_id}").text
