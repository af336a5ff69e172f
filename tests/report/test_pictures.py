"""Graph layout (Graphviz and the pure-Python fallback) and the SVG charts."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tracehound.report import graphs
from tracehound.report.charts import drift_chart, drift_rows, timeline_chart
from tracehound.report.graphs import graph_picture

SHA = "a" * 64
GRAPH = {
    "kind": "mcp-call-graph",
    "nodes": [{"id": "root", "label": "aws.sts.assume-role", "scope": "in-scope"},
              {"id": "list", "label": "aws.s3.list-buckets", "scope": "in-scope",
               "refs": [{"sha256": SHA, "locator": "line 2"}]},
              {"id": "get", "label": "aws.s3.get-object <script>", "scope": "out-of-scope"}],
    "edges": [{"from": "root", "to": "list"}, {"source": "list", "target": "get"}],
}


def labels(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz is not installed")
def test_dot_layout_draws_every_node_and_edge():
    picture = graph_picture(GRAPH, {}, {(SHA, "line 2"): "ev-1"})
    assert picture["engine"] == "dot" and (picture["nodes"], picture["edges"]) == (3, 2)
    svg = picture["svg"]
    assert labels(svg) == ["aws.s3.get-object &lt;script&gt;", "aws.s3.list-buckets",
                           "aws.sts.assume-role"]
    assert svg.count("<path ") == 2 and svg.count("<polygon ") == 2
    assert '<a href="#ev-1">' in svg and 'fill="#fde3e1"' in svg


def test_fallback_layout_without_graphviz(monkeypatch):
    monkeypatch.setattr(graphs.shutil, "which", lambda name: None)
    picture = graph_picture(GRAPH, {}, {})
    assert picture["engine"] == "python"
    assert len(labels(picture["svg"])) == 3 and picture["svg"].count("<path ") == 2
    ys = [float(y) for y in re.findall(r'<rect x="[^"]+" y="([^"]+)"', picture["svg"])]
    assert len(set(ys)) == 3                      # three layers: root, list, get


@pytest.mark.parametrize("failure", [subprocess.TimeoutExpired("dot", 20),
                                     subprocess.CalledProcessError(1, "dot"),
                                     OSError("exec format error")])
def test_dot_failure_falls_back(monkeypatch, failure):
    def failing_run(*args, **kwargs):
        raise failure
    monkeypatch.setattr(graphs.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(graphs.subprocess, "run", failing_run)
    picture = graph_picture(GRAPH, {}, {})
    assert picture["engine"] == "python" and len(labels(picture["svg"])) == 3


def test_garbled_dot_output_falls_back(monkeypatch):
    monkeypatch.setattr(graphs.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(graphs.subprocess, "run",
                        lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout="{not json"))
    assert graph_picture(GRAPH, {}, {})["engine"] == "python"


def test_wide_fan_is_laid_out_left_to_right():
    nodes = [{"id": "s"}] + [{"id": f"c{i}"} for i in range(10)]
    edges = [{"from": "s", "to": f"c{i}"} for i in range(10)]
    found, pairs = graphs.normalize({"nodes": nodes, "edges": edges}, {}, {})
    assert graphs._wide(len(found), pairs)
    layout = graphs.simple_layout(found, pairs, left_right=True)
    assert layout.height > layout.width


def test_dot_source_holds_only_our_ids_and_escaped_labels():
    found, pairs = graphs.normalize(GRAPH, {}, {})
    source = graphs.dot_source(found, pairs, False)
    assert "root" not in source and "list" not in source.replace("aws.s3.list-buckets", "")
    assert sorted(re.findall(r"n\d -> n\d;", source)) == ["n1 -> n0;", "n2 -> n1;"]
    assert '"aws.s3.get-object <script>"' in source


def test_too_big_a_graph_is_described_not_drawn():
    many = {"kind": "x", "nodes": [{"id": str(i)} for i in range(graphs.MAX_NODES + 1)]}
    picture = graph_picture(many, {}, {})
    assert picture["svg"] is None and "too many" in picture["note"]


def test_timeline_chart_places_markers_by_time():
    points = [{"time": "2026-04-12T14:00:00Z", "lane": "a", "mark": 1, "anchor": "s1"},
              {"time": "2026-04-12T14:08:30Z", "lane": "b", "mark": 2, "anchor": "s2"}]
    svg = timeline_chart(points, ["a", "b", "c"], "t", {})
    xs = [float(x) for x in re.findall(r'<circle cx="([^"]+)"', svg)]
    assert xs[0] < xs[1] and "c" not in labels(svg)
    assert "14:00" in labels(svg) and "14:08" in labels(svg)
    assert timeline_chart([{"time": None, "lane": "a"}], ["a"], "t") is None


def test_drift_chart_from_weekly_rows():
    rows = drift_rows({"weekly": [{"agent_id": "hr", "week": "2026-W10",
                                   "drift_events_by_type": {"D1": 2, "D3": 1}},
                                  {"agent_id": "hr", "week": "2026-W11",
                                   "drift_events_total": 0}]})
    assert [r["label"] for r in rows] == ["hr 2026-W10", "hr 2026-W11"]
    svg = drift_chart(rows)
    assert svg.count("<rect ") == 2 + 2           # two bars + two legend swatches
    assert {"D1", "D3", "3"} <= set(labels(svg))
