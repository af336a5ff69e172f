"""HTML report -> PDF with WeasyPrint, offline and (when asked) byte-reproducible.

Rendering never touches the network: the URL fetcher refuses every URL, and the report has
its CSS inline and uses locally installed fonts (DejaVu). WeasyPrint 70 writes no creation or
modification date unless the HTML carries `dcterms.created` / `dcterms.modified` meta tags
(the reproducible HTML carries none), and no file identifier unless one is passed: we pass
one derived from the HTML's own hash, so the same report always gets the same /ID.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from weasyprint import HTML
from weasyprint.urls import URLFetcher


class RefusingFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that fetches nothing; refused URLs are remembered."""

    def __init__(self) -> None:
        super().__init__(timeout=1, allowed_protocols=())
        self.refused: list[str] = []

    def fetch(self, url, headers=None):  # noqa: ANN001 - WeasyPrint's signature
        self.refused.append(url)
        raise ValueError(f"tracehound renders offline; refused to fetch {url[:80]}")


def pdf_bytes(html: str, reproducible: bool) -> tuple[bytes, list[str]]:
    """The PDF for the HTML, and the URLs that rendering asked for (all refused)."""
    fetcher = RefusingFetcher()
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


def render_pdf(html: str, out: Path, reproducible: bool) -> Path:
    """Write the PDF of `html` to `out` (replacing it) and return the path."""
    data, _ = pdf_bytes(html, reproducible)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out
