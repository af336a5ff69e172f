"""Every row of data/phrases.yaml: its example applies the row, its twin does not.

What "applies" means depends on the section (the table's own header says it): a cue's example
yields a directive of its kind, an action's yields a directive from that row, a near-miss's
yields nothing, an object's resolves to the row's shape, a condition's to the row's kind.
The twin is the close sentence where the row does not apply.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from tracehound.effects.human import read_turn
from tracehound.effects.kinds import EFFECT_KINDS
from tracehound.effects.phrases import (TABLE_PATH, PhraseTableError, build_table, load_table,
                                        word_forms)

RAW = yaml.safe_load(TABLE_PATH.read_text(encoding="utf-8"))
TABLE = load_table()
SECTIONS = ("pasted_lines", "cues", "actions", "noun_kinds", "near_misses", "subject_markers",
            "objects", "condition_cues", "conditions", "approval_conditions", "standalone")
CUE_KINDS = {"grant": "grant", "request": "grant", "only": "grant", "prohibit": "prohibit",
             "await": "await-approval"}


def rows(section):
    return [pytest.param(row, id=f"{section}/{row['id']}") for row in RAW[section]]


def directives(text):
    return read_turn(text, 1, None).directives


def shape(directive):
    """The resolved object's shape ('branch main' -> 'branch'); '?' when unresolved."""
    if not directive.resolved:
        return "?"
    return None if directive.object is None else directive.object.split(" ")[0]


def test_every_row_has_an_id_an_example_and_a_different_twin():
    problems = []
    for section in SECTIONS:
        ids = [row.get("id") for row in RAW[section]]
        if len(ids) != len(set(ids)):
            problems.append(f"{section}: duplicate ids")
        for row in RAW[section]:
            example, twin = row.get("example"), row.get("twin")
            if not row.get("id") or not example or not twin or example == twin:
                problems.append(f"{section}/{row.get('id')}")
    assert problems == []


def test_the_table_has_the_rows_the_issue_names():
    assert len(RAW["near_misses"]) + len([c for c in RAW["cues"] if c["kind"] == "neutral"]) \
        >= 20
    assert {r["id"] for r in RAW["actions"]} >= {
        "push", "force-push", "commit", "open-pr", "delete-branch", "deploy", "install",
        "publish", "send", "modify", "touch"}


@pytest.mark.parametrize("row", rows("cues"))
def test_cue(row):
    found, twin = directives(row["example"]), directives(row["twin"])
    if row["kind"] == "neutral":
        assert found == () and twin != ()
        return
    wanted = CUE_KINDS[row["kind"]]
    assert any(d.kind == wanted for d in found)
    assert not any(d.kind == wanted for d in twin)


@pytest.mark.parametrize("row", rows("actions"))
def test_action(row):
    found = directives(row["example"])
    assert any(d.phrase == row["id"] for d in found), found
    assert directives(row["twin"]) == ()


@pytest.mark.parametrize("row", rows("noun_kinds"))
def test_noun_kinds(row):
    kinds = set(TABLE.noun_kinds[[r["id"] for r in RAW["noun_kinds"]].index(row["id"])].kinds)
    assert any(kinds <= set(d.effects) for d in directives(row["example"]))
    assert not any(kinds <= set(d.effects) for d in directives(row["twin"]))


@pytest.mark.parametrize("row", rows("near_misses") + rows("subject_markers")
                         + rows("pasted_lines"))
def test_yields_nothing(row):
    assert directives(row["example"]) == ()
    assert directives(row["twin"]) != ()


@pytest.mark.parametrize("row", rows("objects"))
def test_object(row):
    wanted = row["object"].split(" ")[0] if row["object"] else None
    found = [shape(d) for d in directives(row["example"])]
    twin = [shape(d) for d in directives(row["twin"])]
    assert found and all(s == wanted for s in found), found
    assert twin and wanted not in twin, twin


@pytest.mark.parametrize("row", rows("condition_cues"))
def test_condition_cue(row):
    found = directives(row["example"])
    assert found and all(d.condition and d.condition.mode == row["mode"] for d in found)
    twin = directives(row["twin"])
    assert twin and not any(d.condition for d in twin)


@pytest.mark.parametrize("row", rows("conditions"))
def test_condition(row):
    found = directives(row["example"])
    assert found and all(d.condition and d.condition.kind == row["kind"] for d in found)
    assert all(d.condition is None or d.condition.kind != row["kind"]
               for d in directives(row["twin"]))


@pytest.mark.parametrize("row", rows("approval_conditions"))
def test_approval_condition(row):
    assert [d.kind for d in directives(row["example"])] == ["await-approval"]
    assert "await-approval" not in [d.kind for d in directives(row["twin"])]


@pytest.mark.parametrize("row", rows("standalone"))
def test_standalone(row):
    assert [d.phrase for d in directives(row["example"])] == [row["id"]]
    assert directives(row["twin"]) == ()


def test_condition_evidence_names_every_condition_kind():
    kinds = {row["kind"] for row in RAW["conditions"]} | {"unknown"}
    assert kinds == set(RAW["condition_evidence"])


def test_groups_name_only_effect_kinds():
    for name, kinds in RAW["groups"].items():
        for kind in kinds:
            assert kind in EFFECT_KINDS or kind[1:] in RAW["groups"], (name, kind)


def test_an_unknown_kind_in_a_row_is_an_error_naming_the_row():
    data = copy.deepcopy(RAW)
    data["actions"][0]["grants"] = ["vcs-teleport"]
    with pytest.raises(PhraseTableError, match="actions/push: unknown effect kind"):
        build_table(data)


def test_a_bad_pattern_is_an_error_naming_the_row():
    data = copy.deepcopy(RAW)
    data["near_misses"][0]["pattern"] = "push("
    with pytest.raises(PhraseTableError, match="near_misses/push-back: bad pattern"):
        build_table(data)


def test_word_forms():
    assert word_forms("push") == ["pushing", "pushes", "pushs", "push"]
    assert "committing" in word_forms("commit") and "commits" in word_forms("commit")
    assert "deleting" in word_forms("delete") and "copies" in word_forms("copy")
    assert word_forms("--force") == ["--force"]


@pytest.mark.parametrize("name", RAW["named_path"]["examples"])
def test_named_path_examples_are_named(name):
    assert read_turn(f"please look at {name} now", 1, None).named == (name,)


@pytest.mark.parametrize("text", RAW["named_path"]["not"])
def test_named_path_near_misses_are_not(text):
    assert read_turn(f"use opus {text} for this", 1, None).named == ()
