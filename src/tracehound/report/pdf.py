"""HTML report -> PDF with WeasyPrint, offline and (when asked) byte-reproducible.

Rendering never touches the network: the URL fetcher refuses every URL, and the report has
its CSS inline and uses locally installed fonts (DejaVu). WeasyPrint 70 writes no creation or
modification date unless the HTML carries `dcterms.created` / `dcterms.modified` meta tags
(the reproducible HTML carries none), and no file identifier unless one is passed: we pass
one derived from the HTML's own hash, so the same report always gets the same /ID.

WeasyPrint is imported only when a PDF is rendered (its import loads Pango through cffi and
costs about half a second). A command that will write a PDF can start a `PdfWorker` before it
analyzes the case: a child process imports WeasyPrint, loads the fonts and compiles the report
templates meanwhile, then renders the HTML it is sent, or the print edition of the report view
it is sent (`submit_view`: the same templates as `html.render_html(..., printed=True)`).
The PDF depends only on the HTML, so it is the same bytes either way.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import signal
import sys
import threading
from pathlib import Path
from typing import Any

# The fonts the report's CSS names, in the faces it uses: loaded by the worker's warm-up.
WARM_UP_HTML = ('<!DOCTYPE html><html><body style="font-family: \'DejaVu Sans\'">x <b>x</b> '
                '<code style="font-family: \'DejaVu Sans Mono\'">x</code></body></html>')


def refusing_fetcher() -> Any:
    """A WeasyPrint URL fetcher that fetches nothing; refused URLs are kept in `.refused`."""
    from weasyprint.urls import URLFetcher

    class RefusingFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(timeout=1, allowed_protocols=())
            self.refused: list[str] = []

        def fetch(self, url, headers=None):  # noqa: ANN001 - WeasyPrint's signature
            self.refused.append(url)
            raise ValueError(f"tracehound renders offline; refused to fetch {url[:80]}")

    return RefusingFetcher()


def pdf_bytes(html: str, reproducible: bool) -> tuple[bytes, list[str]]:
    """The PDF for the HTML, and the URLs that rendering asked for (all refused)."""
    from weasyprint import HTML
    fetcher = refusing_fetcher()
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    quiet = logging.getLogger("weasyprint")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        document = HTML(string=html, base_url=None, url_fetcher=fetcher).render()
        data = document.write_pdf(pdf_identifier=identifier, uncompressed_pdf=False)
    finally:
        quiet.setLevel(level)
    return data, fetcher.refused


def write_pdf(data: bytes, out: Path) -> Path:
    """Write PDF bytes to `out` (replacing it) and return the path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def render_pdf(html: str, out: Path, reproducible: bool) -> Path:
    """Write the PDF of `html` to `out` (replacing it) and return the path."""
    return write_pdf(pdf_bytes(html, reproducible)[0], out)


class PdfWorkerError(RuntimeError):
    """The PDF worker failed; carries the child's traceback text."""


def _print_edition(view: Any) -> str:
    """The print edition of a report view."""
    from .render import render_view
    return render_view(view, printed=True)


def _warm_up() -> None:
    """Import WeasyPrint and load the fonts; compile the report templates."""
    for step in (lambda: pdf_bytes(WARM_UP_HTML, True), _warm_templates):
        try:
            step()
        except Exception:   # noqa: BLE001 - reported with the first real request
            pass


def _warm_templates() -> None:
    from .render import compile_templates    # not .html: that imports the analysis
    compile_templates()


def _serve(connection: Any) -> None:
    """The child: warm up (`_warm_up`), then render each request it receives until the parent
    closes the pipe: ("html", HTML, reproducible) or ("view", report view, reproducible).
    Ctrl-C is the parent's to handle (it ends this process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import traceback
    _warm_up()
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        try:
            kind, payload, reproducible = request
            html = _print_edition(payload) if kind == "view" else payload
            data, refused = pdf_bytes(html, reproducible)
            connection.send(("ok", data, refused))
        except Exception:   # noqa: BLE001 - the parent raises it as PdfWorkerError
            connection.send(("error", traceback.format_exc(), []))


def _start_method() -> str:
    """fork where it is safe (Linux, and this process has one thread): the child starts in a
    few milliseconds with the modules already imported; spawn otherwise."""
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    return "spawn"


class PdfWorker:
    """WeasyPrint in a child process, warming up while the parent analyzes the case.

        with PdfWorker() as worker:
            case = analyze(...)
            data = worker.pdf_bytes(render_html(case, True, printed=True), True)
    """

    def __init__(self) -> None:
        for stream in (sys.stdout, sys.stderr):     # a forked child must not flush them again
            try:
                stream.flush()
            except (AttributeError, OSError, ValueError):
                pass
        context = multiprocessing.get_context(_start_method())
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), name="tracehound-pdf",
                                        daemon=True)
        self._process.start()
        child.close()
        self._pending = False

    def submit(self, html: str, reproducible: bool) -> None:
        """Send the HTML to render; `result()` returns its PDF."""
        self._send(("html", html, reproducible))

    def submit_view(self, view: Any, reproducible: bool) -> None:
        """Send a report view (`view.build_view`); the worker renders its print edition and
        `result()` returns the PDF of it."""
        self._send(("view", view, reproducible))

    def _send(self, request: tuple[str, Any, bool]) -> None:
        try:
            self._connection.send(request)
            self._pending = True
        except OSError as exc:
            raise PdfWorkerError(f"the PDF worker ended unexpectedly "
                                 f"(exit code {self._process.exitcode})") from exc

    def result(self) -> bytes:
        """The PDF of the HTML last submitted (waits for it)."""
        try:
            status, payload, _ = self._connection.recv()
            self._pending = False
        except (EOFError, OSError) as exc:
            raise PdfWorkerError(f"the PDF worker ended unexpectedly "
                                 f"(exit code {self._process.exitcode})") from exc
        if status != "ok":
            raise PdfWorkerError(f"rendering the PDF failed in the worker:\n{payload}")
        return payload

    def pdf_bytes(self, html: str, reproducible: bool) -> bytes:
        self.submit(html, reproducible)
        return self.result()

    def close(self) -> None:
        if self._pending and self._process.is_alive():
            self._process.terminate()       # a PDF nobody will read
        try:
            self._connection.send(None)
        except (OSError, ValueError):
            pass
        self._connection.close()
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()

    def __enter__(self) -> "PdfWorker":
        return self

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is not None and self._process.is_alive():
            self._process.terminate()       # interrupted or failed: no PDF is wanted
        self.close()
