"""Evidence intake: find the input files, hash them before and after, open archives safely.

Paths may be files, folders (recursed, sorted) or archives (.zip, .gz). Archive members are
extracted into a private temporary folder, never next to the evidence: entries with absolute
paths or `..` are refused (zip-slip), and so is an archive that would expand past a limit
(zip bomb). Originals are only ever opened for reading; their SHA-256 is taken on intake and
again once the last parser has read them, and any difference is reported loudly.

A plain file's SHA-256 is computed on a background thread from the moment it is taken (a
Digest): hashlib releases the GIL on large buffers, so hashing a 700 MB export runs beside
DuckDB reading it instead of before. Whoever needs the value (a parser writing evidence refs,
the report) waits for it; the bulk loaders need it only after their rows are in.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Callable

from .formats.base import Source
from .model import ParseIssue

CHUNK = 1024 * 1024
DEFAULT_EXPANSION_LIMIT = 4 * 1024 ** 3      # total bytes an archive may expand to
DEFAULT_RATIO_LIMIT = 200                    # expanded / compressed, per archive
SKIPPED_NAMES = {".DS_Store", "Thumbs.db"}
# Who watches the intake: (what, bytes done, bytes total) while a file is hashed ("hashing
# NAME", maybe from the hashing thread) or an archive is extracted ("extracting NAME", bytes
# of the archive read), once a CHUNK.
IntakeWatch = Callable[[str, int, int], None]


class IntakeError(Exception):
    """An input that cannot be taken at all (missing path, unsafe archive)."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def sha256_file(path: Path, watch: Callable[[int], None] | None = None) -> str:
    """The file's SHA-256; `watch` gets the bytes hashed so far once a CHUNK."""
    digest = hashlib.sha256()
    done = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            if watch:
                done += len(chunk)
                watch(done)
    return digest.hexdigest()


def _hash_watch(intake: "Intake", shown: str, size: int) -> Callable[[int], None] | None:
    watch = intake.watch
    return (lambda done: watch(f"hashing {shown}", done, size)) if watch else None


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_HASHING: ThreadPoolExecutor | None = None


def _hashing() -> ThreadPoolExecutor:
    """One background thread hashes files in the order they were taken (one at a time: two
    would fight over the same disk and cores)."""
    global _HASHING
    if _HASHING is None:
        _HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracehound-sha256")
    return _HASHING


class Digest:
    """The SHA-256 of a file, being computed on the hashing thread; `value` waits for it (and
    raises what reading the file raised)."""

    def __init__(self, path: Path, watch: Callable[[int], None] | None = None):
        self.path = path
        self.started = utc_now()
        self._future: Future[str] = _hashing().submit(sha256_file, path, watch)

    @property
    def value(self) -> str:
        return self._future.result()

    def __repr__(self) -> str:
        return f"Digest({str(self.path)!r})"


@dataclass(frozen=True)
class Original:
    """A path the user handed us (file or archive), with the hash taken on intake."""

    path: Path
    digest: str | Digest
    hashed_at: str

    @property
    def sha256(self) -> str:
        return self.digest if isinstance(self.digest, str) else self.digest.value


@dataclass
class Intake(AbstractContextManager):
    """The sources to parse, the originals to re-check, and intake problems."""

    sources: list[Source] = field(default_factory=list)
    originals: list[Original] = field(default_factory=list)
    issues: list[ParseIssue] = field(default_factory=list)
    _hashed_at: dict[str, str] = field(default_factory=dict)    # archive members' times
    watch: IntakeWatch | None = None
    _tmp: tempfile.TemporaryDirectory | None = None

    @property
    def hashed_at(self) -> dict[str, str]:
        """sha256 -> UTC time it was first taken (waits for hashes still being computed)."""
        out: dict[str, str] = {}
        for original in self.originals:
            out.setdefault(original.sha256, original.hashed_at)
        for digest, when in self._hashed_at.items():
            out.setdefault(digest, when)
        return out

    def workdir(self) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="tracehound-")
        return Path(self._tmp.name)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __exit__(self, *exc: object) -> None:
        self.close()

    def changed_originals(self) -> list[tuple[Original, str]]:
        """Originals whose bytes differ now from intake: (original, new hash or problem)."""
        return self.recheck().result()

    def recheck(self) -> "Future[list[tuple[Original, str]]]":
        """changed_originals on the hashing thread, queued behind the intake hashes; the
        caller may go on working and take the result when it needs it."""
        return _hashing().submit(self._changed_now)

    def _changed_now(self) -> list[tuple[Original, str]]:
        changed = []
        for original in self.originals:
            try:
                now = sha256_file(original.path)
            except OSError as exc:
                changed.append((original, f"cannot be read any more: {exc.strerror}"))
                continue
            if now != original.sha256:
                changed.append((original, f"sha256 is now {now}"))
        return changed


def collect(paths: list[str | Path], *, expansion_limit: int = DEFAULT_EXPANSION_LIMIT,
            ratio_limit: int = DEFAULT_RATIO_LIMIT, watch: IntakeWatch | None = None) -> Intake:
    """Walk the given paths into an Intake.

    Raises IntakeError for a path that does not exist (a usage error). An archive that is
    refused (zip-slip, zip bomb, unreadable) becomes a ParseIssue with locator `file`, and the
    other inputs are still taken. `watch` follows hashing and extraction (IntakeWatch).
    """
    intake = Intake(watch=watch)
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise IntakeError(str(given), "no such file or folder")
        files = [(c, str(c)) for c in _walk(path)] if path.is_dir() else [(path, str(given))]
        for file, shown in files:
            try:
                _take_file(intake, file, shown, expansion_limit, ratio_limit)
            except IntakeError as exc:   # one unsafe archive must not stop the others
                intake.issues.append(ParseIssue(exc.path, "file", exc.problem))
    return intake


def _walk(folder: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name in SKIPPED_NAMES or name.startswith("."):
                continue
            found.append(Path(root) / name)
    return sorted(found)


def _take_file(intake: Intake, path: Path, shown: str, expansion_limit: int,
               ratio_limit: int) -> None:
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        intake.issues.append(ParseIssue(shown, "file", "not a regular file; skipped"))
        return
    # reading the first bytes here makes a file we may not read fail at intake, not later
    if _is_zip(path) or _is_gzip(path):
        digest = sha256_file(path, _hash_watch(intake, shown, path.stat().st_size))
        intake.originals.append(Original(path, digest, utc_now()))
        (_take_zip if _is_zip(path) else _take_gzip)(intake, path, shown, expansion_limit,
                                                      ratio_limit)
        return
    lazy = Digest(path, _hash_watch(intake, shown, path.stat().st_size))
    intake.originals.append(Original(path, lazy, lazy.started))
    intake.sources.append(Source(shown, path, lazy, path.stat().st_size))


def _is_zip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def _safe_member_name(name: str) -> PurePosixPath | None:
    """The member's relative path, or None when it would escape the extraction folder."""
    normal = name.replace("\\", "/")
    pure = PurePosixPath(normal)
    if normal.startswith("/") or (len(normal) > 1 and normal[1] == ":"):
        return None
    if any(part == ".." for part in pure.parts):
        return None
    return pure


def _take_zip(intake: Intake, path: Path, shown: str, expansion_limit: int,
              ratio_limit: int) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise IntakeError(shown, f"not a readable zip archive: {exc}") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        for member in members:
            if _safe_member_name(member.filename) is None:
                raise IntakeError(shown, f"refused: archive entry {member.filename!r} would be "
                                         "written outside the extraction folder (zip-slip)")
        declared = sum(m.file_size for m in members)
        compressed = max(1, path.stat().st_size)
        if declared > expansion_limit or declared > ratio_limit * compressed:
            raise IntakeError(shown, f"refused: archive would expand to {declared} bytes "
                                     f"(limit {min(expansion_limit, ratio_limit * compressed)}); "
                                     "possible zip bomb")
        target = intake.workdir() / hashlib.sha256(shown.encode()).hexdigest()[:12]
        written, read = 0, 0
        for member in sorted(members, key=lambda m: m.filename):
            rel = _safe_member_name(member.filename)
            assert rel is not None
            if rel.name in SKIPPED_NAMES or rel.name.startswith(".") or "__MACOSX" in rel.parts:
                continue
            out = target.joinpath(*rel.parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(member) as src, open(out, "wb") as dst:
                    written += _copy_capped(src, dst, expansion_limit - written, shown,
                                            _zip_watch(intake, shown, read, member, compressed))
                read += member.compress_size
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise IntakeError(shown, f"not a readable zip archive: entry "
                                         f"{member.filename!r}: {exc}") from None
            member_shown = f"{shown}!{rel.as_posix()}"
            if _is_zip(out) or _is_gzip(out):
                _take_file(intake, out, member_shown, expansion_limit - written, ratio_limit)
                continue
            digest = sha256_file(out)
            intake._hashed_at.setdefault(digest, utc_now())
            intake.sources.append(Source(member_shown, out, digest, out.stat().st_size))


def _take_gzip(intake: Intake, path: Path, shown: str, expansion_limit: int,
               ratio_limit: int) -> None:
    limit = min(expansion_limit, ratio_limit * max(1, path.stat().st_size))
    name = Path(shown).name
    inner = name[:-3] if name.endswith(".gz") else name + ".out"
    out = intake.workdir() / hashlib.sha256(shown.encode()).hexdigest()[:12] / inner
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with gzip.open(path, "rb") as src, open(out, "wb") as dst:
            watch = intake.watch
            _copy_capped(src, dst, limit, shown, watch and (
                lambda _: watch(f"extracting {shown}", src.fileobj.tell(), path.stat().st_size)))
    except (OSError, EOFError) as exc:
        raise IntakeError(shown, f"not a readable gzip file: {exc}") from None
    digest = sha256_file(out)
    intake._hashed_at.setdefault(digest, utc_now())
    intake.sources.append(Source(f"{shown}!{inner}", out, digest, out.stat().st_size))


def _zip_watch(intake: Intake, shown: str, before: int, member: zipfile.ZipInfo,
               size: int) -> Callable[[int], None] | None:
    """Archive bytes read while one member is extracted: the members before it, and its
    compressed size in the share of it written so far."""
    watch = intake.watch
    if watch is None:
        return None
    share = member.compress_size / max(1, member.file_size)
    return lambda written: watch(f"extracting {shown}", before + int(written * share), size)


def _copy_capped(src, dst, remaining: int, shown: str,
                 watch: Callable[[int], None] | None = None) -> int:
    written = 0
    while chunk := src.read(CHUNK):
        written += len(chunk)
        if written > remaining:
            raise IntakeError(shown, "refused: archive expands past the size limit; "
                                     "possible zip bomb")
        dst.write(chunk)
        if watch:
            watch(written)
    return written


def copy_read_only(src: Path, dst_dir: Path) -> Path:
    """Copy evidence into a case folder and drop write permission on the copy."""
    dst_dir.mkdir(parents=True, exist_ok=True)
    dst = dst_dir / src.name
    shutil.copyfile(src, dst)
    dst.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    return dst
