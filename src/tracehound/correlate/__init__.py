"""Correlation over a whole case: address chains, classification, runbook, execution graph,
IOCs, AI-BOM, preservation checklist and (when asked for) the super-timeline."""

from __future__ import annotations

from typing import Any

from ..classify import classify
from ..copies import cite_copies, copies_of
from ..model import Finding
from ..runbook import runbook_for
from .address_chain import address_chains
from .aibom import build_aibom
from .graph import execution_graph
from .ioc import correlate_iocs
from .preservation import checklist
from .timeline import build_timeline, untimed_count


def enrich(case: Any, ctx: Any, *, timeline: bool = False) -> None:
    """Add the correlation sections to an analyzed case; ctx.store is still open here."""
    # a chain cites sign-ins itself: the copies of those records (copies.py) too
    chains = cite_copies(address_chains(case.findings, ctx.store, _engine_version()),
                         copies_of(case.events))
    if chains:
        case.findings = sorted({f.id: f for f in [*case.findings, *chains]}.values(),
                               key=Finding.sort_key)
    graph = execution_graph(case.events, case.artifacts.get("traces", []))
    if graph is not None:
        case.artifacts.setdefault("graphs", []).append(graph)
    case.classification = classify(case.findings, case.events,
                                   case.artifacts.get("graphs", []),
                                   case.artifacts.get("traces", []),
                                   records=sum(n for n, _ in case.counts.values()),
                                   issues=sum(not i.notice for i in case.parse_issues))
    runbook = runbook_for(case.classification["incident_type"],
                          [f.category for f in case.findings])
    if runbook:
        case.extra["runbook"] = runbook
    if any(e.source.startswith(("agent:", "mcp:")) for e in case.events):
        case.extra["aibom"] = build_aibom(case.events)
        case.extra["preservation"] = checklist(case.events, case.evidence)
    case.extra["iocs"] = correlate_iocs(ctx.store, case.evidence)
    if timeline:
        case.extra["timeline"] = build_timeline(ctx.store, case.findings, case.evidence)
        case.extra["timeline_untimed_events"] = untimed_count(ctx.store)


def _engine_version() -> str:
    from .. import __version__
    from .address_chain import TOOL, VERSION
    return f"tracehound {__version__} / {TOOL} {VERSION}"
