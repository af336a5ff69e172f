"""UAL sign-in attrs: ErrorNumber as an integer `error_code`, ClientAppId as `client_app_id`,
alike in the record-by-record parser and the bulk loader."""

from __future__ import annotations

import json

from m365_support import parse, records as R, source_of
from test_m365_ual_bulk import both_paths
from tracehound.formats.cloud.m365_ual import UnifiedAuditLogParser
from tracehound.store import CaseStore, events_with_attrs

PARSER = UnifiedAuditLogParser()
MEGAN = "megan.bowen@contoso.com"
APP = "5B2E1C7A-1F0D-4C39-9E4B-2A7D6C1B0E93"

def failed(time: str, number, name: str | None = "InvalidUserNameOrPassword") -> dict:
    record = R.login(time, MEGAN, "203.0.113.7", "UA", ok=False)
    record.pop("ErrorNumber")
    record.pop("LogonError")
    if number is not None:
        record["ErrorNumber"] = number
    if name is not None:
        record["LogonError"] = name
    return record


def mail_read(time: str, **apps: str) -> dict:
    return R.base(time, "MailItemsAccessed", MEGAN, 50, "Exchange", "52.1.2.3",
                  MailboxOwnerUPN=MEGAN, **apps)


RECORDS = [
    failed("2024-04-11T09:00:00", "50126"),                       # as Purview writes it: text
    failed("2024-04-11T09:01:00", 50074, "UserStrongAuthClientAuthNRequiredInterrupt"),
    failed("2024-04-11T09:02:00", " 50140 ", None),
    failed("2024-04-11T09:03:00", "n/a"),
    failed("2024-04-11T09:04:00", None, "KmsiInterrupt"),
    {**R.login("2024-04-11T09:05:00", MEGAN, "203.0.113.7", "UA"), "ErrorNumber": "0"},
    mail_read("2024-04-11T09:06:00", ClientAppId=APP),
    mail_read("2024-04-11T09:07:00", AppId=APP.lower(), ClientAppId=R.GRAPH_APP),
    {**R.login("2024-04-11T09:08:00", MEGAN, "203.0.113.7", "UA"), "ErrorNumber": True},
]
EXPECTED = [  # (error_code, failure_reason, app_id, client_app_id)
    (50126, "InvalidUserNameOrPassword", "4765445b-32c6-49b0-83e6-1d93765276ca", None),
    (50074, "UserStrongAuthClientAuthNRequiredInterrupt", "4765445b-32c6-49b0-83e6-1d93765276ca",
     None),
    (50140, None, "4765445b-32c6-49b0-83e6-1d93765276ca", None),
    (None, "InvalidUserNameOrPassword", "4765445b-32c6-49b0-83e6-1d93765276ca", None),
    (None, "KmsiInterrupt", "4765445b-32c6-49b0-83e6-1d93765276ca", None),
    (0, None, "4765445b-32c6-49b0-83e6-1d93765276ca", None),
    (None, None, None, APP.lower()),
    (None, None, APP.lower(), R.GRAPH_APP),
    (None, None, "4765445b-32c6-49b0-83e6-1d93765276ca", None),
]
KEYS = ("error_code", "failure_reason", "app_id", "client_app_id")


def test_python_parser_puts_error_number_and_client_app_in_attrs(tmp_path):
    events, issues = parse(PARSER, source_of(tmp_path, "\n".join(json.dumps(r) for r in RECORDS),
                                             "ual.ndjson"))
    assert issues == []
    assert [tuple(e.attrs[k] for k in KEYS) for e in events] == EXPECTED
    assert [e.outcome for e in events[:5]] == ["failure"] * 5


def test_bulk_rows_equal_python_rows_for_sign_in_attrs(tmp_path):
    source = source_of(tmp_path, R.ual_csv(RECORDS, R.NEW_HEADER), "signins.csv")
    python_rows, python_issues, bulk_rows, bulk_issues, count = both_paths(source)
    assert count == len(RECORDS) and python_issues == bulk_issues == []
    assert bulk_rows == python_rows
    assert [tuple(r["attrs"][k] for k in KEYS) for r in bulk_rows] == EXPECTED
    # what tools read through the typed columns is what the attrs JSON says
    with CaseStore() as store:
        PARSER.bulk_load(source, store)
        typed = store.con.execute(f"SELECT _attrs FROM ({events_with_attrs(store.con, KEYS)}) "
                                  "ORDER BY locator").fetchall()
    assert [tuple(row[0]) for row in typed] == [
        tuple(None if v is None else str(v) for v in expected) for expected in EXPECTED]
