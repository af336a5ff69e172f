"""The PDF: byte-identical when reproducible, offline, not blank, pictures included."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from report_builders import write_case
from tracehound.report.html import render_html, write_reports
from tracehound.report.pdf import PdfWorker, PdfWorkerError, pdf_bytes

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                reason="poppler-utils (pdftoppm) is not installed")
MIN_INK = 0.02          # share of non-white pixels on page 1


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Two reproducible runs: one through pdf_bytes on the print edition (keeping the refused
    URLs), one through write_reports on a case rebuilt from the same files."""
    root = tmp_path_factory.mktemp("pdf")
    case = write_case(root / "ev")
    html = render_html(case, reproducible=True)
    printed = render_html(case, reproducible=True, printed=True)
    data, refused = pdf_bytes(printed, True)
    (root / "a.html").write_text(html, encoding="utf-8")
    (root / "a.pdf").write_bytes(data)
    first = {"HTML report": root / "a.html", "PDF report": root / "a.pdf", "refused": refused,
             "printed": printed}
    second = write_reports(write_case(root / "ev"), root / "b.html", root / "b.pdf",
                           reproducible=True)
    return first, second


def pdf_info(pdf: Path) -> str:
    return subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True, timeout=60,
                          text=True).stdout


def read_pgm(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, pixels) of a binary PGM (P5, maxval 255) as pdftoppm writes it."""
    fields, position = [], 0
    while len(fields) < 4:
        while data[position:position + 1].isspace():
            position += 1
        if data[position:position + 1] == b"#":
            position = data.index(b"\n", position) + 1
            continue
        end = position
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[position:end])
        position = end
    magic, width, height, maxval = fields
    assert magic == b"P5" and maxval == b"255"
    pixels = data[position + 1:]
    assert len(pixels) == int(width) * int(height)
    return int(width), int(height), pixels


def page_ink(pdf: Path, page: int = 1) -> float:
    done = subprocess.run(["pdftoppm", "-gray", "-r", "30", "-f", str(page), "-l", str(page),
                           str(pdf)], capture_output=True, check=True, timeout=60)
    width, height, pixels = read_pgm(done.stdout)
    return sum(1 for p in pixels if p < 200) / (width * height)


def test_two_reproducible_runs_give_identical_html_and_pdf(written):
    first, second = written
    assert first["HTML report"].read_bytes() == second["HTML report"].read_bytes()
    assert first["PDF report"].read_bytes() == second["PDF report"].read_bytes()


def test_reproducible_pdf_has_no_dates(written):
    info = pdf_info(written[0]["PDF report"])
    assert "CreationDate" not in info and "ModDate" not in info
    assert "Title:           Case report: agent kepler-sre-agent-01" in info


def test_page_one_is_not_blank(written):
    assert page_ink(written[0]["PDF report"]) > MIN_INK


def test_a_blank_page_would_fail_the_check(tmp_path):
    blank = tmp_path / "blank.pdf"
    blank.write_bytes(pdf_bytes("<!DOCTYPE html><html><body></body></html>", True)[0])
    assert page_ink(blank) < MIN_INK


def test_charts_and_graph_are_drawn_in_the_pdf(written):
    done = subprocess.run(["pdftotext", str(written[0]["PDF report"]), "-"],
                          capture_output=True, check=True, timeout=60, text=True)
    text = done.stdout
    assert "scope creep" in text and "14:02" in text          # timeline chart lanes and axis
    assert "3: aws.s3.list-objects" in text                   # execution graph node label
    assert "D2" in text                                       # drift chart legend


def test_rendering_fetches_nothing(written):
    assert written[0]["refused"] == []
    hostile = ('<!DOCTYPE html><html><head><link rel="stylesheet" href="http://192.0.2.1/x.css">'
               '</head><body><img src="http://192.0.2.1/a.png">'
               '<p style="background:url(https://192.0.2.1/b.png)">x</p></body></html>')
    _, refused = pdf_bytes(hostile, True)
    assert sorted(refused) == ["http://192.0.2.1/a.png", "http://192.0.2.1/x.css",
                               "https://192.0.2.1/b.png"]


def test_live_pdf_carries_its_generation_time(tmp_path):
    case = write_case(tmp_path / "ev", extra=False)
    written = write_reports(case, tmp_path / "r.html", tmp_path / "r.pdf", reproducible=False)
    assert "CreationDate" in pdf_info(written["PDF report"])


def test_the_pdf_worker_renders_the_same_bytes(written):
    with PdfWorker() as worker:
        assert worker.pdf_bytes(written[0]["printed"], True) == \
            written[0]["PDF report"].read_bytes()
        worker.submit("<!DOCTYPE html><html><body><p>again</p></body></html>", True)
        assert worker.result().startswith(b"%PDF-")


def test_a_failure_in_the_pdf_worker_is_raised_in_the_caller():
    with PdfWorker() as worker:
        with pytest.raises(PdfWorkerError, match="rendering the PDF failed"):
            worker.pdf_bytes(None, True)                  # not HTML: WeasyPrint raises
