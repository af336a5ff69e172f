"""Content-based format detection: which parser reads this file, and a one-line why.

Never by file name: every parser's sniff looks at the decoded prefix and the first records.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import formats  # noqa: F401  (imports register the built-in parsers)
from .formats import registry
from .formats.base import Parser, Sample, Source


@dataclass(frozen=True)
class Sniffed:
    parser: Parser | None
    reason: str


def sniff(source: Source, forced: str | None = None) -> Sniffed:
    if forced:
        parser = registry.get(forced)
        return Sniffed(parser, f"forced with --as {forced}")
    if source.size == 0:
        return Sniffed(None, "file is empty")
    sample = Sample.of(source)
    for parser in registry.all_parsers():
        reason = parser.sniff(sample)
        if reason:
            return Sniffed(parser, reason)
    return Sniffed(None, _describe_unknown(sample))


def _describe_unknown(sample: Sample) -> str:
    text = sample.text
    if "\x00" in text[:4096] or sum(not (c.isprintable() or c.isspace()) for c in text[:4096]) > 64:
        return "unknown format: binary content"
    if sample.records:
        keys = ", ".join(sorted(sample.record_keys())[:8])
        return f"unknown format: NDJSON whose records carry {keys}"
    if sample.document is not None:
        return f"unknown format: a JSON {type(sample.document).__name__} no parser recognises"
    if sample.csv_header:
        return f"unknown format: CSV with header {', '.join(sample.csv_header[:8])}"
    return "unknown format: text no parser recognises"
