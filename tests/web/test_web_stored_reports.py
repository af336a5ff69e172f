"""Reports come from the stored case (case.json, case.duckdb, case-run.json), not from a
second analysis: the same HTML as a report of a fresh analysis, without running the pipeline."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tracehound import pipeline
from tracehound.pipeline import Options, analyze
from tracehound.report.html import render_html
from tracehound.web import worker
from tracehound.web.stored_case import StoredCase, stored_timeline

CLOUD = Path(__file__).parent.parent / "fixtures" / "cloud" / "bec"


def case_folder(root: Path, source: Path, name: str) -> Path:
    """A case folder as the workbench leaves it after an upload: meta + evidence/."""
    case_dir = root / "20260101-000000-abcdef"
    evidence = case_dir / "evidence" / name
    shutil.copytree(source, evidence)
    uploads = [{"path": f"{name}/{p.relative_to(evidence).as_posix()}"}
               for p in sorted(evidence.rglob("*")) if p.is_file()]
    (case_dir / "case-meta.json").write_text(json.dumps({"uploads": uploads}), encoding="utf-8")
    return case_dir


def stored_and_fresh(root: Path, source: Path, options: Options):
    """The case folder after the workbench's analysis job, and a fresh analysis of the same
    evidence (run from evidence/, as the worker runs it)."""
    case_dir = case_folder(root, source, source.name)
    here = os.getcwd()
    try:
        worker.analyze_case(case_dir, lambda message: None)
        paths = sorted(json.loads((case_dir / "case-meta.json").read_text())["uploads"],
                       key=lambda u: u["path"])
        fresh = analyze([u["path"] for u in paths], options)       # cwd: evidence/
    finally:
        os.chdir(here)
    return case_dir, fresh


@pytest.mark.parametrize("pack", ["kepler", "bec"])
def test_a_report_of_the_stored_case_equals_one_of_a_fresh_analysis(tmp_path, pack,
                                                                    kepler_pack, monkeypatch):
    case_dir, fresh = stored_and_fresh(tmp_path, kepler_pack if pack == "kepler" else CLOUD,
                                       Options())

    def no_second_analysis(*args, **kwargs):
        raise AssertionError("the report analyzed the evidence again")
    monkeypatch.setattr(pipeline, "analyze", no_second_analysis)
    stored = StoredCase.open(case_dir)
    assert len(stored.events) == len(fresh.events) > 0
    here = os.getcwd()
    os.chdir(case_dir / "evidence")
    try:
        assert render_html(stored, reproducible=True) == render_html(fresh, reproducible=True)
        written = worker.render_report(case_dir, lambda message: None, pdf=False)
    finally:
        os.chdir(here)
    assert written["written"] and (case_dir / "reports" / "report.html").is_file()


@pytest.mark.parametrize("pack", ["kepler", "bec"])
def test_the_timeline_of_the_stored_case_equals_one_of_a_fresh_analysis(tmp_path, pack,
                                                                        kepler_pack,
                                                                        monkeypatch):
    case_dir, fresh = stored_and_fresh(tmp_path, kepler_pack if pack == "kepler" else CLOUD,
                                       Options(timeline=True))
    expected = fresh.extra["timeline"]
    assert len(expected) > 0 and any(row["kind"] == "finding" for row in expected)

    def no_second_analysis(*args, **kwargs):
        raise AssertionError("the timeline analyzed the evidence again")
    monkeypatch.setattr(pipeline, "analyze", no_second_analysis)
    assert stored_timeline(case_dir) == expected
    worker.render_timeline(case_dir, lambda message: None)
    csv = (case_dir / "reports" / "timeline.csv").read_text(encoding="utf-8")
    assert csv.splitlines()[0].startswith("message,datetime,timestamp_desc")
    assert len(csv.splitlines()) > len(expected)          # header + a row each (or more)


def test_a_case_without_its_run_file_is_analyzed_again_for_the_timeline(tmp_path,
                                                                       kepler_pack):
    case_dir = case_folder(tmp_path, kepler_pack, kepler_pack.name)
    here = os.getcwd()
    try:
        worker.analyze_case(case_dir, lambda message: None)
        (case_dir / "case-run.json").unlink()
        with pytest.raises(FileNotFoundError):
            stored_timeline(case_dir)
        worker.render_timeline(case_dir, lambda message: None)
    finally:
        os.chdir(here)
    assert (case_dir / "reports" / "timeline.csv").stat().st_size > 0
