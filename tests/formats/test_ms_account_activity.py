"""Microsoft account recent-activity export (CSV and JSON)."""

from __future__ import annotations

import json

from m365_support import parse, sniffed, source_of
from tracehound.formats.cloud.ms_account import MicrosoftAccountActivityParser

PARSER = MicrosoftAccountActivityParser()
CSV = ("Date (UTC),Activity,Result,IP address,Country/region,Browser/app,Account\n"
       "2024-03-10T21:04:11Z,Successful sign-in,Success,198.51.100.7,United States,Edge,Pat@outlook.com\n"
       "2024-03-11T02:10:00Z,Unsuccessful sign-in,Incorrect password,185.73.124.135:40001,Netherlands,Unknown,pat@outlook.com\n"
       "garbage,Successful sign-in,Success,1.1.1.1,X,Y,pat@outlook.com\n"
       "2024-03-11T02:30:00Z,Security info added,Success,45.142.120.33,Romania,Firefox,pat@outlook.com\n")


def test_csv_export_with_a_corrupt_row(tmp_path):
    source = source_of(tmp_path, CSV, "activity.csv")
    assert sniffed(PARSER, source).startswith("CSV with activity")
    events, issues = parse(PARSER, source)
    assert [(i.locator, i.problem) for i in issues] == [
        ("row 3", "activity row has no activity name or readable time")]
    assert [(e.ref.locator, e.action, e.action_class, e.outcome, e.actor_id,
             e.attrs["client_ip"], e.attrs["country"], e.attrs["mfa_change"]) for e in events] == [
        ("row 1", "Successful sign-in", "authentication", "success", "pat@outlook.com",
         "198.51.100.7", "United States", None),
        ("row 2", "Unsuccessful sign-in", "authentication", "failure", "pat@outlook.com",
         "185.73.124.135", "Netherlands", None),
        ("row 4", "Security info added", "permission-change", "success", "pat@outlook.com",
         "45.142.120.33", "Romania", True)]


def test_json_export(tmp_path):
    rows = [{"activityType": "Successful sign-in", "activityDateTime": "2024-03-10T21:04:11Z",
             "ipAddress": "198.51.100.7", "country": "US", "browser": "Edge"}]
    source = source_of(tmp_path, json.dumps(rows), "activity.json")
    assert sniffed(PARSER, source)
    events, issues = parse(PARSER, source)
    assert issues == [] and [(e.ref.locator, e.outcome, e.actor_id) for e in events] == [
        ("json:/0", "success", None)]
