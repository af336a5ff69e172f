"""The report draws a graph only when the case JSON holds it whole (under 2,000 nodes); a
summarized graph gets a sentence saying so and where the whole graph is."""

from tracehound.correlate.graph import summarize_graph
from tracehound.report.graphs import graph_picture


def test_a_summarized_graph_is_not_drawn_and_says_where_the_whole_graph_is():
    nodes = [{"id": f"step:{i:05d}", "kind": "tool-call", "label": f"{i}: Bash"}
             for i in range(2_500)] + [{"id": "session:s", "kind": "session", "label": "s"}]
    edges = [{"from": "session:s", "to": f"step:{i:05d}", "kind": "called"}
             for i in range(2_500)]
    summary = summarize_graph({"kind": "execution-graph", "nodes": nodes, "edges": edges})
    picture = graph_picture(summary, {}, {})
    assert picture["svg"] is None
    assert (picture["nodes"], picture["edges"]) == (2_501, 2_500)
    assert picture["note"].startswith("2501 nodes and 2500 edges (1 session, 2500 tool-call)")
    assert "graphs/execution-graph.dot" in picture["note"]


def test_a_small_graph_is_still_drawn():
    graph = {"kind": "execution-graph", "nodes": [{"id": "a", "label": "a"},
                                                  {"id": "b", "label": "b"}],
             "edges": [{"from": "a", "to": "b"}]}
    assert graph_picture(summarize_graph(graph), {}, {})["svg"].startswith("<svg")
