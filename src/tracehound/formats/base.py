"""What a parser is: a name, a cheap content sniff, and parse(source) -> events and issues.

Parsers get a `Source` (the bytes, their hash, the name to report) and a `Sample` (the first
bytes decoded plus the first records, computed once for all sniffers). They never see a
mediator object and never do I/O beyond reading their source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Iterator

from ..model import Event, ParseIssue
from .readers import decode_prefix

SAMPLE_BYTES = 256 * 1024
DOCUMENT_SNIFF_LIMIT = 32 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    """One evidence file as a parser sees it."""

    path: str          # the name to report (as given by the user, or archive!member)
    fs_path: Path      # where the bytes are on disk (a temp copy for archive members)
    digest: Any        # the hex SHA-256, or an evidence.Digest still being computed
    size: int
    tz: str | None = field(default=None, compare=False)   # --tz: zone of times naming none

    @property
    def sha256(self) -> str:
        """The file's SHA-256 (waits for it while the intake is still hashing)."""
        return self.digest if isinstance(self.digest, str) else self.digest.value

    @cached_property
    def data(self) -> bytes:
        with open(self.fs_path, "rb") as handle:
            return handle.read()

    def release(self) -> None:
        """Forget the bytes `data` cached (a later use reads the file again)."""
        self.__dict__.pop("data", None)


@dataclass
class Sample:
    """What sniffers look at: a decoded prefix and the first records in each likely shape."""

    text: str
    size: int
    records: list[dict[str, Any]] = field(default_factory=list)   # first NDJSON objects
    document: Any = None                                           # whole JSON doc if small
    csv_header: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, source: Source) -> "Sample":
        with open(source.fs_path, "rb") as handle:
            head = handle.read(SAMPLE_BYTES)
        text = decode_prefix(head)
        sample = cls(text=text, size=source.size)
        stripped = text.lstrip()
        if stripped[:1] in ("{", "[") and source.size <= DOCUMENT_SNIFF_LIMIT:
            from .readers import load_json
            doc, issues = load_json(source.data, source.path)
            if not issues:
                sample.document = doc
        elif stripped[:1] == "[":
            # a large JSON array (an export of records): its first whole elements stand for
            # the document, so the sniffers see the records as they do in a small one
            sample.document = _array_head(stripped) or None
        if stripped[:1] == "{":
            for line in text.splitlines()[:20]:
                line = line.strip()
                if not line:
                    continue
                try:
                    value = json.loads(line)
                except (json.JSONDecodeError, RecursionError):
                    continue
                if isinstance(value, dict):
                    sample.records.append(value)
                if len(sample.records) >= 5:
                    break
        elif stripped and stripped[0] not in "{[<":
            first = text.splitlines()[0] if text.splitlines() else ""
            if "," in first or "\t" in first:
                import csv
                try:
                    sample.csv_header = [h.strip() for h in next(csv.reader([first]))]
                except (csv.Error, StopIteration):
                    sample.csv_header = []
        return sample

    def record_keys(self) -> set[str]:
        """Top-level keys of the first NDJSON records (or of the first element of a JSON list)."""
        keys: set[str] = set()
        for record in self.records or self.list_items()[:5]:
            keys.update(record.keys())
        return keys

    def list_items(self) -> list[dict[str, Any]]:
        """The document's dict items if it is a JSON array (else [])."""
        if isinstance(self.document, list):
            return [item for item in self.document if isinstance(item, dict)]
        return []


def _array_head(text: str, count: int = 20) -> list[Any]:
    """The first whole elements of the JSON array `text` begins (a prefix of the file)."""
    decoder, items, index = json.JSONDecoder(), [], 1
    while len(items) < count:
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        try:
            value, index = decoder.raw_decode(text, index)
        except (json.JSONDecodeError, RecursionError):
            break
        items.append(value)
    return items


class Parser:
    """Base class: subclasses set the class attributes and implement sniff and parse."""

    name: ClassVar[str]                 # the format name users see and pass to --as
    version: ClassVar[str] = "1"
    priority: ClassVar[int] = 50        # higher sniffs first (more specific shapes)
    description: ClassVar[str] = ""
    # the name of one real file of this format (tests/data/real/, or the export it is named
    # after), shown by `tracehound tools --formats`
    example: ClassVar[str] = ""

    def sniff(self, sample: Sample) -> str | None:
        """A one-line reason when the content looks like this format, else None."""
        raise NotImplementedError

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        raise NotImplementedError

    def bulk_load(self, source: Source, store: "object") -> "tuple[int, list[ParseIssue]] | None":
        """Stream a large source straight into the case store's `events` table with SQL.

        Returns (events loaded, issues), or None when this parser has no bulk path (the
        pipeline then parses in Python). The rows must equal what `parse` would produce.
        """
        return None
