"""Microsoft Sentinel / Log Analytics table exports (KQL results) -> the native exports' events.

Shapes read: CSV as the portal's "Export to CSV" writes it, a JSON array of row objects, and
JSON lines, with the columns named as the tables name them. The table is told by its columns
(or the `Type` column, which names it), never by the file name; one file may hold rows of
several tables when the query was a `union`. sentinel_tables.py maps each table to the events
the native export gives (SigninLogs -> `entra:signin`, OfficeActivity -> `m365:ual` ...).

Times (CSV especially):
- a zone in the header is honoured: `TimeGenerated [UTC]`, `[UTC+02:00]`; a column named for
  local time (`TimeGenerated [Local Time]`), or zone-less values under a header that names no
  zone, are read with `--tz`; without it they stay null and the column gets one parse issue;
- dates written as a locale does (`21/04/2025, 09:45:54.000`, `4/21/2025, 9:45:54 AM`) are
  read day-first or month-first as the whole FILE says: a value whose first or second number
  is above 12 decides; a file with no deciding value, or with values deciding both ways, gets
  one issue per column and those times stay null. Never decided per row.
- a time that cannot be read at all is an issue naming its row and column.
Columns of type `dynamic` written as JSON text (InitiatedBy, TargetResources, Parameters,
RequestParameters...) are decoded, so CSV and JSON exports of one table give the same events.
A file's rows are all read before its first event (the day/month order is the whole file's):
an export is held in memory while it is parsed (portal exports stop at 30,000 rows).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Iterable, Iterator, Mapping

from ...model import Event, EvidenceRef, ParseIssue
from ..base import Parser, Sample, Source
from ..readers import decode_prefix
from ..records import iter_csv_records, iter_records, looks_like_json, sample_records
from ..registry import register
from ..times import (DAY_FIRST, MIXED, MONTH_FIRST, date_order, has_zone, naive_time,
                     needs_order, place_time, slashed_fields, utc_time)
from . import sentinel_tables as t

_HEADER_ZONE = re.compile(r"^(.*?)\s*\[([^\]]*)\]\s*$")
LOCAL = "local"
# columns of type `dynamic`: a CSV export writes them as JSON text, decoded here (other text
# that happens to look like JSON stays text)
DYNAMIC_COLUMNS = frozenset("""
    Status LocationDetails DeviceDetail AuthenticationDetails ConditionalAccessPolicies MfaDetail
    AuthenticationProcessingDetails NetworkLocationDetails RiskEventTypes RiskEventTypes_V2
    SessionLifetimePolicies AppliedEventListeners AuthenticationContextClassReferences
    TokenProtectionStatusDetails InitiatedBy TargetResources AdditionalDetails Parameters
    ModifiedProperties ExtendedProperties OperationProperties AADTarget Actor Folders
    AffectedItems Item ExtraProperties Members SRRuleMatchDetails Properties Claims
    Authorization HTTPRequest RequestParameters ResponseElements AdditionalEventData Resources
    ServiceEventDetails RawEventData ActivityObjects AdditionalFields IPTags UserAgentTags
    SessionData LastSeenForUser UncommonForUser""".split())
TIME_COLUMNS = frozenset({"TimeGenerated", "Timestamp", "CreatedDateTime", "ActivityDateTime",
                          "SessionCreationDate", "EventSubmissionTimestamp", "Start_Time",
                          "ElevationTime", "ElevationApprovedTime"})


@dataclass(frozen=True)
class Table:
    """A Log Analytics table: the column sets that tell it, its time columns, its builder."""

    name: str
    markers: tuple[frozenset[str], ...]
    times: tuple[str, ...]
    build: t.Builder
    also: tuple[str, ...] = ()           # further `Type` values read the same way

    def told_by(self, columns: Iterable[str]) -> bool:
        present = set(columns)
        return any(marker <= present for marker in self.markers)


def _sets(*groups: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(group.split()) for group in groups)


TABLES = (   # most specific first: AuditLogs before the sign-in tables (both have Identity)
    Table("AuditLogs", _sets("ActivityDisplayName InitiatedBy TargetResources"),
          ("ActivityDateTime", "TimeGenerated"), t.audit_row),
    Table("SigninLogs", _sets("UserPrincipalName ResultType AppDisplayName IPAddress",
                              "ResultType AppId IPAddress CorrelationId ClientAppUsed"),
          ("CreatedDateTime", "TimeGenerated"), t.signin_row,
          also=("AADNonInteractiveUserSignInLogs",)),
    Table("OfficeActivity", _sets("OfficeWorkload Operation", "OfficeId Operation"),
          ("TimeGenerated",), t.office_row),
    Table("AzureActivity", _sets("OperationNameValue ActivityStatusValue",
                                 "OperationNameValue CategoryValue"),
          ("TimeGenerated",), t.azure_row),
    Table("AWSCloudTrail", _sets("EventName EventSource AwsEventId",
                                 "EventName EventSource UserIdentityArn",
                                 "EventName EventSource UserIdentityType"),
          ("TimeGenerated",), t.cloudtrail_row),
    Table("CloudAppEvents", _sets("ActionType Application ActivityType",
                                  "ActionType ApplicationId RawEventData"),
          ("Timestamp", "TimeGenerated"), t.cloud_app_row),
    Table("IdentityDirectoryEvents", _sets("ActionType TargetAccountUpn AdditionalFields",
                                           "ActionType TargetAccountUpn Protocol"),
          ("Timestamp", "TimeGenerated"), t.identity_directory_row),
)
BY_TYPE = {name: table for table in TABLES for name in (table.name, *table.also)}


@lru_cache(maxsize=4096)
def split_header(header: str) -> tuple[str, str | None]:
    """(column, zone label) of a header such as `TimeGenerated [UTC]`; no label: None."""
    match = _HEADER_ZONE.match(header)
    return (match.group(1), match.group(2).strip()) if match else (header.strip(), None)


def header_zone(label: str | None) -> str | None:
    """`UTC`, an offset (`+02:00`), LOCAL for a local-time label, or None (no label)."""
    if label is None:
        return None
    text = label.strip()
    if text.upper() in ("UTC", "GMT", "Z"):
        return "UTC"
    offset = re.fullmatch(r"(?:UTC|GMT)\s*([+-]\d{1,2}(?::?\d{2})?)", text, re.IGNORECASE)
    return offset.group(1) if offset else LOCAL


def table_of(columns: Iterable[str], type_name: Any = None) -> Table | None:
    if isinstance(type_name, str) and type_name in BY_TYPE:
        return BY_TYPE[type_name]
    names = list(columns)
    return next((table for table in TABLES if table.told_by(names)), None)


# --- time columns -----------------------------------------------------------------------------

def _zoneless(value: str) -> bool:
    return slashed_fields(value) is not None or (utc_time(value) is not None
                                                 and not has_zone(value))


@dataclass
class FileTimes:
    """How one file's time columns are read: the file's day/month order, each column's zone,
    and the one problem a column may have (reported once, never per row)."""

    tz: str | None
    order: str | None = None
    zones: dict[str, str | None] = field(default_factory=dict)
    problems: dict[str, tuple[str, str]] = field(default_factory=dict)   # key -> (locator, text)

    @classmethod
    def learn(cls, records: list[tuple[EvidenceRef, dict[str, Any]]], tz: str | None
              ) -> "FileTimes":
        values: dict[str, list[str]] = defaultdict(list)
        first: dict[str, str] = {}
        for ref, record in records:
            for key, item in record.items():
                if is_time_key(key) and isinstance(item, str) and item.strip():
                    values[key].append(item)
                    first.setdefault(key, ref.locator)
        times = cls(tz, order=date_order(v for column in values.values() for v in column))
        for key, column in values.items():
            times.zones[key] = header_zone(split_header(key)[1])
            problem = times._problem(key, column)
            if problem:
                locator = "row 0" if first[key].startswith("row ") else first[key]
                times.problems[key] = (locator, problem)
        return times

    def _problem(self, key: str, column: list[str]) -> str | None:
        slashed = [v for v in column if slashed_fields(v) is not None]
        left = "its times are left empty"
        if slashed and self.order == MIXED:
            return (f"column {key!r}: some dates are day-first and others month-first, so "
                    f"the file has no one day/month order; {left}")
        if self.order is None and any(needs_order(v) for v in slashed):
            return (f"column {key!r}: no date has a day above 12, so day and month cannot be "
                    f"told apart; {left}")
        zone = self.zones.get(key)
        if not any(_zoneless(v) for v in column) or zone not in (LOCAL, None):
            return None
        if self.tz:
            if place_time(datetime(2000, 1, 1), self.tz) is None:
                return f"column {key!r}: --tz {self.tz!r} names no known zone; {left}"
            return None
        if zone == LOCAL:
            return f"column {key!r} holds local times and no --tz was given; {left}"
        return f"column {key!r} holds times without a zone and no --tz was given; {left}"

    def read(self, key: str, item: Any) -> tuple[str | None, str | None]:
        """(UTC ISO time or None, a problem of this one value or None)."""
        if not isinstance(item, str) or not item.strip():
            return None, None
        if has_zone(item):
            time = utc_time(item)
            return time, None if time else f"column {key!r}: unreadable time {item[:40]!r}"
        fields = slashed_fields(item)
        if fields and (self.order == MIXED or (self.order not in (DAY_FIRST, MONTH_FIRST)
                                               and needs_order(item))):
            return None, None                   # the column's problem says why
        stamp = naive_time(item, self.order)
        if stamp is None:
            return None, f"column {key!r}: unreadable time {item[:40]!r}"
        zone = self.zones.get(key)
        if zone in (LOCAL, None):
            zone = self.tz
        return (place_time(stamp, zone) if zone else None), None


@lru_cache(maxsize=4096)
def key_info(key: str) -> tuple[str, bool, bool]:
    """(column, holds times, holds JSON text) of a header or JSON key."""
    column, label = split_header(key)
    return (column, label is not None or column in TIME_COLUMNS,
            column in DYNAMIC_COLUMNS or column.endswith("_d"))


def is_time_key(key: str) -> bool:
    return key_info(key)[1]


def normalize(record: Mapping[str, Any], times: FileTimes, ref: EvidenceRef, path: str
              ) -> tuple[dict[str, Any], list[ParseIssue]]:
    """The row by column name (zone labels dropped): times in UTC, JSON text decoded, empty
    cells left out; plus the issues of single values."""
    row: dict[str, Any] = {}
    issues: list[ParseIssue] = []
    for key, item in record.items():
        if not isinstance(key, str) or item is None or item == "":
            continue
        column, is_time, dynamic = key_info(key)
        if is_time:
            item_time, problem = times.read(key, item)
            if problem:
                issues.append(ParseIssue(path, ref.locator, problem))
            row[column] = item_time
            continue
        row[column] = _decoded(item) if dynamic else item
    return row, issues


def _decoded(item: Any) -> Any:
    if isinstance(item, str) and item[:1] in ("{", "[") and item.rstrip()[-1:] in ("}", "]"):
        try:
            return json.loads(item)
        except (ValueError, RecursionError):
            return item
    return item


# --- the parser -------------------------------------------------------------------------------

@register
class SentinelTableParser(Parser):
    name = "sentinel-log-analytics"
    version = "1"
    priority = 65
    description = ("Microsoft Sentinel / Log Analytics exports (CSV, JSON, JSON lines) of "
                   "SigninLogs, AADNonInteractiveUserSignInLogs, AuditLogs, OfficeActivity, "
                   "AzureActivity, AWSCloudTrail, CloudAppEvents, IdentityDirectoryEvents")
    example = "tests/data/real/sentinel/AWSCloudTrail_ConsoleLogin.csv"

    def sniff(self, sample: Sample) -> str | None:
        if sample.csv_header:
            table = table_of(split_header(h)[0] for h in sample.csv_header)
            if table:
                return f"CSV with the {table.name} table's columns (Log Analytics export)"
            return None
        records = sample_records(sample)[:3] or _first_row(sample)
        for record in records:
            table = table_of(record, record.get("Type"))
            if table and (table.told_by(record) or "TimeGenerated" in record):
                return f"JSON rows with the {table.name} table's columns (Log Analytics export)"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        is_json = looks_like_json(decode_prefix(source.data[:4096]))
        items = iter_records(source) if is_json else iter_csv_records(source)
        records: list[tuple[EvidenceRef, dict[str, Any]]] = []
        for item in items:
            if isinstance(item, ParseIssue):
                yield item
            else:
                records.append(item)
        if not records:
            return
        times = FileTimes.learn(records, source.tz)
        for key, (locator, problem) in sorted(times.problems.items()):
            yield ParseIssue(source.path, locator, problem)
        file_table = None
        if not is_json:
            file_table = table_of(split_header(k)[0] for k in records[0][1])
            yield from _missing_time(source.path, file_table, records[0][1])
        for ref, record in records:
            yield from self._row(source, ref, record, times, file_table)

    def _row(self, source: Source, ref: EvidenceRef, record: dict[str, Any], times: FileTimes,
             file_table: Table | None) -> Iterator[Event | ParseIssue]:
        row, issues = normalize(record, times, ref, source.path)
        table = file_table or table_of(row, row.get("Type"))
        if table is None:
            yield ParseIssue(source.path, ref.locator, "row has the columns of none of the "
                                                       "tables read (" + ", ".join(BY_TYPE) + ")")
            return
        yield from issues
        if file_table is None and not any(c in record for c in table.times):
            yield ParseIssue(source.path, ref.locator, f"{table.name} row has no "
                                                       f"{' / '.join(table.times)}")
        try:
            yield from table.build(ref, row, source.path)
        except (TypeError, ValueError, AttributeError) as exc:   # a value of an unlooked-for type
            yield ParseIssue(source.path, ref.locator,
                             f"unreadable {table.name} row: {type(exc).__name__}: {exc}"[:200])


def _first_row(sample: Sample) -> list[dict[str, Any]]:
    """The first row of a JSON array too large to be loaded for sniffing, read from the
    sample's text."""
    text = sample.text.lstrip()
    if sample.document is not None or not text.startswith("["):
        return []
    try:
        row, _ = json.JSONDecoder().raw_decode(text[1:].lstrip())
    except (ValueError, RecursionError):
        return []
    return [row] if isinstance(row, dict) else []


def _missing_time(path: str, table: Table | None, first: Mapping[str, Any]
                  ) -> Iterator[ParseIssue]:
    columns = {split_header(k)[0] for k in first}
    if table is not None and not columns & set(table.times):
        yield ParseIssue(path, "row 0", f"the {table.name} export has no time column "
                                        f"({' / '.join(table.times)}): its events have no time")
