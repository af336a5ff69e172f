"""The SQL twins' shortcuts (the common spellings skip the regular expressions) agree with Python
at the edges of those shortcuts."""

from __future__ import annotations

from m365_support import sql_values
from tracehound.formats.cloud import m365_fields as f


TIMES = ["2024-02-29T23:59:59", "2023-02-29T00:00:00", "1900-02-29T00:00:00",
         "2000-02-29T12:00:00", "0000-01-01T00:00:00", "0001-01-01T00:00:00",
         "9999-12-31T23:59:59", "2023-09-20T04:05:60", "2023-09-20T04:60:00",
         "2023-09-20T24:00:00", "2023-13-01T00:00:00", "2023-00-10T00:00:00",
         "2023-09-20T04:05:03 ", " 2023-09-20T04:05:03", "2023-09-20t04:05:03",
         "2023-9-20T04:05:03"]
IPS = ["10.0.0.1", " 10.0.0.1\t", "", " ", "fe80::1", "[fe80::1]:443", "1.2.3.4:80", "host",
       "1.2.3.4:x", "[x"]
OPERATIONS = ["Add member to role.", "Add member to role..", " x. ", ".", "", "\tNew-InboxRule\r\n"]


def test_time_shortcut_edges(twin_con):
    assert sql_values(twin_con, f.utc_time_sql("v"), TIMES) == [f.utc_time(t) for t in TIMES]


def test_ip_user_operation_and_outcome_shortcut_edges(twin_con):
    assert sql_values(twin_con, f.client_ip_sql("v"), IPS) == [f.client_ip(v) for v in IPS]
    assert sql_values(twin_con, f.actor_id_sql("v"), IPS) == [f.actor_id(v) for v in IPS]
    assert sql_values(twin_con, f.canonical_operation_sql("v"), OPERATIONS) == [
        f.canonical_operation(v) for v in OPERATIONS]
    statuses = [" Succeeded\n", "\tfalse", "true ", "  "]
    assert sql_values(twin_con, f.outcome_sql("v", "'x'"), statuses) == [
        f.outcome(s) for s in statuses]
