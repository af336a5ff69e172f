"""selection.yaml against the shipped folder and SigmaHQ's cloud folder: every rule once, the
included ones shipped verbatim with their license, each exclusion with its reason."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import yaml
from sigma_case import SIGMAHQ

from tracehound.sigma.convert import rule_files
from tracehound.sigma.defaults import (SELECTION, SIGMAHQ as SHIPPED, SIGMAHQ_RULES,
                                       default_rules, selection)
from tracehound.sigma.logsources import BY_KEY
from tracehound.model import CATEGORIES, SEVERITY_RANK

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "tracehound"
KINDS = {"unsupported-logsource", "deprecated", "experimental", "needs-field", "placeholder",
         "noisy-on-benign"}
LEVELS = {"informational": "info", "low": "low", "medium": "medium", "high": "high",
          "critical": "critical"}


def _ids(folder: Path) -> Counter:
    return Counter((p.relative_to(folder).as_posix(),
                    str(yaml.safe_load(p.read_text(encoding="utf-8"))["id"]))
                   for p in rule_files(folder))


def test_selection_covers_every_rule_exactly_once():
    entries = Counter((e.file, e.id) for e in selection().rules)
    assert max(entries.values()) == 1
    assert len({e.id for e in selection().rules}) == len(selection().rules) == 225
    upstream = _ids(SIGMAHQ)
    assert set(entries) == set(upstream) and max(upstream.values()) == 1
    shipped = _ids(SIGMAHQ_RULES)
    assert set(shipped) == {(e.file, e.id) for e in selection().rules if e.included}


def test_shipped_rules_are_verbatim_copies():
    for path in rule_files(SIGMAHQ_RULES):
        relative = path.relative_to(SIGMAHQ_RULES)
        assert path.read_bytes() == (SIGMAHQ / relative).read_bytes(), relative
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["author"], relative


def test_each_decision_follows_from_the_rule_or_names_its_reason():
    for entry in selection().rules:
        document = yaml.safe_load((SIGMAHQ / entry.file).read_text(encoding="utf-8"))
        source = document["logsource"]
        key = f"{source.get('product')}/{source.get('service')}"
        assert (entry.title, entry.status, entry.logsource, entry.level) == (
            document["title"], document.get("status"), key, document.get("level"))
        if entry.included:
            assert key in BY_KEY and entry.status in ("stable", "test"), entry.file
            assert entry.reason is None and entry.reason_kind is None
            assert (entry.category is None) == (entry.category_reason is None), entry.file
            assert entry.category is None or entry.category in CATEGORIES
            continue
        assert entry.reason_kind in KINDS and entry.reason, entry.file
        assert entry.max_severity is None and entry.category is None
        if key not in BY_KEY:
            assert entry.reason_kind == "unsupported-logsource", entry.file
        elif entry.status not in ("stable", "test"):
            assert entry.reason_kind in ("experimental", "deprecated"), entry.file
        else:
            assert entry.reason_kind in ("needs-field", "placeholder", "noisy-on-benign")
        if entry.reason_kind == "noisy-on-benign":
            assert "tests/fixtures/" in entry.reason or "../shared/data" in entry.reason


def test_counts_by_reason():
    kinds = Counter(e.reason_kind or "included" for e in selection().rules)
    assert kinds == {"included": 146, "unsupported-logsource": 52, "experimental": 17,
                     "needs-field": 7, "noisy-on-benign": 2, "placeholder": 1}


def test_severity_caps_lower_the_level_and_say_why():
    capped = [e for e in selection().rules if e.max_severity]
    assert len(capped) == 8
    for entry in capped:
        assert SEVERITY_RANK[entry.max_severity] < SEVERITY_RANK[LEVELS[entry.level]]
        assert "tests/fixtures/cloud/" in entry.severity_reason or \
            "tests/sigma/benign/" in entry.severity_reason, entry.file


def test_every_shipped_rule_converts():
    rules = default_rules()
    assert rules.rejected == [] and len(rules.converted) == 146
    assert all(r.info.origin == "sigmahq" for r in rules.converted)
    assert default_rules() is rules          # compiled once per process


def test_license_and_notice_ship_with_the_rules():
    drl = (SHIPPED / "LICENSE.Detection.Rules.md").read_text(encoding="utf-8")
    assert drl.startswith("# Detection Rule License (DRL) 1.1")
    assert "messages based on matches with the Rules must retain" in drl
    assert (SHIPPED / "LICENSE").read_bytes() == (SIGMAHQ / "LICENSE").read_bytes()
    notice = (SHIPPED / "NOTICE").read_text(encoding="utf-8")
    assert selection().commit in notice.replace("\n", " ")
    assert "SigmaHQ/sigma" in notice and selection().source.startswith("SigmaHQ/sigma@")


def test_package_data_declares_the_shipped_files():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["tracehound"]
    declared = {path for pattern in patterns for path in PACKAGE.glob(pattern)}
    shipped = {p for p in SHIPPED.rglob("*") if p.is_file()}
    assert SELECTION in shipped and len(shipped) == 146 + 4
    assert shipped <= declared, sorted(str(p) for p in shipped - declared)
