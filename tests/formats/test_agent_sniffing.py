"""Each agent-shape fixture is sniffed as its own format, and none of the five agent-shape
parsers claims any other fixture in tests/fixtures/ (or the generated kepler pack)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_shapes_support import AGENT_FIXTURES, FIXTURES, SHAPES, source_of
from tracehound.fixtures.kepler import render
from tracehound.formats import all_parsers, get
from tracehound.formats.base import Sample
from tracehound.sniff import sniff

MINE = sorted(SHAPES.values())


def fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix != ".py"
                  and "__pycache__" not in p.parts)


def own_shape(path: Path) -> str | None:
    if AGENT_FIXTURES in path.parents:
        return SHAPES.get(path.relative_to(AGENT_FIXTURES).parts[0])
    return None


AGENT_FILES = [p for p in fixture_files() if own_shape(p)]
OTHER_FILES = [p for p in fixture_files() if not own_shape(p)]


def test_every_shape_has_runaway_benign_and_corrupt_fixtures():
    found = sorted((p.parent.name, p.stem) for p in AGENT_FILES)
    assert found == sorted((shape, name) for shape in SHAPES
                           for name in ("benign", "corrupt", "runaway"))


@pytest.mark.parametrize("path", AGENT_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_agent_fixture_is_sniffed_as_its_own_shape(path):
    found = sniff(source_of(path))
    assert found.parser is not None and found.parser.name == own_shape(path), found.reason
    assert found.reason and "\n" not in found.reason


@pytest.mark.parametrize("path", AGENT_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_other_parser_claims_it(path):
    sample = Sample.of(source_of(path))
    claims = [p.name for p in all_parsers() if p.name != own_shape(path) and p.sniff(sample)]
    assert claims == []


def test_no_agent_shape_steals_another_fixture(tmp_path):
    """Outside tests/fixtures/agent/, an agent-shape parser may claim a file only when no
    other parser recognises it too (another helper's OpenAI chat request is fair game; a
    kepler trace or a CloudTrail export is not), and never two agent shapes at once."""
    kepler = []
    for name, data in sorted(render().items()):
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        kepler.append(target)
    others = [p for p in all_parsers() if p.name not in MINE]
    contested = []
    for path in OTHER_FILES + kepler:
        sample = Sample.of(source_of(path))
        mine = [name for name in MINE if get(name).sniff(sample)]
        theirs = [p.name for p in others if p.sniff(sample)]
        if mine and (theirs or len(mine) > 1):
            contested.append((path.name, mine, theirs))
    assert contested == []
    assert len(OTHER_FILES) + len(kepler) > 10       # the check really looked at something
