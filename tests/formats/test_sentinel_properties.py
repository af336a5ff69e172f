"""Properties of the Sentinel parser: it never raises, and every row of an export becomes an
event or a parse issue (or both), never nothing."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import HealthCheck, given, settings, strategies as st

from cloud_support import assert_located
from sentinel_support import parse_text, split
from tracehound.formats.cloud.sentinel import TABLES

PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
COLUMNS = sorted({c for table in TABLES for marker in table.markers for c in marker}
                 | {"TimeGenerated", "Timestamp", "Type", "Status", "InitiatedBy",
                    "TargetResources", "Parameters", "RequestParameters", "RawEventData"})
CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "0", "50126", "true", "UTC", "3/11/2024, 2:20:11.000 AM",
                     "21/04/2025, 09:45:54.000", "2024-03-11T02:10:00Z", "2024-03-11 02:10:00",
                     "2024-13-45 99:99:99", "{}", "[]", "{\"user\": {\"userPrincipalName\": 1}}",
                     "[{\"Name\": \"Identity\", \"Value\": null}]", "[1, 2", "SigninLogs",
                     "OfficeActivity", "AuditLogs", "MICROSOFT.X/Y/WRITE", "New-InboxRule"]))
TIME_HEADERS = st.sampled_from(["TimeGenerated [UTC]", "TimeGenerated [Local Time]",
                                "TimeGenerated", "Timestamp [UTC+02:00]", "CreatedDateTime [x]"])


@st.composite
def csv_exports(draw):
    table = draw(st.sampled_from(TABLES))
    columns = sorted(draw(st.sampled_from(table.markers))) + draw(
        st.lists(st.sampled_from(COLUMNS), max_size=5, unique=True))
    columns = list(dict.fromkeys(columns + [draw(TIME_HEADERS)]))
    rows = draw(st.lists(st.lists(CELLS, min_size=len(columns), max_size=len(columns)),
                         min_size=1, max_size=6))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue(), len(rows)


@PROPERTY
@given(csv_exports())
def test_every_csv_row_is_an_event_or_an_issue(export):
    text, count = export
    items = parse_text(text)
    assert_located(items)
    events, issues = split(items)
    seen = {e.ref.locator for e in events} | {i.locator for i in issues}
    assert {f"row {n}" for n in range(1, count + 1)} <= seen


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | CELLS,
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.sampled_from(COLUMNS), inner, max_size=4),
                           max_leaves=10)


@PROPERTY
@given(st.lists(st.dictionaries(st.sampled_from(COLUMNS), JSON_VALUES, min_size=1, max_size=8),
                min_size=1, max_size=5), st.booleans())
def test_every_json_row_is_an_event_or_an_issue(rows, as_lines):
    text = ("".join(json.dumps(r) + "\n" for r in rows) if as_lines and len(rows) > 1
            else json.dumps(rows))
    items = parse_text(text)
    assert_located(items)
    events, issues = split(items)
    seen = {e.ref.locator for e in events} | {i.locator for i in issues}
    expected = ({f"line {n}" for n in range(1, len(rows) + 1)} if as_lines and len(rows) > 1
                else {f"json:/{n}" for n in range(len(rows))})
    assert expected <= seen


@PROPERTY
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data):
    from cloud_support import parse_bytes
    from tracehound.formats import registry
    assert_located(parse_bytes(registry.get("sentinel-log-analytics"), data))
