"""Evidence excerpts for the workbench: the record at sha256 + locator, from the stored copy.

Finding the record behind a locator (`line N`, `row N`, `json:/pointer`), checking that the
bytes still hash to the sha256 cited, redacting secrets and capping the length is the report's
job too, and lives once, in `tracehound.report.excerpts`. What the workbench adds is where the
bytes are: the case's read-only evidence folder, including members of stored archives
(`pack.zip!dir/file.ndjson`, `log.gz!log`), read in memory within a size cap. The text is
returned as data; the page shows it with textContent, never as markup.
"""

from __future__ import annotations

import gzip
import io
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from ..report.excerpts import collect_excerpts

MAX_SOURCE_BYTES = 256 * 1024 * 1024     # larger stored files are cited, not excerpted
SHA256 = re.compile(r"^[0-9a-f]{64}$")
LOCATOR = re.compile(r"^(line [1-9][0-9]{0,11}|row [0-9]{1,12}|json:(/[^\x00-\x1f]*)?)$")


class ExcerptError(LookupError):
    """The excerpt cannot be shown; the message says why (the API answers 404)."""


def _read_capped(handle: Any, shown: str) -> bytes:
    data = handle.read(MAX_SOURCE_BYTES + 1)
    if len(data) > MAX_SOURCE_BYTES:
        raise ExcerptError(f"{shown} is larger than {MAX_SOURCE_BYTES} bytes; query the "
                           "case's DuckDB store instead")
    return data


def _member(data: bytes, member: str, shown: str) -> bytes:
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            try:
                info = archive.getinfo(member)
            except KeyError:
                raise ExcerptError(f"{shown}: no such member in the stored archive") from None
            if info.file_size > MAX_SOURCE_BYTES:
                raise ExcerptError(f"{shown}: member larger than {MAX_SOURCE_BYTES} bytes")
            with archive.open(info) as handle:
                return _read_capped(handle, shown)
    if data[:2] == b"\x1f\x8b":
        with gzip.open(io.BytesIO(data)) as handle:
            return _read_capped(handle, shown)
    raise ExcerptError(f"{shown}: the stored file is not an archive")


def locate(evidence_dir: Path, shown: str) -> tuple[Path, str | None]:
    """(stored file, archive member path or None) for an evidence path as the case names it."""
    root = evidence_dir.resolve()
    parts = shown.split("!")
    for split in range(len(parts), 0, -1):          # a file name may itself hold a "!"
        candidate = (root / "!".join(parts[:split])).resolve()
        if not candidate.is_relative_to(root):
            raise ExcerptError("evidence path outside the case folder")
        if candidate.is_file():
            return candidate, "!".join(parts[split:]) or None
    raise ExcerptError(f"{shown}: not found in the case's evidence folder")


def member_bytes(stored: Path, members: str, shown: str) -> bytes:
    """The bytes of a (possibly nested) member of a stored archive."""
    with open(stored, "rb") as handle:
        data = _read_capped(handle, shown)
    for member in members.split("!"):
        data = _member(data, member, shown)
    return data


def excerpt(evidence_dir: Path, evidence: list[dict[str, Any]], sha256: str,
            locator: str) -> dict[str, Any]:
    """The record at sha256 + locator, as {path, sha256, locator, text, origin, note}."""
    if not SHA256.match(sha256):
        raise ExcerptError("not a sha256")
    if not LOCATOR.match(locator):
        raise ExcerptError("not a locator (line N, row N or json:/pointer)")
    entry = next((e for e in evidence if e.get("sha256") == sha256), None)
    if entry is None:
        raise ExcerptError("no evidence file with that sha256 in this case")
    stored, members = locate(evidence_dir, entry["path"])
    with tempfile.TemporaryDirectory(prefix="tracehound-excerpt-") as tmp:
        if members is None:
            source = stored
        else:
            source = Path(tmp) / "member"
            source.write_bytes(member_bytes(stored, members, entry["path"]))
        found = collect_excerpts([(sha256, locator)],
                                 [{"path": str(source), "sha256": sha256,
                                   "bytes": entry.get("bytes")}], {})
    result = found[(sha256, locator)]
    if result.origin == "unavailable":
        raise ExcerptError(f"{entry['path']} {locator}: {result.note}")
    return {"path": entry["path"], "sha256": sha256, "locator": locator, "text": result.text,
            "origin": result.origin, "note": result.note}
