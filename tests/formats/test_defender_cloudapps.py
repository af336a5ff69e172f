"""Defender for Cloud Apps alerts: MCAS API JSON, Graph alerts_v2 and CSV."""

from __future__ import annotations

import json

from m365_support import FIXTURES, parse, sniffed, source_at, source_of
from tracehound.formats.cloud.defender_cloudapps import DefenderCloudAppsParser

PARSER = DefenderCloudAppsParser()


def test_mcas_api_alerts():
    source = source_at(FIXTURES / "bec" / "mcas-alerts.json")
    assert sniffed(PARSER, source).startswith("JSON alerts with title, severityValue")
    events, issues = parse(PARSER, source)
    assert issues == []
    assert [(e.ref.locator, e.time, e.action, e.actor_id, e.target_id, e.attrs["severity"],
             e.attrs["client_ip"]) for e in events] == [
        ("json:/0", "2024-03-11T02:31:07Z", "Suspicious inbox manipulation rule",
         "megan.bowen@contoso.com", "Microsoft Exchange Online", "medium", "45.142.120.33"),
        ("json:/1", "2024-03-11T02:20:11Z", "Activity from infrequent country",
         "megan.bowen@contoso.com", "Microsoft 365", "medium", "45.142.120.33")]


def test_graph_alerts_and_a_corrupt_one(tmp_path):
    alert = {"id": "da1", "title": "Mass download by a single user", "severity": "high",
             "category": "Exfiltration", "createdDateTime": "2024-03-11T03:20:00Z",
             "serviceSource": "microsoftCloudAppSecurity", "description": "Many files.",
             "evidence": [{"@odata.type": "#microsoft.graph.security.userEvidence",
                           "userAccount": {"userPrincipalName": "Megan.Bowen@contoso.com",
                                           "displayName": "Megan Bowen"}},
                          {"@odata.type": "#microsoft.graph.security.ipEvidence",
                           "ipAddress": "45.142.120.33"},
                          {"@odata.type": "#microsoft.graph.security.cloudApplicationEvidence",
                           "displayName": "Microsoft SharePoint Online", "appId": 20892}]}
    source = source_of(tmp_path, json.dumps({"value": [alert, dict(alert, createdDateTime="x")]}),
                       "alerts.json")
    assert sniffed(PARSER, source)
    events, issues = parse(PARSER, source)
    assert [(i.locator, i.problem) for i in issues] == [
        ("json:/value/1", "alert has no title or readable time")]
    assert (events[0].actor_id, events[0].target_id, events[0].attrs["severity"],
            events[0].attrs["category"]) == ("megan.bowen@contoso.com",
                                             "Microsoft SharePoint Online", "high", "Exfiltration")


def test_csv_alerts(tmp_path):
    text = ("Alert ID,Date,Title,Severity,App,User,IP address,Description\n"
            "a1,2024-03-11T03:20:00Z,Mass download,High,SharePoint,megan.bowen@contoso.com,45.142.120.33,Many\n")
    source = source_of(tmp_path, text, "alerts.csv")
    assert sniffed(PARSER, source)
    events, issues = parse(PARSER, source)
    assert issues == [] and [(e.ref.locator, e.attrs["severity"], e.target_id) for e in events] == [
        ("row 1", "high", "SharePoint")]
