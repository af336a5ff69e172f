"""The labelled real corpus (tests/data/real/manifest.json), judged end to end: every benign
session is exactly `no-incident` with nothing above low; every labelled risky step is covered by
a finding of medium or above, and the step carries the labelled effect kind.

The labels were written from the raw files by a reader who never ran tracehound on them
(manifest `label.why`); sessions in which nothing happened (start-up handshakes only, the
human's own slash commands) are benign too and must not come out `undetermined`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tracehound.model import SEVERITY_RANK
from tracehound.pipeline import Options, analyze

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from benchmarks.corpus import _flagged, _step_locators  # noqa: E402  (the benchmark's own test)

MANIFEST = json.loads((ROOT / "tests" / "data" / "real" / "manifest.json").read_text("utf-8"))
COMMITTED = [e for e in MANIFEST if e.get("committed_path")]
BENIGN = [e for e in COMMITTED if e["label"]["verdict"] == "benign"]
RISKY = [e for e in COMMITTED if e["label"]["verdict"] == "risky"]


def _case(entry: dict) -> dict:
    return analyze([ROOT / entry["committed_path"]], Options(reproducible=True)).to_json()


def test_the_corpus_has_both_kinds():
    assert len(BENIGN) >= 30 and len(RISKY) >= 1


@pytest.mark.parametrize("entry", BENIGN, ids=[e["id"] for e in BENIGN])
def test_benign_session_is_no_incident(entry: dict):
    doc = _case(entry)
    above_low = [(f["rule"], f["severity"]) for f in doc["findings"]
                 if SEVERITY_RANK[f["severity"]] > SEVERITY_RANK["low"]]
    assert (doc["classification"]["case_type"], above_low) == ("no-incident", [])


@pytest.mark.parametrize("entry", RISKY, ids=[e["id"] for e in RISKY])
def test_risky_steps_are_flagged_with_their_effect(entry: dict):
    doc = _case(entry)
    alarms = [f for f in doc["findings"] if SEVERITY_RANK[f["severity"]] >= SEVERITY_RANK["medium"]]
    locators = _step_locators(doc)
    for step in entry["label"]["steps"]:
        assert _flagged(step, alarms, locators), step["locator"]
        kinds = {effect["kind"] for trace in doc["traces"] for s in trace["steps"]
                 if any(r["locator"] == step["locator"] for r in s.get("refs") or [])
                 for effect in s.get("effects") or []}
        assert step["effect"] in kinds, (step["locator"], kinds)
