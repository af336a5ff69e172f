"""What the Claude Code and Claude Desktop parser tests share beyond agent_shapes_support:
the well-formedness check that also accepts the file-level `file` locator (a file read but
nothing found in it), and parsing a folder of fixture files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from agent_shapes_support import assert_well_formed, parse_path
from tracehound.model import Event, ParseIssue


def well_formed(items: Iterable[Any]) -> None:
    """agent_shapes_support.assert_well_formed, where a file-level issue has locator `file`."""
    items = list(items)
    for item in items:
        if isinstance(item, ParseIssue) and item.locator == "file":
            assert item.problem
    assert_well_formed(i for i in items if not (isinstance(i, ParseIssue)
                                                and i.locator == "file"))


def parse_folder(parser: str, folder: Path, pattern: str
                 ) -> dict[str, tuple[list[Event], list[ParseIssue]]]:
    """Each matching file under `folder` (path relative to it) -> its events and issues."""
    return {path.relative_to(folder).as_posix(): parse_path(parser, path)
            for path in sorted(folder.rglob(pattern))}


def rendered_and_committed(folder: Path) -> tuple[dict[str, str], dict[str, str]]:
    """What the folder's generate.py writes, and the fixture files committed under it."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(f"fixture_{folder.name}",
                                                  folder / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    on_disk = {p.relative_to(folder).as_posix(): p.read_text("utf-8")
               for p in folder.rglob("*") if p.is_file() and p.suffix != ".py"
               and "__pycache__" not in p.parts}
    return module.render(), on_disk
