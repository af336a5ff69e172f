"""Small readers every agent-runtime parser shares: times, JSON documents, argument values.

The records themselves go to a `builder.TraceBuilder`, which numbers steps and builds the
Events (docs/events.md, docs/agent-sessions.md). Arguments that are JSON text become a dict;
anything else is kept as text, never a crash.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator

from ...model import EvidenceRef, ParseIssue, line_ref, pointer_ref
from .actions import as_text, first_of, host_of  # noqa: F401  (shared by every shape)
from ..base import Source
from ..times import format_utc, utc_time
from ..readers import iter_ndjson, load_json

Ref = Callable[..., EvidenceRef]        # path tokens inside the record -> its EvidenceRef

# ----------------------------------------------------------------------------- small readers

# The spelling agent runtimes write nearly always: `2026-04-12T14:00:00(.fff)Z`, ASCII digits.
_CANONICAL_UTC = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
                            r"(?:\.([0-9]{1,9}))?Z")


@lru_cache(maxsize=4096)
def _real_day(year: str, month: str, day: str) -> bool:
    try:
        datetime(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def utc_iso(value: Any) -> str | None:
    """m365_fields.utc_time (UTC ISO 8601 with Z, fraction only when non-zero, or None), with
    the canonical spelling read by slicing rather than through datetime: same text out."""
    match = _CANONICAL_UTC.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return utc_time(value)
    year, month, day, hour, minute, second, fraction = match.groups()
    if not (hour < "24" and minute < "60" and second < "60" and _real_day(year, month, day)):
        return utc_time(value)
    digits = (fraction or "")[:6].rstrip("0")
    return f"{year}-{month}-{day}T{hour}:{minute}:{second}{'.' + digits if digits else ''}Z"


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def epoch_iso(value: Any, unit: str = "auto") -> str | None:
    """Unix time (seconds, ms, us or ns; number or digit string) -> UTC ISO `...Z`, or None.

    With unit "auto" the magnitude decides; "ns" is OTLP's `...UnixNano`.
    """
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or value <= 0:
        return None
    scale = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}.get(unit)
    if scale is None:
        scale = next(s for limit, s in ((1e11, 1), (1e14, 1_000), (1e17, 1_000_000),
                                        (float("inf"), 1_000_000_000)) if value < limit)
    if isinstance(value, float):
        value = int(value * 1_000_000 / scale)
        scale = 1_000_000
    seconds, rest = divmod(value, scale)
    try:
        moment = datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return format_utc(moment.replace(microsecond=rest * 1_000_000 // scale))


def any_time(value: Any) -> str | None:
    """An ISO text time or a Unix epoch number, normalized; None when unreadable."""
    if isinstance(value, str) and not value.strip().isdigit():
        return utc_iso(value)
    return epoch_iso(value)


def time_key(iso: str | None) -> str:
    """A sort key for normalized times that orders `...05Z` before `...05.5Z`."""
    if not iso:
        return ""
    whole, _, fraction = iso.rstrip("Z").partition(".")
    return f"{whole}.{fraction.ljust(6, '0')}"


def is_ndjson(data: bytes) -> bool:
    """True when the first non-blank line is a JSON object on its own and more follows."""
    first = next((line for line in data.splitlines() if line.strip()), b"")
    try:
        return isinstance(json.loads(first), dict) and first.strip() != data.strip()
    except (ValueError, RecursionError):
        return False


def line_documents(items: Iterable[tuple[int, Any] | ParseIssue], source: Source,
                   issues: list[ParseIssue]) -> Iterator[tuple[Any, Ref]]:
    """(value, ref maker) for each numbered NDJSON item (refs `line N`); issues to `issues`."""
    for item in items:
        if isinstance(item, ParseIssue):
            issues.append(item)
        else:
            number, record = item
            yield record, (lambda *_tokens, n=number: line_ref(source.sha256, n))


def json_documents(source: Source, issues: list[ParseIssue]) -> Iterator[tuple[Any, Ref]]:
    """(value, ref maker) for each NDJSON line (refs `line N`), or once for a whole JSON
    document (refs `json:/pointer`). Unreadable lines and documents go to `issues`."""
    if is_ndjson(source.data):
        yield from line_documents(iter_ndjson(source.data, source.path), source, issues)
        return
    doc, problems = load_json(source.data, source.path)
    issues.extend(problems)
    if doc is not None:
        yield doc, (lambda *tokens: pointer_ref(source.sha256, *tokens))


# ----------------------------------------------------------------------------- values


def normalize_arguments(value: Any) -> dict[str, Any] | str:
    """Tool arguments as events.md wants them: a dict, or the text as given when not a
    JSON object (free text, a JSON list or scalar, broken JSON)."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            return value
        return decoded if isinstance(decoded, dict) else value
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return str(value)


def text_of(value: Any, depth: int = 0) -> str | None:
    """Tool output as text: strings as they are, content blocks joined, other JSON dumped."""
    if value is None or depth > 20:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = [text_of(item, depth + 1) for item in value]
        return "\n".join(p for p in parts if p) or None
    if isinstance(value, dict):
        for key in ("text", "content"):
            if isinstance(value.get(key), (str, list)) and set(value) <= {key, "type"}:
                return text_of(value[key], depth + 1)
        if value.get("type") == "text" and isinstance(value.get("text"), str):
            return value["text"]
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return str(value)


def prompt_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()
