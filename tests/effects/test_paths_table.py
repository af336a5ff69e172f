"""data/paths.yaml: every rule parses; its examples (`is`) get its class, its near-misses
(`not`) do not."""

from __future__ import annotations

import pytest

from tracehound.effects.paths import PATH_KINDS, classify
from tracehound.effects.tables import table

DATA = table("paths")
RULES = [dict(r, kind=r["kind"]) for r in DATA["specific"]] + \
    [dict(DATA["dependency"], kind="dependency")] + list(DATA["general"])


def _id(rule):
    return f"{rule['kind']}:{rule.get('detail')}"


@pytest.mark.parametrize("rule", RULES, ids=_id)
def test_rule_parses(rule):
    assert rule["kind"] in PATH_KINDS
    assert set(rule) <= {"kind", "detail", "paths", "except", "is", "not"}
    assert rule["paths"] and rule["is"] and rule["not"]


@pytest.mark.parametrize("rule", RULES, ids=_id)
def test_rule_examples_and_near_misses(rule):
    for path in rule["is"]:
        found = classify(path)
        assert (found.kind, found.detail) == (rule["kind"], rule.get("detail")), (path, found)
    for path in rule["not"]:
        found = classify(path)
        assert (found.kind, found.detail) != (rule["kind"], rule.get("detail")), (path, found)
