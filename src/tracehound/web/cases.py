"""Case folders: where the workbench keeps each case so it can be reopened after a restart.

One folder per case under the cases directory (default ~/.local/share/tracehound/cases):

    <case id>/
      case-meta.json     what the UI lists: title, status, uploads with their hashes, summary
      evidence/...       the uploaded files, copied read-only, under the names they were given
      baseline/<file>    the scope baseline YAML, when one was added (read-only)
      SHA256SUMS         `sha256sum -c SHA256SUMS` re-checks every stored file
      case.json          the analysis (CONTRACT.md document), written by the worker
      case.duckdb        the case store: events and findings, for SQL by hand
      case-run.json      what reports need beyond case.json (stored_case.py)
      reports/           HTML / PDF report and Timesketch timeline, made on first download
                         (the reports from the stored case, not from a second analysis)
      .incoming/         uploads as they stream in (uploads.py), renamed into evidence/

Names given by the browser are attacker-controlled: they are reduced to a relative path of
plain components (no `..`, no absolute paths, no control characters) before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Callable

from ..evidence import CHUNK, utc_now

CASE_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")
MAX_PATH_PARTS = 32
MAX_NAME_BYTES = 255
ACTIVE = ("receiving", "queued", "running")


def default_cases_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tracehound" / "cases"


def safe_relative_path(name: str) -> str:
    """The name as a relative POSIX path of plain components; ValueError when it cannot be."""
    parts = [p for p in re.split(r"[\\/]+", name) if p not in ("", ".")]
    if not parts:
        raise ValueError("a file has no name")
    if len(parts) > MAX_PATH_PARTS:
        raise ValueError(f"path too deep ({len(parts)} folders): {name[:200]!r}")
    for part in parts:
        if part == "..":
            raise ValueError(f"refused: path {name[:200]!r} climbs out of its folder")
        if any(ord(c) < 32 or ord(c) == 127 for c in part):
            raise ValueError(f"refused: control characters in file name {name[:200]!r}")
        if len(part.encode("utf-8")) > MAX_NAME_BYTES:
            raise ValueError(f"file name longer than {MAX_NAME_BYTES} bytes: {part[:80]!r}...")
    return "/".join(parts)


def _unique(relpath: str, taken: set[str]) -> str:
    if relpath not in taken:
        return relpath
    pure = PurePosixPath(relpath)
    for n in range(2, 10_000):
        candidate = str(pure.with_name(f"{pure.stem} ({n}){pure.suffix}"))
        if candidate not in taken:
            return candidate
    raise ValueError(f"too many files named {relpath!r}")


def write_json_atomic(path: Path, value: Any) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)


@dataclass(frozen=True)
class Staged:
    """One uploaded file, written to the case's incoming folder and hashed on the way."""

    relpath: str
    path: Path
    sha256: str
    size: int
    received_at: str


class CaseFolder:
    """One case on disk. Cheap to create; every method reads or writes the folder."""

    def __init__(self, root: Path, lock: threading.RLock):
        self.root = root
        self.id = root.name
        self._lock = lock

    evidence_dir = property(lambda self: self.root / "evidence")
    incoming_dir = property(lambda self: self.root / ".incoming")
    baseline_dir = property(lambda self: self.root / "baseline")
    reports_dir = property(lambda self: self.root / "reports")
    case_json = property(lambda self: self.root / "case.json")
    meta_path = property(lambda self: self.root / "case-meta.json")
    duckdb_path = property(lambda self: self.root / "case.duckdb")

    # ------------------------------------------------------------------ meta
    def meta(self) -> dict[str, Any]:
        with self._lock:
            return json.loads(self.meta_path.read_text(encoding="utf-8"))

    def update(self, **changes: Any) -> dict[str, Any]:
        with self._lock:
            meta = self.meta()
            meta.update(changes)
            write_json_atomic(self.meta_path, meta)
            return meta

    def document(self) -> dict[str, Any] | None:
        """The analysis (case.json), or None before the first analysis finished."""
        try:
            return json.loads(self.case_json.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    # ------------------------------------------------------------------ intake
    def stage(self, relpath: str, stream: BinaryIO, taken: set[str]) -> Staged:
        """Write one uploaded stream to the incoming folder, hashing it as it is written."""
        relpath = _unique(safe_relative_path(relpath), taken)
        taken.add(relpath)
        slot = self.incoming_dir / secrets.token_hex(8)
        slot.mkdir(parents=True)
        target = slot / "upload"
        digest = hashlib.sha256()
        size = 0
        with open(target, "xb") as out:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        return Staged(relpath, target, digest.hexdigest(), size, utc_now())

    def staged(self, relpath: str, received: Any, taken: set[str]) -> Staged:
        """A file already written to an incoming slot (uploads.receive_form), under the
        name it is to be stored as; ValueError when that name cannot be."""
        relpath = _unique(safe_relative_path(relpath), taken)
        taken.add(relpath)
        return Staged(relpath, received.path, received.sha256, received.size,
                      received.received_at)

    def seal(self, staged: list[Staged], progress: Callable[[str, int, int], None]) -> None:
        """Move staged files into evidence/ read-only (a rename: the upload's bytes are
        written once, and hashed as they were), write SHA256SUMS."""
        total = len(staged)
        for done, item in enumerate(staged):
            progress(f"storing {item.relpath}", done, total)
            _settle(item, self.evidence_dir.joinpath(*PurePosixPath(item.relpath).parts))
        progress("hashed", total, total)
        self._drop_empty_incoming()
        uploads = self.meta().get("uploads", []) + [
            {"path": s.relpath, "sha256": s.sha256, "bytes": s.size, "received_at": s.received_at}
            for s in staged]
        self.update(uploads=sorted(uploads, key=lambda u: u["path"]))
        self.write_sums()

    def store_baseline(self, staged: Staged) -> None:
        shutil.rmtree(self.baseline_dir, ignore_errors=True)
        _settle(staged, self.baseline_dir / PurePosixPath(staged.relpath).name)
        self._drop_empty_incoming()
        self.update(baseline={"name": PurePosixPath(staged.relpath).name,
                              "sha256": staged.sha256, "bytes": staged.size,
                              "received_at": staged.received_at})
        self.write_sums()

    def _drop_empty_incoming(self) -> None:
        try:
            self.incoming_dir.rmdir()
        except OSError:
            pass                        # not empty (another upload is staging) or gone

    def write_sums(self) -> None:
        meta = self.meta()
        lines = [f"{u['sha256']}  evidence/{u['path']}" for u in meta.get("uploads", [])]
        if meta.get("baseline"):
            b = meta["baseline"]
            lines.append(f"{b['sha256']}  baseline/{b['name']}")
        (self.root / "SHA256SUMS").write_text("".join(f"{line}\n" for line in lines),
                                              encoding="utf-8")

    def evidence_paths(self) -> list[str]:
        """Every stored evidence file, relative to evidence/, in a stable order."""
        return sorted(u["path"] for u in self.meta().get("uploads", []))

    def baseline_path(self) -> Path | None:
        baseline = self.meta().get("baseline")
        return self.baseline_dir / baseline["name"] if baseline else None

    def clear_outputs(self) -> None:
        """Forget an earlier analysis's reports (they describe the earlier run)."""
        shutil.rmtree(self.reports_dir, ignore_errors=True)


def _settle(item: Staged, target: Path) -> None:
    """Rename a staged file to its place, read-only, and drop its slot."""
    if item.path.stat().st_size != item.size:
        raise OSError(f"{item.relpath}: the staged file is not the size that was uploaded")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(item.path, target)
    target.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    shutil.rmtree(item.path.parent, ignore_errors=True)


def _new_case_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


class CaseLibrary:
    """The cases directory: create, find and list case folders."""

    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()

    def create(self, title: str) -> CaseFolder:
        with self._lock:
            while True:
                root = self.root / _new_case_id()
                if not root.exists():
                    break
            root.mkdir()
            case = CaseFolder(root, self._lock)
            write_json_atomic(case.meta_path, {
                "id": case.id, "title": title[:200], "created": utc_now(),
                "status": "receiving", "message": "", "uploads": [], "baseline": None,
                "summary": None})
            return case

    def get(self, case_id: str) -> CaseFolder:
        if not CASE_ID.match(case_id):
            raise KeyError(case_id)
        root = self.root / case_id
        if not (root / "case-meta.json").is_file():
            raise KeyError(case_id)
        return CaseFolder(root, self._lock)

    def all(self) -> list[dict[str, Any]]:
        """Every case's meta, newest first. Unreadable folders are skipped."""
        found = []
        for root in self.root.iterdir():
            if not CASE_ID.match(root.name):
                continue
            try:
                found.append(CaseFolder(root, self._lock).meta())
            except (OSError, ValueError):
                continue
        return sorted(found, key=lambda m: (m.get("created", ""), m["id"]), reverse=True)

    def mark_interrupted(self) -> int:
        """After a restart no job is running: say so on cases that were left mid-way."""
        count = 0
        for meta in self.all():
            if meta.get("status") in ACTIVE:
                self.get(meta["id"]).update(
                    status="interrupted",
                    message="the server stopped before this analysis finished; run it again")
                count += 1
        return count
