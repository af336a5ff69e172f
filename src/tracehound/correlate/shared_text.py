"""What the case JSON writes once: text many findings share, and refs listed twice in one object.

In an agent finding (an agent-runaway category), a trace's scope (the envelope, where it came
from, the human's directives it could not resolve) and the human's quoted directives are the
same for every finding of that trace that cites them; a long session gives hundreds of
findings, each of which would repeat them. The case JSON holds each such value once, in the
top-level `shared` table, and the finding's `details` names it by id: `details.scope` (the
scope object) becomes `details.scope_id`, `details.quote` `details.quote_id`,
`details.awaiting` `details.awaiting_id`. An id is the key and a hash of the value, so it is
the same in every run and every case that holds the same value. Cloud findings keep their
details as they are (an Azure role assignment's `scope` is its ARM scope, not shared text).

A list of refs ({sha256, locator}) inside a finding or a classification signal keeps each ref
once, in its first place. Other lists are left as they are: `[1, 1]` may be a pair.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from ..model import AGENT_CATEGORIES, short_hash

SHARED_DETAILS = ("scope", "quote", "awaiting")   # details keys whose values move to `shared`
REF_KEYS = frozenset(("sha256", "locator"))


def share_details(findings: Iterable[dict[str, Any]]
                  ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(the findings with shared values replaced by ids, the `shared` table by id)."""
    table: dict[str, Any] = {}
    out = []
    for finding in findings:
        details = finding.get("details")
        if finding.get("category") in AGENT_CATEGORIES and isinstance(details, dict) and any(
                _shared(key, details.get(key)) for key in SHARED_DETAILS):
            details = dict(details)
            for key in SHARED_DETAILS:
                value = details.get(key)
                if not _shared(key, value):
                    continue
                ident = shared_id(key, value)
                table.setdefault(ident, value)
                del details[key]
                details[f"{key}_id"] = ident
            finding = {**finding, "details": details}
        out.append(finding)
    return out, dict(sorted(table.items()))


def _shared(key: str, value: Any) -> bool:
    """The scope is an object (the trace's scope); a quote is text."""
    return isinstance(value, dict) if key == "scope" else isinstance(value, str) and bool(value)


def shared_id(key: str, value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return f"{key}-{short_hash(key, text, length=12)}"


def _is_ref(item: Any) -> bool:
    return type(item) is dict and item.keys() == REF_KEYS


def unique_refs(value: Any, depth: int = 0) -> Any:
    """The value with every list of refs holding each ref once (first place kept)."""
    if depth > 64:
        return value
    if isinstance(value, dict):
        return {k: unique_refs(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(_is_ref(item) for item in value):
            seen: set[tuple[str, str]] = set()
            kept = []
            for item in value:
                key = (item["sha256"], item["locator"])
                if key not in seen:
                    seen.add(key)
                    kept.append(item)
            return kept
        return [unique_refs(v, depth + 1) for v in value]
    return value
