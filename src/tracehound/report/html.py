"""The case report as one self-contained HTML file (and its PDF).

Jinja2 renders with autoescaping on for every template, and a finalize hook first makes
hiding characters visible and redacts secrets in every plain string an expression outputs.
The only markup that is not escaped is our own: the inline CSS file and the SVG pictures
built by `charts.py` / `graphs.py`, which escape their own text.
"""

from __future__ import annotations

from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ..effects.secrets import scrub
from .escaping import visible
from .pdf import render_pdf
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


def _css() -> Markup:
    text = resources.files("tracehound.report").joinpath("templates/report.css").read_text(
        encoding="utf-8")
    if "</" in text:
        raise ValueError("report.css must not contain '</'")
    return Markup(text)


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_html(case: Any, reproducible: bool) -> str:
    """The whole report as HTML text. With `reproducible`, no wall-clock time appears."""
    view = build_view(case, reproducible, None if reproducible else now_utc())
    pictures = {"step_charts": [Markup(s) if s else None for s in view["step_charts"]],
                "finding_chart": Markup(view["finding_chart"]) if view["finding_chart"]
                else None,
                "drift_svg": Markup(view["drift_svg"]) if view["drift_svg"] else None,
                "graph_svgs": [Markup(g["svg"]) if g["svg"] else None for g in view["graphs"]]}
    return _env().get_template("report.html.j2").render(v=view, pic=pictures, css=_css())


def write_reports(case: Any, html_path: Path, pdf_path: Path | None, reproducible: bool
                  ) -> dict[str, Path]:
    """Write the HTML (and PDF when a path is given); returns label -> path written."""
    html = render_html(case, reproducible)
    html_path = Path(html_path)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(html, encoding="utf-8")
    written = {"HTML report": html_path}
    if pdf_path is not None:
        written["PDF report"] = render_pdf(html, Path(pdf_path), reproducible)
    return written
