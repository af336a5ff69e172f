"""One case, left to right: intake -> sniff + parse -> analyze -> correlate -> Case.

Each stage hands its typed output to the next; nothing reaches back. The Case is what every
front end (CLI, report, web UI) renders; `Case.to_json()` is the CONTRACT.md document.
"""

from __future__ import annotations

import gc
import re
import tempfile
from collections import Counter
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from . import __version__, analyzers as analyzer_pkg
from .analyzers import Context
from .copies import cite_copies, fold_copies
from .effects.secrets import scrub_json
from .evidence import Intake, collect
from .formats.base import Source
from .formats.meter import metered
from .model import EvidenceFile, Event, Finding, ParseIssue, SEVERITY_RANK
from .sigma.merge import merge_sigma
from .sniff import sniff

SCHEMA = "tracehound/1"
# Per-row views: in `Case.artifacts` for `tracehound views` and `--views DIR`, never in the
# case JSON (CONTRACT.md, additions of 2026-12).
VIEWS = ("account_activity", "azure_operations", "o365_views", "saas_cross_service",
         "saas_timeline", "ual_users")
Progress = Callable[[str, int, int], None]       # (what, done, total)
# Long reads as they go: (what, bytes done, bytes total, records so far). "hashing NAME" and
# "extracting NAME" (archive bytes read) during intake, the hashing maybe from its own thread;
# "parsing NAME" and "loading NAME" (DuckDB's bulk load) over the bytes of every source, once
# 64 KB or so, never per record.
Reading = Callable[[str, int, int, int], None]


@dataclass
class Options:
    forced_format: str | None = None
    baseline_path: Path | None = None
    tools: Sequence[str] | None = None            # None: every registered analyzer
    settings: dict[str, Any] = field(default_factory=dict)
    reproducible: bool = False
    progress: Progress | None = None
    reading: Reading | None = None
    store_path: str = ":memory:"                  # a file keeps the case store (web UI cases)
    timeline: bool = False                         # build the super-timeline into case.extra
    tz: str | None = None                          # --tz: the zone of times that name none
    views: bool = True            # build the per-row views (VIEWS); off, their tools skip them


@dataclass
class Case:
    evidence: list[EvidenceFile]
    events: list[Event]
    findings: list[Finding]
    parse_issues: list[ParseIssue]
    counts: dict[str, tuple[int, int]]            # evidence path -> (events, issues)
    artifacts: dict[str, list] = field(default_factory=dict)
    classification: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)   # further sections (timeline, iocs...)
    changed: list[str] = field(default_factory=list)      # originals whose hash changed
    hashed_at: dict[str, str] = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        """True when at least one input produced at least one event."""
        return any(events for events, _ in self.counts.values())

    def worst_severity(self) -> str | None:
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=SEVERITY_RANK.__getitem__)

    def to_json(self) -> dict[str, Any]:
        """The case JSON: the findings' document. Per-row views (VIEWS) stay in `artifacts`
        for `tracehound views` and `--views DIR`; a graph past 2,000 nodes is summarized
        (the whole graph goes to DIR/graphs/<kind>.dot); text many findings share is written
        once in `shared` (correlate/shared_text.py)."""
        from .correlate.graph import summarize_graph
        from .correlate.shared_text import share_details, unique_refs
        out: dict[str, Any] = {
            "schema": SCHEMA,
            "engine": {"name": "tracehound", "version": __version__},
            "evidence": [
                {**e.to_json(), "events": self.counts.get(e.path, (0, 0))[0],
                 "parse_issues": self.counts.get(e.path, (0, 0))[1]}
                for e in self.evidence
            ],
            "traces": self.artifacts.get("traces", []),
            "findings": [unique_refs(f.to_json()) for f in self.findings],
            "graphs": [summarize_graph(g) for g in self.artifacts.get("graphs", [])],
            "classification": unique_refs(self.classification),
            "parse_issues": [i.to_json() for i in self.parse_issues],
        }
        for key in sorted(self.artifacts):          # further tool outputs, e.g. drift_metrics
            if key not in ("traces", "graphs") and key not in VIEWS:
                out[key] = self.artifacts[key]
        for key in sorted(self.extra):
            out[key] = self.extra[key]
        # Evidence text is attacker-controlled and may hold secrets: every section is
        # scrubbed (the traces' steps are built scrubbed: they are the large section).
        out = {key: value if key == "traces" else scrub_json(value)
               for key, value in out.items()}
        out["findings"], shared = share_details(out["findings"])
        if shared:
            out["shared"] = shared
        return out


def locator_key(locator: str) -> tuple:
    match = re.match(r"(line|row) (\d+)$", locator)
    if match:
        return (match.group(1), int(match.group(2)), "")
    return ("", 0, locator)


BULK_BYTES = 64 * 1024 * 1024     # larger sources go straight into DuckDB when a parser can
# A source this large keeps its raw records only in the case store (the `raw` column): the
# Python events drop them once stored, and report excerpts come from the file at the locator.
RAW_IN_STORE_BYTES = 16 * 1024 * 1024
# A case this large gets a store that keeps at most SPILL_MEMORY in memory and spills the rest
# to a temporary folder, so the store does not grow the process by the size of the evidence.
SPILL_BYTES = 32 * 1024 * 1024
SPILL_MEMORY = "128MB"
STORE_BATCH = 5_000              # events handed to the store at a time while parsing
EventSink = Callable[[Sequence[Event]], None]


def parse_sources(intake: Intake, forced: str | None, progress: Progress | None,
                  store: Any = None, stream: bool = False, tz: str | None = None,
                  reading: Reading | None = None
                  ) -> tuple[list[EvidenceFile], list[Event], list[ParseIssue], dict]:
    """Evidence, events, issues and counts of every source. With `stream`, each source's
    events also go into the store in batches as they are parsed (the caller then does not
    load them again), and a large source's events let go of `raw` once stored."""
    evidence: list[EvidenceFile] = []
    events: list[Event] = []
    issues: list[ParseIssue] = list(intake.issues)
    counts: dict[str, tuple[int, int]] = {}
    total = len(intake.sources)
    size, before = sum(s.size for s in intake.sources), [0, 0]      # bytes, records
    for done, source in enumerate(intake.sources):
        if progress:
            progress(f"parsing {source.path}", done, total)
        watch = _source_watch(reading, source, size, before) if reading else None
        sink = (StoreSink(store, release_raw=source.size >= RAW_IN_STORE_BYTES)
                if stream and store is not None else None)
        if tz:
            source = replace(source, tz=tz)
        try:
            found, problems, file, loaded = parse_one(source, forced, store, sink, watch)
        except BaseException:
            if sink is not None:
                sink.close(commit=False)
            raise
        if sink is not None:
            sink.close()
        if stream:
            source.release()          # parsed and stored: the file's bytes are not needed
        evidence.append(file)
        events.extend(found)
        issues.extend(problems)
        counts[source.path] = (len(found) if loaded is None else loaded, len(problems))
        before[0] += source.size
        before[1] += counts[source.path][0]
        if reading:
            reading(f"parsing {source.path}", before[0], size, before[1])
    if progress:
        progress("parsed", total, total)
    return evidence, events, issues, counts


def _source_watch(reading: Reading, source: Source, size: int, before: list[int]
                  ) -> Callable[[str, int, int], None]:
    """(what, bytes of this source, records of it) -> `reading` over every source's bytes."""
    def watch(what: str, offset: int, records: int) -> None:
        reading(f"{what} {source.path}", before[0] + min(offset, source.size), size,
                before[1] + records)
    return watch


def assemble_sessions(evidence: Sequence[EvidenceFile], events: list[Event],
                      issues: list[ParseIssue], counts: dict[str, tuple[int, int]],
                      store: Any = None) -> list[Event]:
    """Session assembly (assembly.py) over the files an agent-runtime parser read: the events
    as assembled; the store, the issues and the per-file issue counts follow. A case without
    such files costs nothing."""
    agent_files = [f for f in evidence if f.format and _agent_family(f.format)]
    if not agent_files:
        return events
    from .assembly import assemble
    joined = assemble(events, agent_files)
    if joined.changed and store is not None:
        store.replace_events(joined.changed, [
            e for e in joined.events if (e.ref.sha256, e.ref.locator) in joined.changed])
    for issue in joined.issues:
        issues.append(issue)
        found, problems = counts.get(issue.path, (0, 0))
        counts[issue.path] = (found, problems + 1)
    return joined.events


def _agent_family(name: str) -> bool:
    from .formats import registry
    try:
        parser = registry.get(name)
    except KeyError:
        return False
    return type(parser).__module__.startswith("tracehound.formats.agent.")


class StoreSink:
    """Takes one source's events in batches while it is parsed and loads them into the store,
    all in one transaction; with `release_raw`, the events then let go of their raw record,
    which the store holds, and of their long tool output (analyzers/agent/outputs.py: a
    model.HeldText stands in for it)."""

    def __init__(self, store: Any, release_raw: bool):
        self._store = store
        self._release_raw = release_raw
        self._begun = False
        self._spill: Any = None

    def __call__(self, batch: Sequence[Event]) -> None:
        if not self._begun:                # not before the first batch: a bulk load may come
            self._store.begin()
            self._begun = True
        self._store.load_events(batch)
        if self._release_raw:
            for event in batch:
                # The batch is stored: Event is frozen, so this is the one deliberate write
                # after construction (the dataclass __init__ writes the same way).
                object.__setattr__(event, "raw", None)
            from .analyzers.agent.outputs import hold_outputs
            from .model import TextSpill
            if self._spill is None:
                self._spill = TextSpill()
            hold_outputs(batch, self._spill)

    def close(self, commit: bool = True) -> None:
        if self._begun:
            self._begun = False
            if commit:
                self._store.commit()
            else:
                self._store.rollback()


@contextmanager
def case_store(path: str, sources: Sequence[Source]) -> Iterator[Any]:
    """The case store: in memory, on disk (`path`), or spilling to a temporary folder when
    the evidence is large."""
    from .store import CaseStore
    if path != ":memory:" or sum(s.size for s in sources) < SPILL_BYTES:
        with CaseStore(path) as store:
            yield store
        return
    with tempfile.TemporaryDirectory(prefix="tracehound-store-") as folder, \
            CaseStore(path, spill_dir=folder, memory_limit=SPILL_MEMORY) as store:
        yield store


def parse_one(source: Source, forced: str | None, store: Any = None,
              sink: EventSink | None = None, watch: Callable[[str, int, int], None] | None = None
              ) -> tuple[list[Event], list[ParseIssue], EvidenceFile, int | None]:
    """Events and issues of one source; the last item counts rows bulk-loaded into the store.
    With a `sink`, the events are also handed to it in batches as they are parsed; `watch`
    gets ("parsing" or "loading", bytes read, records so far) as the reading goes."""
    sniffed = sniff(source, forced)
    if sniffed.parser is None:
        problem = sniffed.reason
        file = EvidenceFile(source.path, source.sha256, source.size, None, None, problem)
        return [], [ParseIssue(source.path, "file", problem)], file, None
    parser = sniffed.parser
    found: list[Event] = []
    problems: list[ParseIssue] = []
    if store is not None and source.size >= BULK_BYTES:
        if watch:
            watch("loading", 0, 0)
            # DuckDB's progress of the load query, or the loader's own (`bulk_meter`: it reads
            # on a connection of its own and reports its offset through formats/meter.py)
            with metered(lambda offset: watch("loading", offset, 0)), (
                    nullcontext() if getattr(parser, "bulk_meter", False) else
                    store.watched(lambda share: watch("loading", int(share * source.size), 0))):
                bulk = parser.bulk_load(source, store)
        else:
            bulk = parser.bulk_load(source, store)
        if bulk is not None:           # (the hash last: the intake may still be computing it)
            file = EvidenceFile(source.path, source.sha256, source.size, parser.name,
                                parser.version, sniffed.reason)
            return [], list(bulk[1]), file, bulk[0]
    file = EvidenceFile(source.path, source.sha256, source.size, parser.name, parser.version,
                        sniffed.reason)
    flushed = 0
    # the readers report their offset now and then (formats/meter.py), with the records so far
    with metered((lambda offset: watch("parsing", offset, len(found))) if watch else None):
        for item in _guarded(parser, source):
            if isinstance(item, ParseIssue):
                problems.append(item)
                continue
            found.append(item)
            if sink is not None and len(found) - flushed >= STORE_BATCH:
                sink(found[flushed:])
                flushed = len(found)
    if sink is not None and len(found) > flushed:
        sink(found[flushed:])
    if not found and not problems:
        problems.append(ParseIssue(source.path, "file", "no records found"))
    return found, problems, file, None


def _guarded(parser: Any, source: Source) -> Iterator[Event | ParseIssue]:
    """The parser's items; a parser that raises ends with an issue instead (a parser bug must
    not lose the rest of the case)."""
    try:
        yield from parser.parse(source)
    except Exception as exc:  # noqa: BLE001 - reported as a ParseIssue
        yield ParseIssue(source.path, "file",
                         f"parser {parser.name} stopped: {type(exc).__name__}: {exc}")


def run_analyzers(events: Sequence[Event], ctx: Context, names: Sequence[str] | None,
                  progress: Progress | None, views: bool = True
                  ) -> tuple[list[Finding], dict[str, list], list[dict[str, Any]]]:
    """Findings, artifacts and a status row per tool (success / no-findings / error).
    Without `views`, a tool whose artifacts are only per-row views (ARTIFACTS_ARE_VIEWS) is
    not asked for them: they are not in the case JSON, and at a million rows they cost
    seconds.

    A tool that raises does not take the others down: its error is recorded in its status
    row (and printed by the CLI), the rest of the case is still analyzed.
    """
    chosen = ([analyzer_pkg.get(n) for n in names] if names is not None
              else analyzer_pkg.all_analyzers())
    findings: list[Finding] = []
    artifacts: dict[str, list] = {}
    runs: list[dict[str, Any]] = []
    for done, analyzer in enumerate(chosen):
        if progress:
            progress(f"running {analyzer.NAME}", done, len(chosen))
        mine = _events_for(analyzer, events, ctx)
        try:
            found = list(analyzer.run(mine, ctx))
            extra = (analyzer.artifacts(mine, ctx)
                     if views or not analyzer.ARTIFACTS_ARE_VIEWS else {})
        except Exception as exc:  # noqa: BLE001 - reported as the tool's ERROR status
            runs.append({"tool": analyzer.NAME, "version": analyzer.VERSION, "status": "error",
                         "findings": 0, "error": f"{type(exc).__name__}: {exc}"})
            continue
        findings.extend(found)
        for key, values in extra.items():
            artifacts.setdefault(key, []).extend(values)
        runs.append({"tool": analyzer.NAME, "version": analyzer.VERSION,
                     "status": "success" if found else "no-findings", "findings": len(found)})
    if progress:
        progress("analyzed", len(chosen), len(chosen))
    unique = {f.id: f for f in findings}
    return sorted(unique.values(), key=Finding.sort_key), artifacts, runs


def _events_for(analyzer: Any, events: Sequence[Event], ctx: Context) -> list[Event]:
    """The events an analyzer consumes; tools that declare the same CONSUMES (and keep the
    default `wants`) share one filtered list instead of filtering every event again."""
    if type(analyzer).wants is not analyzer_pkg.Analyzer.wants:
        return [e for e in events if analyzer.wants(e)]
    cache = ctx.shared.setdefault("_events_by_consumes", {})
    prefixes = tuple(analyzer.CONSUMES)
    if prefixes not in cache:
        cache[prefixes] = ([e for e in events if e.source.startswith(prefixes)] if prefixes
                           else list(events))
    return cache[prefixes]


def analyze(paths: Iterable[str | Path], options: Options | None = None) -> Case:
    """Run the whole pipeline on the given evidence paths and return the Case."""
    options = options or Options()
    from .baseline import load_baseline
    baseline = load_baseline(options.baseline_path) if options.baseline_path else None
    from .correlate import enrich
    watch = _intake_watch(options.reading)
    with collect(list(paths), watch=watch) as intake, case_store(options.store_path,
                                                                 intake.sources) as store, \
            _no_gc_pauses():
        evidence, events, issues, counts = parse_sources(
            intake, options.forced_format, options.progress, store, stream=True, tz=options.tz,
            reading=options.reading)
        events = assemble_sessions(evidence, events, issues, counts, store)
        copies = fold_copies(evidence, events, issues, counts, store)    # copies.py
        events = copies.events
        # every file is read: hash the originals again on the hashing thread while the tools
        # run (they work on the case store, never on the files)
        recheck = intake.recheck()
        ctx = Context(evidence=evidence, baseline=baseline, settings=options.settings,
                      store=store)
        findings, artifacts, runs = run_analyzers(events, ctx, options.tools,
                                                  options.progress, options.views)
        findings = cite_copies(findings, copies.kept)
        findings = merge_sigma(findings)   # a Sigma hit on our finding's refs folds into it
        ctx.shared.clear()        # what the tools shared (traces, steps) ends with the tools
        issues.sort(key=lambda i: (i.path, locator_key(i.locator), i.problem))
        case = Case(evidence, events, findings, issues, counts, artifacts,
                    hashed_at={} if options.reproducible else dict(intake.hashed_at))
        case.extra["tool_runs"] = runs + ([copies.run_row()] if copies.merged else [])
        enrich(case, ctx, timeline=options.timeline)
        case.changed = [f"{o.path}: {problem}" for o, problem in recheck.result()]
    return case


def _intake_watch(reading: Reading | None) -> Callable[[str, int, int], None] | None:
    return (lambda what, done, total: reading(what, done, total, 0)) if reading else None


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """The cyclic garbage collector off while a case is analyzed. A large case allocates
    millions of long-lived objects (events, steps, output records) and nothing cyclic; the
    collector would walk all of them again and again (a third of the run at a million events).
    It is switched back on afterwards, as it was. What the case allocated goes straight to the
    oldest generation first (freeze, then unfreeze: both O(1)), or the first collection after
    would walk all of it as young objects; skipped when the host keeps objects frozen."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def severity_at_least(case: Case, threshold: str) -> bool:
    rank = SEVERITY_RANK[threshold]
    return any(SEVERITY_RANK[f.severity] >= rank for f in case.findings)


def count_by(findings: Sequence[Finding], key: str) -> dict[str, int]:
    return dict(sorted(Counter(getattr(f, key) for f in findings).items()))
