"""Generic SaaS audit CSV: columns found by name with synonyms."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings, strategies as st

from m365_support import parse, sniffed, source_of
from tracehound.formats.cloud.saas_audit import SaasAuditCsvParser, header_roles

PARSER = SaasAuditCsvParser()


def test_header_synonyms():
    assert header_roles(["Date", "User Email", "Event Type", "Repository", "IP Address"]) == {
        "time": "Date", "actor": "User Email", "action": "Event Type", "resource": "Repository",
        "ip": "IP Address"}
    assert header_roles(["created_at", "actor", "action"])["time"] == "created_at"


def test_rows_and_a_corrupt_one(tmp_path):
    text = ("Timestamp,Actor,Action,Resource,Service,IP,Status\n"
            "2024-03-11T03:40:00Z,Megan.Bowen@contoso.com,file.download,Vendor bank details,Box,45.142.120.33:1,success\n"
            "yesterday,a@b.c,login,,Box,,\n"
            "2024-03-11T03:41:00Z,megan.bowen@contoso.com,share.create,Vendor bank details,Box,45.142.120.33,failed\n")
    source = source_of(tmp_path, text, "box.csv")
    assert sniffed(PARSER, source) == "CSV with audit columns (time=Timestamp, actor=Actor, action=Action)"
    events, issues = parse(PARSER, source)
    assert [(i.locator, i.problem) for i in issues] == [
        ("row 2", "row has no readable time or no action")]
    assert [(e.ref.locator, e.source, e.actor_id, e.action, e.action_class, e.target_id,
             e.outcome, e.attrs["service"], e.attrs["client_ip"]) for e in events] == [
        ("row 1", "saas:audit", "megan.bowen@contoso.com", "file.download", "read",
         "Vendor bank details", "success", "Box", "45.142.120.33"),
        ("row 3", "saas:audit", "megan.bowen@contoso.com", "share.create", "egress",
         "Vendor bank details", "failure", "Box", "45.142.120.33")]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.text(max_size=10), min_size=3, max_size=4), max_size=6))
def test_any_rows_become_events_or_issues_with_row_locators(tmp_path, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["time", "actor", "action"])
    writer.writerows(rows)
    events, issues = parse(PARSER, source_of(tmp_path, buffer.getvalue(), "s.csv"))
    locators = [e.ref.locator for e in events] + [i.locator for i in issues]
    assert sorted(locators, key=lambda loc: int(loc.split()[1])) == [
        f"row {n}" for n in range(1, len(rows) + 1)]
