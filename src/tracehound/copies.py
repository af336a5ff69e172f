"""One event, many exports: a cloud record seen in several inputs is one event with a ref to
each copy. Runs after parsing, over every event of the case, before the tools.

The same record reaches a case through more than one export: a CloudTrail file and its
Sentinel AWSCloudTrail rows, an Entra audit export and the AuditLogs table, the UAL and
OfficeActivity (or CloudAppEvents' RawEventData), an Entra sign-in and the UAL record of that
sign-in (UserLoggedIn / UserLoginFailed). Copies are joined on the ids the sources share:

| key | events |
|---|---|
| CloudTrail eventID | `aws:cloudtrail` (`event_id`) |
| UAL record Id | `m365:ual` (`record_id`) |
| Entra directory audit id | `entra:audit` (`record_id`) |
| Entra audit correlation id + activity + time (exports without the id) | `entra:audit` |
| Entra sign-in request id | `entra:signin` (`record_id`) and the UAL sign-in's `IntraSystemId` |

Rules:
- only copies in different files are joined (one file's repeated records stay as they are);
- the kept copy is the first by (source preference, sha256, locator): within one source that
  is the (sha256, locator) order; an Entra sign-in is preferred over the UAL record of it (it
  carries the country, network and error code the UAL record lacks);
- the kept event lists the others' refs in `attrs["copies"]` (sorted), the others leave the
  event list and the case store, and every finding that cites the kept event cites every copy
  (`cite_copies`);
- nothing is dropped silently: each file whose records were folded into another file's gets
  one notice with the count, and the pipeline reports the total (tool_runs row `copies`).

The UAL sign-in's IntraSystemId is read from the record itself (`raw`): a UAL file so large
that its events do not keep `raw` (pipeline.RAW_IN_STORE_BYTES) is joined on the UAL Id only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Sequence

from .model import Event, EvidenceFile, EvidenceRef, Finding, ParseIssue

VERSION = "1"
SIGNIN_OPERATIONS = frozenset({"UserLoggedIn", "UserLoginFailed"})
SOURCE_PREFERENCE = {"entra:signin": 0}          # any other source: 1


@dataclass
class Copies:
    """The events with copies folded in, and what was folded."""

    events: list[Event]
    kept: dict[EvidenceRef, tuple[EvidenceRef, ...]] = field(default_factory=dict)
    dropped: set[EvidenceRef] = field(default_factory=set)
    issues: list[ParseIssue] = field(default_factory=list)

    @property
    def merged(self) -> int:
        return len(self.dropped)

    def changed(self) -> set[tuple[str, str]]:
        """(sha256, locator) of every stored row this changed: kept events and dropped ones."""
        return {(r.sha256, r.locator) for r in (*self.kept, *self.dropped)}

    def run_row(self) -> dict[str, Any]:
        """The tool_runs row that makes the folding visible."""
        return {"tool": "copies", "version": VERSION, "status": "success", "findings": 0,
                "merged": self.merged, "kept": len(self.kept)}


def copy_keys(event: Event) -> list[tuple[str, ...]]:
    """The ids under which this event's copies in other exports can be found."""
    attrs = event.attrs
    source = event.source
    keys: list[tuple[str, ...]] = []
    if source == "aws:cloudtrail" and attrs.get("event_id"):
        keys.append(("cloudtrail", str(attrs["event_id"]).lower()))
    elif source == "m365:ual":
        if attrs.get("record_id"):
            keys.append(("ual", str(attrs["record_id"]).lower()))
        if event.action in SIGNIN_OPERATIONS and isinstance(event.raw, dict):
            request = event.raw.get("IntraSystemId")
            if isinstance(request, str) and request.strip():
                keys.append(("signin", request.strip().lower()))
    elif source == "entra:signin" and attrs.get("record_id"):
        keys.append(("signin", str(attrs["record_id"]).lower()))
    elif source == "entra:audit":
        if attrs.get("record_id"):
            keys.append(("audit", str(attrs["record_id"]).lower()))
        if event.session and event.time:        # to the second: exports differ in fractions
            keys.append(("audit-correlation", event.session.lower(), event.action,
                         event.time[:19]))
    return keys


def join_copies(events: Sequence[Event], evidence: Sequence[EvidenceFile]) -> Copies:
    """Fold the copies among `events` (see the module docstring). Pure: returns new lists."""
    groups = _groups(events)
    if not groups:
        return Copies(list(events))
    by_index: dict[int, Event] = {}
    dropped_at: set[int] = set()
    result = Copies([])
    folded: dict[tuple[str, str], int] = defaultdict(int)      # (copy sha, kept sha) -> n
    for members in groups:
        ordered = sorted(members, key=lambda i: _rank(events[i]))
        keeper = events[ordered[0]]
        copies = tuple(sorted(events[i].ref for i in ordered[1:]))
        listed = list(keeper.attrs.get("copies", ())) + [r.to_json() for r in copies]
        by_index[ordered[0]] = replace(keeper, attrs={**keeper.attrs, "copies": listed})
        result.kept[keeper.ref] = copies
        for index in ordered[1:]:
            dropped_at.add(index)
            result.dropped.add(events[index].ref)
            folded[(events[index].ref.sha256, keeper.ref.sha256)] += 1
    result.events = [by_index.get(i, e) for i, e in enumerate(events) if i not in dropped_at]
    result.issues = list(_notices(folded, evidence))
    return result


def fold_copies(evidence: Sequence[EvidenceFile], events: list[Event],
                issues: list[ParseIssue], counts: dict[str, tuple[int, int]],
                store: Any = None) -> Copies:
    """join_copies for the pipeline: the case store and the issues (and each file's issue
    count) follow. A case without copies costs one pass over the events."""
    copies = join_copies(events, evidence)
    if copies.kept and store is not None:
        kept = [e for e in copies.events if e.ref in copies.kept]
        store.replace_events(copies.changed(), kept)
    for issue in copies.issues:
        issues.append(issue)
        found, problems = counts.get(issue.path, (0, 0))
        counts[issue.path] = (found, problems + 1)
    return copies


def _rank(event: Event) -> tuple:
    return (SOURCE_PREFERENCE.get(event.source, 1), event.ref.sha256, _locator_key(event.ref))


def _locator_key(ref: EvidenceRef) -> tuple:
    kind, _, number = ref.locator.partition(" ")
    return (kind, int(number), "") if number.isdigit() else ("", 0, ref.locator)


def _groups(events: Sequence[Event]) -> list[list[int]]:
    """Sets of events (indexes) that are copies of one record, each spanning two files or more;
    keys join transitively (an export without the audit id joins through the correlation)."""
    holders: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for index, event in enumerate(events):
        for key in copy_keys(event):
            holders[key].append(index)
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent.get(i, i) != i:
            parent[i] = parent.get(parent[i], parent[i])
            i = parent[i]
        return i

    for indexes in holders.values():
        files = {events[i].ref.sha256 for i in indexes}
        if len(files) < 2:
            continue               # one file's records are never copies of each other
        for index in indexes:
            parent.setdefault(index, index)
        for other in indexes[1:]:
            a, b = root(indexes[0]), root(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    members: dict[int, list[int]] = defaultdict(list)
    for index in parent:
        members[root(index)].append(index)
    out = []
    for group in members.values():
        if len({events[i].ref.sha256 for i in group}) == len(group) > 1:
            out.append(sorted(group))
    return sorted(out)


def _notices(folded: dict[tuple[str, str], int], evidence: Iterable[EvidenceFile]
             ) -> Iterable[ParseIssue]:
    paths = {f.sha256: f.path for f in evidence}
    for (copy_sha, kept_sha), count in sorted(folded.items()):
        if copy_sha in paths:
            yield ParseIssue(paths[copy_sha], "file",
                             f"{count} record(s) are copies of records in "
                             f"{paths.get(kept_sha, kept_sha)}: each is one event there, "
                             f"citing this file too", notice=True)


def copies_of(events: Iterable[Event]) -> dict[EvidenceRef, tuple[EvidenceRef, ...]]:
    """The kept events' copies as `cite_copies` takes them, read back from the events' attrs
    (for a stage that builds findings after the tools, from events alone: correlate/)."""
    out: dict[EvidenceRef, tuple[EvidenceRef, ...]] = {}
    for event in events:
        listed = event.attrs.get("copies")
        if listed:
            out[event.ref] = tuple(EvidenceRef(str(c["sha256"]), str(c["locator"]))
                                   for c in listed)
    return out


def cite_copies(findings: Sequence[Finding], kept: dict[EvidenceRef, tuple[EvidenceRef, ...]]
                ) -> list[Finding]:
    """Each finding that cites a kept event also cites that event's copies."""
    if not kept:
        return list(findings)
    out: dict[str, Finding] = {}
    for finding in findings:
        extra = [c for r in finding.refs for c in kept.get(r, ())]
        if extra:
            present = set(finding.refs)
            more = tuple(dict.fromkeys(c for c in extra if c not in present))
            finding = replace(finding, refs=finding.refs + more)
        out.setdefault(finding.id, finding)
    return sorted(out.values(), key=Finding.sort_key)
