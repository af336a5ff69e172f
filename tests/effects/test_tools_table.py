"""data/tools.yaml: every family parses and has an example that gives its effect and a benign
twin that does not; tool names belong to one family only."""

from __future__ import annotations

import pytest

from tracehound.effects.kinds import EFFECT_KINDS
from tracehound.effects.tables import table
from tracehound.effects.tools import _HANDLERS, _normal, tool_effects

DATA = table("tools")
FAMILIES = DATA["families"]


def kinds(case):
    result = tool_effects(case["tool"], case["arguments"], "/home/bob/app", None, "/home/bob/app")
    return {e.kind for e in result.effects}


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f["family"])
def test_family_parses(family):
    assert family["family"] in _HANDLERS
    assert family["names"] and family["examples"] and family["benign"]
    for case in family["examples"] + family["benign"]:
        assert case["effect"] in EFFECT_KINDS


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f["family"])
def test_family_examples_and_benign_twins(family):
    for case in family["examples"]:
        assert case["effect"] in kinds(case), case
    for case in family["benign"]:
        assert case["effect"] not in kinds(case), case


@pytest.mark.parametrize("section", ["shell", "code"])
def test_shell_and_code_sections(section):
    assert DATA[section]["example"]["effect"] in kinds(DATA[section]["example"])
    assert DATA[section]["benign"]["effect"] not in kinds(DATA[section]["benign"])


def test_a_tool_name_belongs_to_one_family():
    seen: dict[str, str] = {}
    for family in FAMILIES:
        for name in family["names"]:
            normal = _normal(name)
            assert normal not in seen, (name, seen.get(normal), family["family"])
            seen[normal] = family["family"]
    assert not set(seen) & {_normal(n) for n in DATA["internal"]}


def test_internal_tools_have_no_effect():
    for name in DATA["internal"]:
        assert tool_effects(name, {}).effects == ()
