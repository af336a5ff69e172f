"""A graph past 2,000 nodes in the case JSON: counts by kind, every out-of-scope branch whole,
the 50 nodes of highest degree and the edges among the kept nodes; smaller graphs whole."""

from builders import call

from tracehound.correlate.graph import TOP_NODES, execution_graph, summarize_graph
from tracehound.pipeline import Case


def node(ident, kind="tool-call", **extra):
    return {"id": ident, "kind": kind, "label": ident, **extra}


def big_graph(steps=3_000):
    """agent -> 3 sessions -> steps; hubs of known degree; one out-of-scope branch of 4 nodes
    under a plain step (a branch whose members have degree 1 or 2)."""
    nodes = [node("agent:a", "agent")] + [node(f"session:{s}", "session") for s in "xyz"]
    edges = [{"from": "agent:a", "to": f"session:{s}", "kind": "ran"} for s in "xyz"]
    for i in range(steps):
        nodes.append(node(f"step:{i:05d}"))
        edges.append({"from": f"session:{'xyz'[i % 3]}", "to": f"step:{i:05d}",
                      "kind": "called"})
    for hub in range(60):                 # hubs 0..59: hub h has h + 1 children of its own
        for child in range(hub + 1):
            edges.append({"from": f"step:{hub:05d}",
                          "to": f"step:{1000 + hub * (hub + 1) // 2 + child:05d}",
                          "kind": "called"})
    nodes += [node("mcp:evil", "mcp-server", scope="out-of-scope"),
              node("mcp:evil/1"), node("mcp:evil/2"), node("mcp:evil/2/a")]
    edges += [{"from": "step:02000", "to": "mcp:evil"}, {"from": "mcp:evil", "to": "mcp:evil/1"},
              {"from": "mcp:evil", "to": "mcp:evil/2"},
              {"from": "mcp:evil/2", "to": "mcp:evil/2/a"}]
    return {"kind": "execution-graph", "nodes": nodes, "edges": edges}


def test_a_graph_up_to_the_limit_stays_whole():
    graph = {"kind": "mcp-call-graph", "nodes": [node(f"n{i}") for i in range(2_000)],
             "edges": []}
    assert summarize_graph(graph) is graph


def test_a_big_graph_keeps_counts_top_degree_nodes_and_out_of_scope_branches():
    graph = big_graph()
    summary = summarize_graph(graph)
    kept = [n["id"] for n in summary["nodes"]]
    assert summary["summarized"] is True
    assert summary["totals"] == {"nodes": len(graph["nodes"]), "edges": len(graph["edges"])}
    assert summary["node_kinds"] == {"agent": 1, "mcp-server": 1, "session": 3,
                                     "tool-call": 3_003}
    # sessions have 1,000 children, then hubs 59..13 (degree 61..15): 3 + 47 = 50 (the
    # agent, degree 3, does not make it)
    top = {f"session:{s}" for s in "xyz"} | {f"step:{h:05d}" for h in range(13, 60)}
    branch = {"mcp:evil", "mcp:evil/1", "mcp:evil/2", "mcp:evil/2/a"}
    assert len(top) == TOP_NODES and set(kept) == top | branch
    assert kept == [n["id"] for n in graph["nodes"] if n["id"] in top | branch]   # in order
    ends = {(e["from"], e["to"]) for e in summary["edges"]}
    assert ("mcp:evil", "mcp:evil/2") in ends and ("mcp:evil/2", "mcp:evil/2/a") in ends
    assert all(a in kept and b in kept for a, b in ends)
    assert summary == summarize_graph(big_graph())          # deterministic


def test_degree_ties_are_broken_by_id():
    nodes = [node(f"n{i:04d}") for i in range(2_100)]
    summary = summarize_graph({"kind": "g", "nodes": list(reversed(nodes)), "edges": []})
    assert sorted(n["id"] for n in summary["nodes"]) == [f"n{i:04d}" for i in range(50)]


def test_the_case_json_summarizes_and_keeps_the_whole_graph_in_memory():
    graph = big_graph()
    case = Case([], [], [], [], {}, artifacts={"graphs": [graph]})
    [written] = case.to_json()["graphs"]
    assert written["summarized"] and len(written["nodes"]) == 54
    assert case.artifacts["graphs"][0] is graph and len(graph["nodes"]) == 3_008


def test_a_step_logged_twice_is_one_node_with_one_edge():
    calls = [call(1, "Read"), call(1, "Read", sha="5" * 64), call(2, "Bash", parent=1)]
    graph = execution_graph(calls)
    pairs = [(e["from"], e["to"]) for e in graph["edges"]]
    assert len(pairs) == len(set(pairs)) == 3
