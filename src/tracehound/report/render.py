"""The report's templates rendered from a view (`view.build_view`): the Jinja2 environment,
the inline CSS, the pictures as markup. `html.py` renders through this module, and so does the
PDF worker, which imports only this (not the analysis the view is built from) and compiles the
templates while the case is analyzed.

Jinja2 renders with autoescaping on for every template, and a finalize hook first makes
hiding characters visible and redacts secrets in every plain string an expression outputs.
The only markup that is not escaped is our own: the inline CSS file and the SVG pictures
built by `charts.py` / `graphs.py`, which escape their own text.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ..effects.secrets import scrub
from .escaping import visible
from .graphs import LABEL_SIZE

PRINT_WIDTH_PX = 688            # A4 less report.css's page margins (182 mm), in CSS pixels
MIN_PRINT_LABEL_PT = 5.0        # a graph whose labels would print smaller is not printed


def _finalize(value: Any) -> Any:
    """Applied to every `{{ ... }}` value before autoescaping (our Markup passes untouched)."""
    if value is None:
        return ""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return scrub(visible(value))


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tracehound.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2", "html.j2"),
                                     default_for_string=True, default=True),
        finalize=_finalize, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["bytes"] = lambda n: f"{n:,}" if isinstance(n, int) else ""
    env.filters["pct"] = lambda x: f"{float(x) * 100:.0f}%" if x is not None else ""
    env.filters["ts"] = lambda t: str(t).replace("T", " ").rstrip("Z") if t else ""
    return env


_ENV: Environment | None = None


def _env() -> Environment:
    global _ENV
    if _ENV is None:
        _ENV = _environment()
    return _ENV


def compile_templates() -> None:
    """Compile every report template now (the PDF worker does while the case is analyzed)."""
    env = _env()
    for name in env.list_templates(extensions=["j2"]):
        env.get_template(name)


def _css(printed: bool = False) -> Markup:
    """report.css, and print.css after it for the print edition."""
    text = ""
    for name in ("report.css", "print.css") if printed else ("report.css",):
        part = resources.files("tracehound.report").joinpath(f"templates/{name}").read_text(
            encoding="utf-8")
        if "</" in part:
            raise ValueError(f"{name} must not contain '</'")
        text += part
    return Markup(text)


def render_view(view: dict[str, Any], printed: bool) -> str:
    """The report from its view. The print edition (`printed`) is the lighter one the PDF is
    rendered from: every finding with its evidence links and every section as on screen, but
    plain enumeration steps as one line per run, the first rows of the indicator table, the
    declaration's materials by reference to the preservation log, and the evidence excerpts
    left to the HTML report, and so is a graph whose labels would print too small to read
    (each says so where it leaves something out); the case-type
    explanation once, in the signal table, when it is exactly the signals' sentences; and
    lighter markup for the same text (see _macros.html.j2, print.css, `_print_picture`)."""
    picture = _print_picture if printed else Markup
    graph_svgs, graph_notes = [], []
    for graph in view["graphs"]:
        svg, note = graph["svg"], None
        if printed and svg and (size := _printed_label_size(svg)) < MIN_PRINT_LABEL_PT:
            svg, note = None, (f"scaled to the page its labels would print at {size:.1f} pt, "
                               "too small to read; the picture is in the HTML report and the "
                               "graph in the JSON output")
        graph_svgs.append(picture(svg) if svg else None)
        graph_notes.append(note)
    pictures = {"step_charts": [picture(s) if s else None for s in view["step_charts"]],
                "finding_chart": picture(view["finding_chart"]) if view["finding_chart"]
                else None,
                "drift_svg": picture(view["drift_svg"]) if view["drift_svg"] else None,
                "graph_svgs": graph_svgs, "graph_notes": graph_notes}
    html = _env().get_template("report.html.j2").render(v=view, pic=pictures,
                                                        css=_css(printed), printed=printed)
    return _CODE_CELL.sub(r'<td class="mono">\1</td>', html) if printed else html


# Print: a table cell that holds one code value becomes a monospace cell, the same text in one
# box less for WeasyPrint (the value is already escaped: the pattern takes no markup).
_CODE_CELL = re.compile(r"<td><code>([^<]*)</code></td>")
_SVG_TOOLTIP = re.compile(r"<title>[^<]*</title>")
_SVG_LINK = re.compile(r"</?a\b[^>]*>")
_SVG_WIDTH = re.compile(r'<svg [^>]*?\bwidth="([0-9.]+)"')


def _printed_label_size(svg: str) -> float:
    """The size in points a graph's labels print at once the picture is scaled to the page
    width (report.css: `.figure svg { max-width: 100% }`)."""
    found = _SVG_WIDTH.match(svg)
    width = float(found.group(1)) if found else 0.0
    return LABEL_SIZE * 0.75 * (min(1.0, PRINT_WIDTH_PX / width) if width > 0 else 1.0)


def _print_picture(svg: str) -> Markup:
    """An SVG picture for print: its hover tooltips (<title>, escaped text) and its link
    wrappers left out (WeasyPrint makes no PDF link of an SVG <a>; it draws the same without)."""
    return Markup(_SVG_LINK.sub("", _SVG_TOOLTIP.sub("", svg)))
