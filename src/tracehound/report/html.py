"""The case report as one self-contained HTML file (and its PDF).

Jinja2 renders with autoescaping on for every template, and a finalize hook first makes
hiding characters visible and redacts secrets in every plain string an expression outputs.
The only markup that is not escaped is our own: the inline CSS file and the SVG pictures
built by `charts.py` / `graphs.py`, which escape their own text.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ..effects.secrets import scrub
from .escaping import visible
from .pdf import PdfWorker, pdf_bytes, render_pdf, write_pdf
from .view import build_view

__all__ = ["render_html", "render_pdf", "write_reports"]


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


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_html(case: Any, reproducible: bool, printed: bool = False) -> str:
    """The whole report as HTML text. With `reproducible`, no wall-clock time appears. With
    `printed`, the print edition the PDF is made from (see `_render`)."""
    view = build_view(case, reproducible, None if reproducible else now_utc())
    return _render(view, printed)


def _render(view: dict[str, Any], printed: bool) -> str:
    """The report from its view. The print edition (`printed`) is the lighter one the PDF is
    rendered from: every finding with its evidence links and every section as on screen, but
    plain enumeration steps as one line per run, the first rows of the indicator table, the
    declaration's materials by reference to the preservation log, and the evidence excerpts
    left to the HTML report (each says so where it leaves something out)."""
    picture = _print_picture if printed else Markup
    pictures = {"step_charts": [picture(s) if s else None for s in view["step_charts"]],
                "finding_chart": picture(view["finding_chart"]) if view["finding_chart"]
                else None,
                "drift_svg": picture(view["drift_svg"]) if view["drift_svg"] else None,
                "graph_svgs": [picture(g["svg"]) if g["svg"] else None for g in view["graphs"]]}
    return _env().get_template("report.html.j2").render(v=view, pic=pictures, css=_css(printed),
                                                        printed=printed)


_SVG_TOOLTIP = re.compile(r"<title>[^<]*</title>")


def _print_picture(svg: str) -> Markup:
    """An SVG picture for print: its hover tooltips (<title>, escaped text) left out."""
    return Markup(_SVG_TOOLTIP.sub("", svg))


def write_reports(case: Any, html_path: Path, pdf_path: Path | None, reproducible: bool,
                  worker: PdfWorker | None = None) -> dict[str, Path]:
    """Write the HTML, and the PDF of the print edition when a path is given; returns
    label -> path written. With a `worker`, the PDF renders in it while the HTML is
    rendered and written here."""
    view = build_view(case, reproducible, None if reproducible else now_utc())
    printed = _render(view, printed=True) if pdf_path is not None else None
    if printed is not None and worker is not None:
        worker.submit(printed, reproducible)
    html_path = Path(html_path)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(_render(view, printed=False), encoding="utf-8")
    written = {"HTML report": html_path}
    if printed is not None:
        data = worker.result() if worker is not None else pdf_bytes(printed, reproducible)[0]
        written["PDF report"] = write_pdf(data, Path(pdf_path))
    return written
