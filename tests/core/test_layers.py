"""Imports point one way (STYLE.md): model <- formats <- analyzers <- correlate <- report <- cli.

A module may import its own layer or lower ones, never a higher one. Checked on the source
with ast, so a lazy import inside a function counts too. The effects layer and session
assembly (DESIGN.md) import only `model`; parsers never import either.
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[2] / "src" / "tracehound"

LAYERS = {
    "model": 0, "taxonomy": 0, "__init__": 0,
    "formats": 1, "evidence": 1, "sniff": 1, "store": 1, "fixtures": 1, "effects": 1,
    "assembly": 1, "copies": 1,
    "analyzers": 2, "scope": 2, "baseline": 2,
    "drift": 2, "sigma": 2,
    "correlate": 3, "classify": 3, "runbook": 3,
    "pipeline": 4,
    "report": 5,
    "cli": 6, "web": 6,
}


def layer_of(parts):
    head = parts[0] if parts else "__init__"
    head = head[:-3] if head.endswith(".py") else head
    assert head in LAYERS, f"new top-level module {head!r}: give it a layer in LAYERS"
    return LAYERS[head]


def imported_top(node, module_parts):
    """The tracehound top-level name an import refers to, or None for other packages."""
    if isinstance(node, ast.ImportFrom):
        if node.level == 0:
            name = node.module or ""
            return name.split(".")[1] if name.startswith("tracehound.") else None
        base = module_parts[:-node.level] if node.level <= len(module_parts) else []
        target = base + (node.module.split(".") if node.module else [])
        if not target:   # `from . import x` at package root, or `from .. import x`
            return [alias.name for alias in node.names]
        return target[0]
    names = [a.name for a in node.names if a.name.startswith("tracehound.")]
    return [n.split(".")[1] for n in names] or None


def modules():
    for path in sorted(SRC.rglob("*.py")):
        yield path, list(path.relative_to(SRC).parts)


@pytest.mark.parametrize("path,parts", list(modules()), ids=lambda v: str(v)[-50:] if
                         isinstance(v, Path) else None)
def test_no_module_imports_a_higher_layer(path, parts):
    own = layer_of(parts)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        targets = imported_top(node, parts)
        for target in ([targets] if isinstance(targets, str) else targets or []):
            if target in LAYERS and LAYERS[target] > own:
                bad.append(f"line {node.lineno}: imports {target} (layer {LAYERS[target]})")
    assert not bad, f"{'/'.join(parts)} (layer {own}) " + "; ".join(bad)


ONLY_MODEL = ("effects", "assembly", "copies")


def _tracehound_imports(path, parts):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            targets = imported_top(node, parts)
            for target in ([targets] if isinstance(targets, str) else targets or []):
                if target in LAYERS:
                    yield node.lineno, target


@pytest.mark.parametrize("path,parts", [(p, parts) for p, parts in modules()
                                        if parts[0].removesuffix(".py") in ONLY_MODEL
                                        or parts[0] == "formats"],
                         ids=lambda v: str(v)[-50:] if isinstance(v, Path) else None)
def test_effects_and_assembly_import_only_model_and_parsers_never_them(path, parts):
    own = parts[0].removesuffix(".py")
    allowed = {"model", own, "__init__"} if own in ONLY_MODEL else None
    bad = []
    for line, target in _tracehound_imports(path, parts):
        if allowed is not None and target not in allowed:
            bad.append(f"line {line}: imports {target}")
        if allowed is None and target in ONLY_MODEL:
            bad.append(f"line {line}: a parser imports {target}")
    assert not bad, f"{'/'.join(parts)}: " + "; ".join(bad)
