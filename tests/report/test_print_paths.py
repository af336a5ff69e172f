"""The demo's faster paths give the same report: the print edition rendered in the PDF worker
from the view, graph layouts started ahead, and the print edition's lighter markup (merged
value and reference runs, monospace cells, SVG without links) with nothing left out."""

from __future__ import annotations

import re
import shutil
from html import unescape

import pytest

from report_builders import write_case
from tracehound.report.graphs import graph_picture, start_dot
from tracehound.report.pdf import PdfWorker, pdf_bytes
from tracehound.report.render import render_view
from tracehound.report.view import build_view

GRAPH = {
    "kind": "mcp-call-graph",
    "nodes": [{"id": "root", "label": "aws.sts.assume-role"},
              {"id": "list", "label": "aws.s3.list-buckets"},
              {"id": "get", "label": "aws.s3.get-object <script>"}],
    "edges": [{"from": "root", "to": "list"}, {"from": "list", "to": "get"}],
}


@pytest.fixture(scope="module")
def view(tmp_path_factory):
    return build_view(write_case(tmp_path_factory.mktemp("ev")), True, None)


def text_of(html: str) -> str:
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html)))
    return text.replace("\xa0", " ")


@pytest.mark.skipif(shutil.which("pdftoppm") is None,
                    reason="poppler-utils (pdftoppm) is not installed")
def test_the_worker_renders_the_print_edition_of_a_view_to_the_same_pdf(view):
    with PdfWorker() as worker:
        worker.submit_view(view, True)
        assert worker.result() == pdf_bytes(render_view(view, printed=True), True)[0]


def test_a_started_dot_run_gives_the_same_picture():
    started = start_dot([GRAPH, {"kind": "x", "summarized": True}, "not a graph"])
    assert started[1] is None and started[2] is None
    if shutil.which("dot") is None:
        assert started[0] is None
        return
    assert graph_picture(GRAPH, {}, {}, started[0]) == graph_picture(GRAPH, {}, {})


def test_a_started_run_for_another_graph_is_not_used():
    other = dict(GRAPH, nodes=GRAPH["nodes"][:2], edges=GRAPH["edges"][:1])
    started = start_dot([other])[0]
    assert graph_picture(GRAPH, {}, {}, started) == graph_picture(GRAPH, {}, {})


def test_print_edition_merges_runs_without_losing_a_value_or_a_ref(view):
    screen, paper = render_view(view, printed=False), render_view(view, printed=True)
    checked = 0
    for name in ("credentials", "iocs", "aibom"):
        part = re.compile(rf'<section id="{name}".*?</section>', re.S)
        if not part.search(screen):
            continue
        on_screen, on_paper = part.search(screen).group(0), part.search(paper).group(0)
        for value in re.findall(r"<code>([^<]*)</code>", on_screen):
            assert value in on_paper, (name, value)
            checked += 1
        assert on_paper.count("<code>") + on_paper.count('class="mono"') <= \
            on_screen.count("<code>")
    assert checked                          # the fixture's sections hold values to compare
    refs = re.search(r'<section id="iocs".*?</section>', paper, re.S)
    if refs:
        assert not re.search(r'</span>, <span class="ref">', refs.group(0))


def test_print_cells_of_one_value_are_monospace_cells_with_the_value_escaped(view):
    paper = render_view(view, printed=True)
    assert '<td class="mono">' in paper
    assert not re.search(r"<td><code>[^<]*</code></td>", paper)
    for cell in re.findall(r'<td class="mono">([^<]*)</td>', paper):
        assert "<" not in unescape(cell) or "&lt;" in cell


def test_print_pictures_keep_their_labels_but_not_their_links(view):
    paper = render_view(view, printed=True)
    screen = render_view(view, printed=False)
    screen_svgs = re.findall(r"<svg.*?</svg>", screen, re.S)
    paper_svgs = re.findall(r"<svg.*?</svg>", paper, re.S)
    assert screen_svgs and len(paper_svgs) == len(screen_svgs)     # pairs line up
    for svg_screen, svg_paper in zip(screen_svgs, paper_svgs):
        assert "<a " not in svg_paper and "</a>" not in svg_paper and "<title>" not in svg_paper
        assert re.findall(r"<text[^>]*>([^<]*)</text>", svg_screen) == \
            re.findall(r"<text[^>]*>([^<]*)</text>", svg_paper)


def test_why_this_type_is_left_out_of_print_only_when_the_signals_say_it(view):
    classification = view["classification"]
    screen, paper = render_view(view, printed=False), render_view(view, printed=True)
    assert "Why this type" in screen
    if classification and classification.get("explained_by_signals"):
        assert "Why this type" not in paper
        for signal in classification["signals"]:
            if signal.get("case_type") == classification["case_type"]:
                assert signal["sentence"].rstrip(".") in text_of(paper)
    reworded = dict(view, classification=dict(classification or {}, case_type="x",
                                              explanation="Other words.",
                                              explained_by_signals=False, signals=[]))
    assert "Why this type" in render_view(reworded, printed=True)


def test_an_explanation_is_a_repeat_only_when_it_is_exactly_the_signal_sentences():
    from tracehound.report.view import _explained
    signals = [{"case_type": "agent-runaway", "sentence": "A happened."},
               {"case_type": "bec", "sentence": "C happened."},
               {"case_type": "agent-runaway", "sentence": "B happened"}]
    found = {"case_type": "agent-runaway", "signals": signals,
             "explanation": "Lean toward agent-runaway because: A happened; B happened."}
    assert _explained(found)
    assert not _explained(dict(found, explanation="Lean toward agent-runaway: A and B."))
    assert not _explained(dict(found, case_type="undetermined"))


def test_a_repeated_explanation_is_printed_once_in_the_signal_table(view):
    classification = dict(view["classification"], explained_by_signals=True)
    repeated = dict(view, classification=classification)
    assert "Why this type" in render_view(repeated, printed=False)
    paper = render_view(repeated, printed=True)
    assert "Why this type" not in paper and "Signals behind the case type" in paper


def test_a_graph_too_wide_to_read_on_paper_is_left_to_the_html_report(view):
    graph = next(g for g in view["graphs"] if g["svg"])
    wide_svg = re.sub(r'width="[0-9.]+"', 'width="1296"', graph["svg"], count=1)
    wide = dict(view, graphs=[dict(g, svg=wide_svg) if g is graph else g
                              for g in view["graphs"]])
    screen, paper = render_view(wide, printed=False), render_view(wide, printed=True)
    assert 'width="1296"' in screen and 'width="1296"' not in paper
    assert "its labels would print at 3.6 pt, too small to read; the picture is in the HTML " \
           "report" in paper
    assert render_view(view, printed=True).count("th-graph") == \
        render_view(view, printed=False).count("th-graph")          # narrow ones print
