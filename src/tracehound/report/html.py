"""The case report as one self-contained HTML file (and its PDF).

The templates, their escaping and the inline CSS are in `render.py`; this module builds the
view of a case (`view.build_view`) and writes the HTML, and the PDF of its print edition.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from .pdf import PdfWorker, pdf_bytes, render_pdf, write_pdf
from .render import render_view
from .view import build_view

__all__ = ["render_html", "render_pdf", "write_reports"]


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_html(case: Any, reproducible: bool, printed: bool = False) -> str:
    """The whole report as HTML text. With `reproducible`, no wall-clock time appears. With
    `printed`, the print edition the PDF is made from (see `render.render_view`)."""
    view = build_view(case, reproducible, None if reproducible else now_utc())
    return render_view(view, printed)


def write_reports(case: Any, html_path: Path, pdf_path: Path | None, reproducible: bool,
                  worker: PdfWorker | None = None,
                  meanwhile: Callable[[], Any] | None = None) -> dict[str, Path]:
    """Write the HTML, and the PDF of the print edition when a path is given; returns
    label -> path written. With a `worker`, the print edition and its PDF render in it (from
    the same view, with the same templates) while the HTML is rendered and written here.
    `meanwhile` (other output of the caller) is called once the worker has the view, before
    the HTML is rendered."""
    view = build_view(case, reproducible, None if reproducible else now_utc())
    if pdf_path is not None and worker is not None:
        worker.submit_view(view, reproducible)
    if meanwhile is not None:
        meanwhile()
    html_path = Path(html_path)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(render_view(view, printed=False), encoding="utf-8")
    written = {"HTML report": html_path}
    if pdf_path is not None:
        data = worker.result() if worker is not None else \
            pdf_bytes(render_view(view, printed=True), reproducible)[0]
        written["PDF report"] = write_pdf(data, Path(pdf_path))
    return written
