"""A Sigma hit never outranks tracehound's own rule on the same evidence.

Run once after every tool: a finding of the `sigma` tool whose category is that of one of our
own findings (a `TH-` rule of another tool) and whose refs are all among that finding's refs
is folded into it. Ours keeps its rule id, severity and wording; the Sigma rule's id goes into
`details.also_matched` (sorted), and what the Sigma rule's license asks a match to name (id,
title, author, license) into `details.also_matched_sigma`. A Sigma hit that no finding of ours
covers stays a finding of its own.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from ..model import EvidenceRef, Finding

SIGMA_TOOL = "sigma"


def merge_sigma(findings: Sequence[Finding]) -> list[Finding]:
    """The findings with every covered Sigma hit folded into the finding(s) of ours covering
    it, sorted as findings are (Finding.sort_key)."""
    ours = [f for f in findings if _ours(f)]
    by_ref: dict[tuple[str, EvidenceRef], set[int]] = {}
    for index, finding in enumerate(ours):
        for ref in finding.refs:
            by_ref.setdefault((finding.category, ref), set()).add(index)
    folded: dict[int, list[Finding]] = {}
    kept: list[Finding] = []
    for finding in findings:
        if finding.tool != SIGMA_TOOL:
            continue
        covering = _covering(finding, by_ref)
        if not covering:
            kept.append(finding)
        for index in covering:
            folded.setdefault(index, []).append(finding)
    merged = [_fold(f, folded[i]) if i in folded else f for i, f in enumerate(ours)]
    rest = [f for f in findings if f.tool != SIGMA_TOOL and not _ours(f)]
    return sorted(merged + rest + kept, key=Finding.sort_key)


def _ours(finding: Finding) -> bool:
    return finding.tool != SIGMA_TOOL and finding.rule.startswith("TH-")


def _covering(finding: Finding, by_ref: dict[tuple[str, EvidenceRef], set[int]]) -> set[int]:
    """Our findings of the same category whose refs include every ref of `finding`."""
    found: set[int] | None = None
    for ref in finding.refs:
        these = by_ref.get((finding.category, ref), set())
        found = set(these) if found is None else found & these
        if not found:
            return set()
    return found or set()


def _fold(ours: Finding, hits: Sequence[Finding]) -> Finding:
    details: dict[str, Any] = dict(ours.details)
    ids = set(details.get("also_matched", ())) | {_sigma_id(hit) for hit in hits}
    details["also_matched"] = sorted(ids)
    credits = {c["id"]: c for c in details.get("also_matched_sigma", ())}
    for hit in hits:
        credits.setdefault(_sigma_id(hit), _credit(hit))
    details["also_matched_sigma"] = [credits[key] for key in sorted(credits)]
    return replace(ours, details=details)


def _sigma_id(hit: Finding) -> str:
    return str(hit.details.get("sigma_id") or hit.rule.removeprefix("TH-SIGMA-"))


def _credit(hit: Finding) -> dict[str, Any]:
    credit = {"id": _sigma_id(hit), "title": hit.details.get("sigma_title", hit.title),
              "author": hit.details.get("sigma_author")}
    for key in ("sigma_license", "sigma_source"):
        if hit.details.get(key):
            credit[key.removeprefix("sigma_")] = hit.details[key]
    return credit
