"""The per-row views as files: `tracehound views` and `tracehound analyze --views DIR`.

The case JSON holds findings (CONTRACT.md, additions of 2026-12); the tools' per-row views
(UAL activity per user, the SaaS timeline and cross-service pairs, the M365 views, sign-ins,
Azure operations) come from `Case.artifacts` as tables and are written here:

- `<view>.csv`: spreadsheet-safe (serialize.safe_cell: secrets scrubbed, formulas defused),
  a row's `ref` as `sha256` and `locator` columns, `refs` as `sha256:locator` words;
- `<view>.jsonl`: one row a line, secrets scrubbed, compact with sorted keys (the case JSON's
  encoder), so the same case gives the same bytes;
- `graphs/<kind>.dot`: every graph whole (the case JSON summarizes one past 2,000 nodes).

A file is written beside its place and renamed over it when complete.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from ..effects.secrets import scrub_json
from . import case_json
from .cloud_views import SIGNIN_COLUMNS
from .atomic_file import write_chunks
from .dot_file import graphs_dot
from .serialize import iter_csv_lines

SIGNINS = "signins"
ALIASES = {"account_activity": SIGNINS}       # the artifact's own name, for the sign-in table
# Columns of the views whose tools hand back plain rows (the o365 views name their own);
# keys a row has beyond these follow in the order they first appear.
COLUMNS = {
    SIGNINS: list(SIGNIN_COLUMNS),
    "ual_users": ["user", "events", "first", "last", "ips", "workloads", "data_access",
                  "privilege_changes", "timeline"],
    "saas_timeline": ["time", "service", "actor", "action", "resource", "client_ip", "outcome",
                      "source", "sha256", "locator"],
    "saas_cross_service": ["actor", "resource", "services", "events", "first", "last"],
    "azure_operations": ["time", "operation", "actor", "target", "source_ip", "status",
                         "outcome", "records", "refs"],
}
ROW_VIEWS = {"account_activity": SIGNINS, "ual_users": "ual_users",
             "saas_timeline": "saas_timeline", "saas_cross_service": "saas_cross_service",
             "azure_operations": "azure_operations"}     # artifact -> view name
_FILE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass
class View:
    name: str
    columns: list[str]
    rows: list[dict[str, Any]]
    total: int                  # rows the tool counted (an o365 view keeps at most its limit)


def views_of(artifacts: Mapping[str, Any]) -> dict[str, View]:
    """Every view the tools produced, by name, in name order."""
    found: dict[str, View] = {}
    for entry in artifacts.get("o365_views") or ():
        rows = list(entry.get("rows") or ())
        found[entry["view"]] = View(entry["view"], _columns(list(entry.get("columns") or ()),
                                                            rows),
                                    rows, int(entry.get("total", len(rows))))
    for key, name in ROW_VIEWS.items():
        if key in artifacts:
            rows = list(artifacts[key] or ())
            found[name] = View(name, _columns(COLUMNS[name], rows), rows, len(rows))
    return dict(sorted(found.items()))


def resolve(name: str) -> str:
    return ALIASES.get(name, name)


def _columns(known: list[str], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    columns = dict.fromkeys(known)
    for row in rows:
        for key in row:
            if key not in columns and not (key == "ref" and "sha256" in columns):
                columns[key] = None
    return list(columns)


def _csv_row(row: Mapping[str, Any]) -> Mapping[str, Any]:
    ref, refs = row.get("ref"), row.get("refs")
    if not isinstance(ref, Mapping) and not isinstance(refs, list):
        return row
    flat = dict(row)
    if isinstance(ref, Mapping):
        flat.setdefault("sha256", ref.get("sha256"))
        flat.setdefault("locator", ref.get("locator"))
    if isinstance(refs, list) and all(isinstance(r, Mapping) for r in refs):
        flat["refs"] = " ".join(f"{r.get('sha256')}:{r.get('locator')}" for r in refs)
    return flat


def csv_lines(view: View) -> Iterator[str]:
    if not view.columns:            # a view with no rows that names no columns: empty file
        return iter(())
    return iter_csv_lines(view.columns, (_csv_row(r) for r in view.rows))


def jsonl_lines(view: View) -> Iterator[bytes]:
    for start in range(0, len(view.rows), 512):
        for row in view.rows[start:start + 512]:
            yield case_json.encode(scrub_json(row)) + b"\n"


def view_bytes(view: View, jsonl: bool) -> Iterator[bytes]:
    if jsonl:
        return jsonl_lines(view)
    return (line.encode("utf-8") for line in csv_lines(view))


def graph_files(graphs: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """`<kind>.dot` -> DOT text of every graph of that kind, whole."""
    kinds: dict[str, list[Mapping[str, Any]]] = {}
    for graph in graphs:
        if isinstance(graph, Mapping):
            kinds.setdefault(str(graph.get("kind") or "graph"), []).append(graph)
    return {f"{_FILE_NAME.sub('_', kind)}.dot": graphs_dot(kind, members)
            for kind, members in sorted(kinds.items())}


def write_views(artifacts: Mapping[str, Any], folder: Path) -> list[str]:
    """Every view as `<view>.csv` and `<view>.jsonl`, every graph kind as
    `graphs/<kind>.dot`, into `folder` (made when missing); the names written, sorted."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, view in views_of(artifacts).items():
        for suffix, jsonl in ((".csv", False), (".jsonl", True)):
            write_chunks(folder / f"{name}{suffix}", view_bytes(view, jsonl))
            written.append(f"{name}{suffix}")
    dots = graph_files(artifacts.get("graphs") or ())
    if dots:
        (folder / "graphs").mkdir(exist_ok=True)
    for file_name, text in dots.items():
        write_chunks(folder / "graphs" / file_name, [text.encode("utf-8")])
        written.append(f"graphs/{file_name}")
    return sorted(written)


def replace_views(artifacts: Mapping[str, Any], folder: Path) -> list[str]:
    """`write_views` into a fresh folder that then takes the place of `folder` (the web
    workbench's `views/` beside case.json: no file of an earlier analysis stays)."""
    folder = Path(folder)
    fresh = folder.parent / f".{folder.name}.partial-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        written = write_views(artifacts, fresh)
        old = folder.parent / f".{folder.name}.old-{os.getpid()}"
        if folder.exists():
            os.replace(folder, old)
        os.replace(fresh, folder)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return written
