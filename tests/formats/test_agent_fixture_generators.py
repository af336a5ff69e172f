"""The committed agent-shape fixtures are exactly what their generator scripts write."""

from __future__ import annotations

import importlib.util

import pytest

from agent_shapes_support import AGENT_FIXTURES, SHAPES


def load_generator(shape: str):
    path = AGENT_FIXTURES / shape / "generate.py"
    spec = importlib.util.spec_from_file_location(f"agent_fixture_{shape}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_generator_reproduces_the_committed_fixtures(shape):
    rendered = load_generator(shape).render()
    on_disk = {p.name: p.read_text("utf-8") for p in (AGENT_FIXTURES / shape).iterdir()
               if p.is_file() and p.suffix != ".py"}
    assert sorted(rendered) == sorted(on_disk)
    for name, text in rendered.items():
        assert text == on_disk[name], f"{shape}/{name} differs: run its generate.py"
