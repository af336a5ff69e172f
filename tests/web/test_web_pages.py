"""The case page as HTML: every section from the case document, evidence text escaped."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from tracehound.web.charts import graph_layout, timeline_chart
from tracehound.web.views import case_summary, section_table
from workbench_support import FIXTURES, make_case, sample_document

PAYLOADS: list[str] = json.loads((FIXTURES / "xss-payloads.json").read_text(encoding="utf-8"))
OUR_SVG_CLASSES = {"chart th-chart", "chart th-graph"}


class Markup(HTMLParser):
    """Every element and attribute of a page, to look for anything that is not ours."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def injected_markup(html: str) -> list[str]:
    parser = Markup()
    parser.feed(html)
    problems = []
    for tag, attrs in parser.tags:
        if tag == "script" and attrs.get("src") != "/static/app.js":
            problems.append(f"script {attrs}")
        if tag in ("img", "iframe", "object", "embed", "base", "meta", "style", "video",
                   "audio", "source", "math", "details", "body", "input", "textarea") and not (
                tag == "meta" and set(attrs) <= {"charset", "name", "content"}
                and attrs.get("name") in (None, "viewport", "referrer")) and not (
                tag == "body" and set(attrs) == {"data-page"}) and not (
                tag == "input" and attrs.get("type") == "file") and not (
                tag == "details" and attrs == {"class": "th-section"}):
            problems.append(f"{tag} {attrs}")
        if tag == "svg" and attrs.get("class") not in OUR_SVG_CLASSES:
            problems.append(f"svg {attrs}")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"{tag} handler {name}")
            if name in ("href", "src", "action", "data") and value and \
                    value.strip().lower().startswith(("javascript:", "data:", "http")):
                problems.append(f"{tag} {name}={value}")
    return problems


@pytest.fixture
def xss_case(client: TestClient):
    evidence = {"trace.ndjson": b'{"a": 1}\n{"b": 2}\n{"c": 3}\n{"d": 4}\n'}
    text = " ".join(PAYLOADS)
    return make_case(client.app.state.library, evidence, sample_document(evidence, text))


def test_case_page_shows_every_section(client: TestClient) -> None:
    evidence = {"trace.ndjson": b'{"a": 1}\n{"b": 2}\n{"c": 3}\n{"d": 4}\n'}
    case = make_case(client.app.state.library, evidence, sample_document(evidence))
    html = client.get(f"/cases/{case.id}").text
    assert 'data-testid="step-count">3<' in html
    assert 'data-testid="finding-count">3<' in html
    assert 'data-testid="case-type">agent-runaway<' in html
    assert 'data-testid="incident-type">privilege-escape<' in html
    for severity in ("medium", "high", "critical"):
        assert f'data-testid="severity-{severity}" data-count="1"' in html
    assert html.count('class="step-row') == 3
    assert html.count('class="finding-row"') == 3
    assert html.count('class="issue-row"') == 1
    assert 'data-testid="timeline-chart"' in html and 'data-testid="graph"' in html
    assert html.count('class="drift-row"') == 1                # drift metrics table
    assert '<meter min="0" max="4" value="4"></meter> 4' in html
    assert "203.0.113.9" in html                                # a further section (iocs)
    for option in ("scope-creep", "exfiltration", "persistence", "divergence"):
        assert f'<option value="{option}">' in html
    assert "/api/cases/" + case.id + "/excerpt?sha256=" in html
    assert 'href="/cases/' + case.id + '/download/report.pdf"' in html


def test_evidence_text_is_escaped_everywhere_on_the_page(client: TestClient, xss_case) -> None:
    html = client.get(f"/cases/{xss_case.id}").text
    assert injected_markup(html) == []
    assert "&lt;script&gt;alert(&#39;xss-script&#39;)&lt;/script&gt;" in html
    for raw in ("<script>alert", "<img", "<svg onload", "<iframe", "<a href=\"javascript"):
        assert raw not in html
    assert "{{ 7*7 }}" in html and ">49<" not in html         # data is never a template
    assert "<U+202E>" not in html and "&lt;U+202E&gt;" in html  # bidi override made visible


def test_home_page_lists_cases_with_escaped_titles(client: TestClient, xss_case) -> None:
    xss_case.update(title=PAYLOADS[0])
    html = client.get("/").text
    assert injected_markup(html) == []
    assert "&lt;script&gt;" in html


def test_excerpt_api_returns_the_record_as_data(client: TestClient) -> None:
    evidence = {"trace.ndjson": b'{"a": 1}\n{"b": "<script>alert(1)</script>"}\n{"c": 3}\n'}
    case = make_case(client.app.state.library, evidence, sample_document(evidence))
    doc = client.get(f"/api/cases/{case.id}/case.json").json()
    sha = doc["evidence"][0]["sha256"]
    response = client.get(f"/api/cases/{case.id}/excerpt",
                          params={"sha256": sha, "locator": "line 2"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["text"] == '{"b": "<script>alert(1)</script>"}'
    missing = client.get(f"/api/cases/{case.id}/excerpt",
                         params={"sha256": sha, "locator": "line 9"})
    assert missing.status_code == 404


def test_unknown_case_is_a_404_page(client: TestClient) -> None:
    response = client.get("/cases/20260101-000000-abcdef")
    assert response.status_code == 404
    assert "No such case" in response.text
    assert client.get("/api/cases/../../etc").status_code == 404


def test_summary_counts() -> None:
    evidence = {"a.ndjson": b"{}\n"}
    assert case_summary(sample_document(evidence)) == {
        "findings": 3, "by_severity": {"medium": 1, "high": 1, "critical": 1},
        "worst": "critical", "steps": 3, "traces": 1, "evidence": 1, "parse_issues": 1,
        "case_type": "agent-runaway", "incident_type": "privilege-escape"}


def test_timeline_chart_places_steps_by_time_and_class() -> None:
    chart = timeline_chart(sample_document({"a.ndjson": b"{}\n"}))
    assert chart is not None
    assert [label for label, _ in chart.lanes] == ["list", "read", "persistence", "findings"]
    steps = [m for m in chart.marks if m.shape == "circle"]
    assert [m.x for m in steps] == [150.0, 543.0, 936.0]
    assert chart.span == "2.0 minutes"
    assert timeline_chart({"traces": [], "findings": []}) is None


def test_graph_layout_columns_by_depth() -> None:
    layout = graph_layout(sample_document({"a.ndjson": b"{}\n"})["graphs"][0])
    assert [(b["label"], b["x"], b["y"]) for b in layout["boxes"]] == [
        ("session", 8, 8), ("list-buckets", 254, 8), ("get-object", 500, 8)]
    assert [b["fill"] for b in layout["boxes"]] == ["#eef0f3", "#e3f1df", "#fbe3e1"]
    assert len(layout["curves"]) == 2


def test_unknown_sections_become_tables() -> None:
    assert section_table([{"a": 1, "b": [1, 2]}, {"a": 2, "c": None}]) == {
        "columns": ["a", "b", "c"], "rows": [["1", "[1, 2]", ""], ["2", "", ""]],
        "omitted": 0}
    assert section_table({"x": {"y": 1}}) == {"columns": ["key", "value"],
                                               "rows": [["x", '{"y": 1}']], "omitted": 0}
