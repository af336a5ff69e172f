"""data/commands.yaml and data/shell.yaml: every row parses, every row's example gives its
effect and its benign twin does not, every named rule exists."""

from __future__ import annotations

import re

import pytest

from tracehound.effects.command_context import RULES
from tracehound.effects.commands import classify
from tracehound.effects.kinds import EFFECT_KINDS
from tracehound.effects.tables import table

REPO = "/home/bob/app"
ROWS = table("commands")["commands"]
ROW_KEYS = {"match", "flags", "all", "without", "operand", "no_operands", "stdin", "effect",
            "object", "detail", "where", "direction", "public", "handler", "final", "example",
            "benign"}


def _id(row):
    return f"{row['match']}:{row['effect']}:{row['example'][:30]}"


@pytest.mark.parametrize("row", ROWS, ids=_id)
def test_row_parses(row):
    assert set(row) <= ROW_KEYS, set(row) - ROW_KEYS
    assert row["effect"] in EFFECT_KINDS
    assert row["match"].split()
    if "operand" in row:
        re.compile(row["operand"])
    if "handler" in row:
        assert row["handler"] in RULES
    else:
        assert "object" in row
    assert row["stdin"] in ("pipe", "file", "heredoc") if "stdin" in row else True
    assert isinstance(row["example"], str) and isinstance(row["benign"], str)


@pytest.mark.parametrize("row", ROWS, ids=_id)
def test_row_example_gives_the_effect_and_benign_twin_does_not(row):
    example = classify(row["example"], REPO, None, REPO)
    benign = classify(row["benign"], REPO, None, REPO)
    assert row["effect"] in {e.kind for e in example.effects}, example.effects
    assert row["effect"] not in {e.kind for e in benign.effects}, benign.effects
    for result in (example, benign):
        assert not any("read only in part" in note for note in result.notes), result.notes


def test_every_rule_is_named_by_a_row():
    named = {row["handler"] for row in ROWS if "handler" in row}
    assert set(RULES) == named


def test_program_specs_are_well_formed():
    for name, spec in table("commands")["programs"].items():
        assert set(spec) <= {"values", "aliases", "global", "style", "switches", "anywhere",
                             "single"}, name
        assert spec.get("style", "getopt") in ("getopt", "single", "powershell", "cmd"), name
        for option in spec.get("values", []) + list(spec.get("aliases", {})):
            assert option.startswith(("-", "/")), (name, option)


def test_lists_and_patterns_are_well_formed():
    data = table("commands")
    assert all(isinstance(p, str) for p in data["inert"])
    for name, subs in data["dev_tools"].items():
        assert subs == "*" or isinstance(subs, list), name
    for name, spec in data["package_managers"].items():
        assert set(spec) <= {"install", "remove", "global", "global_flags", "global_subs",
                             "project_flags", "project_operands", "local_flags", "flag_subs",
                             "bare"}, name
        if "project_operands" in spec:
            re.compile(spec["project_operands"])
    for pattern in data["code_signals"].values():
        re.compile(pattern)
    for key in ("secret_names", "secret_filters", "registry_persistence", "registry_secrets"):
        re.compile(data[key])
    cloud = data["cloud"]
    assert not set(cloud["read"]) & set(cloud["write"]) & set(cloud["delete"])
    assert set(data["production"]["words"]) == {"prod", "production", "prd", "live"}


@pytest.mark.parametrize("name,spec", sorted(table("commands")["package_managers"].items()))
def test_every_package_manager_installs(name, spec):
    text = f"{name} somepkg" if spec.get("bare") else f"{name} {spec['install'][0]} somepkg"
    kinds = {e.kind for e in classify(text, REPO, None, REPO).effects}
    assert "package-install" in kinds, (text, kinds)


@pytest.mark.parametrize("tool", sorted(t for t, subs in table("commands")["dev_tools"].items()
                                        if subs == "*"))
def test_every_dev_tool_is_exec_dev_tool(tool):
    effects = classify(f"{tool} --check", REPO, None, REPO).effects
    assert [(e.kind, e.detail) for e in effects] == [("exec", "dev-tool")], effects
