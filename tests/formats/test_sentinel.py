"""Sentinel / Log Analytics table exports: sniffed by their columns, read into the same events
the native exports give (field by field), with their problems as located parse issues."""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
from pathlib import Path

import pytest

from goldens import check_golden
from sentinel_support import (CLOUD, PARSER, SENTINEL, normalized, parse, parse_text,
                              projection, split)

sys.path.insert(0, str(CLOUD))
from m365_records import gid  # noqa: E402

MEGAN = "megan.bowen@contoso.com"
ATTACKER_IP = "45.142.120.33"
MAIL_SYNC_APP = gid("appid/Mail Sync Helper")


def load_generator():
    spec = importlib.util.spec_from_file_location("sentinel_generate", SENTINEL / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_reproduces_the_committed_fixtures():
    rendered = load_generator().render()
    on_disk = {str(p.relative_to(SENTINEL)): p.read_bytes().decode("utf-8")
               for p in SENTINEL.rglob("*") if p.suffix in (".csv", ".json", ".jsonl")}
    assert sorted(rendered) == sorted(on_disk)
    for name, text in rendered.items():
        assert text == on_disk[name], f"sentinel/{name} differs: run its generate.py"


# --- sniffing ---------------------------------------------------------------------------------

TABLE_FILES = {
    "signinlogs.csv": "SigninLogs", "signinlogs.json": "SigninLogs",
    "aadnoninteractive.jsonl": "SigninLogs", "auditlogs.csv": "AuditLogs",
    "auditlogs.jsonl": "AuditLogs", "officeactivity.csv": "OfficeActivity",
    "officeactivity.json": "OfficeActivity", "azureactivity.csv": "AzureActivity",
    "azureactivity.jsonl": "AzureActivity", "awscloudtrail.csv": "AWSCloudTrail",
    "awscloudtrail.json": "AWSCloudTrail", "cloudappevents.csv": "CloudAppEvents",
    "cloudappevents.jsonl": "CloudAppEvents", "identitydirectoryevents.csv":
    "IdentityDirectoryEvents", "identitydirectoryevents.json": "IdentityDirectoryEvents",
}


@pytest.mark.parametrize("name", sorted(TABLE_FILES))
def test_each_table_export_is_sniffed_by_its_columns(name):
    from tracehound.evidence import collect
    from tracehound.sniff import sniff
    with tempfile.TemporaryDirectory() as tmp:
        blob = Path(tmp) / "export.dat"          # the file name says nothing
        blob.write_bytes((SENTINEL / name).read_bytes())
        with collect([blob]) as intake:
            found = sniff(intake.sources[0])
    assert found.parser is not None and found.parser.name == PARSER
    assert TABLE_FILES[name] in found.reason


@pytest.mark.parametrize("native", ["bec/ual-export.csv", "bec/entra-signins.json",
                                    "cloudtrail/attack_trail.json", "azure/attack_activity.json",
                                    "sentinel/native/entra-audit.json"])
def test_native_exports_are_not_taken_for_table_exports(native):
    _, _, name = parse(CLOUD / native)
    assert name != PARSER


def test_a_csv_of_other_columns_is_not_sniffed():
    from tracehound.formats.base import Sample
    from tracehound.formats import registry
    sample = Sample(text="TimeGenerated,Computer,EventID\n", size=30,
                    csv_header=["TimeGenerated", "Computer", "EventID"])
    assert registry.get(PARSER).sniff(sample) is None


# --- the same events as the native exports ----------------------------------------------------

def native_ual(tmp: Path) -> Path:
    path = tmp / "ual.json"
    path.write_text(json.dumps(load_generator().M365.bec_ual()), "utf-8")
    return path


PAIRS = [   # (table export, its native twin)
    ("signinlogs.json", "bec/entra-signins.json"),
    ("signinlogs.csv", "bec/entra-signins.json"),
    ("auditlogs.jsonl", "sentinel/native/entra-audit.json"),
    ("auditlogs.csv", "sentinel/native/entra-audit.json"),
    ("awscloudtrail.json", "cloudtrail/attack_trail.json"),
    ("awscloudtrail.csv", "cloudtrail/attack_trail.json"),
    ("officeactivity.json", None),
    ("officeactivity.csv", None),
]


@pytest.mark.parametrize("table,native", PAIRS)
def test_table_rows_give_the_native_exports_events(table, native, tmp_path):
    ours, issues, _ = parse(SENTINEL / table)
    theirs, _, native_parser = parse(CLOUD / native if native else native_ual(tmp_path))
    assert issues == []
    assert native_parser != PARSER
    # signinlogs.csv holds one sign-in more (the 3/13 row that tells its date order)
    assert [normalized(e) for e in ours[:len(theirs)]] == [normalized(e) for e in theirs]
    assert len(ours) - len(theirs) == (1 if table == "signinlogs.csv" else 0)


def test_raw_is_the_native_record_so_sigma_fields_resolve():
    events, _, _ = parse(SENTINEL / "awscloudtrail.csv")
    stop = next(e for e in events if e.action == "StopLogging")
    assert stop.raw["eventName"] == "StopLogging"
    assert stop.raw["userIdentity"]["arn"] == stop.attrs["principal_arn"]
    assert isinstance(stop.raw["requestParameters"], dict)
    events, _, _ = parse(SENTINEL / "signinlogs.csv")
    assert events[0].raw["status"]["errorCode"] == 0
    assert events[0].raw["userPrincipalName"] == events[0].attrs["user_id"]
    events, _, _ = parse(SENTINEL / "officeactivity.csv")
    rule = next(e for e in events if e.action == "New-InboxRule")
    assert rule.raw["Operation"] == "New-InboxRule" and rule.raw["Workload"] == "Exchange"


def test_signin_rows_fields():
    events, _, _ = parse(SENTINEL / "signinlogs.csv")
    spray = events[20]
    assert spray.time == "2024-03-11T02:10:00Z"
    assert (spray.source, spray.action, spray.outcome) == ("entra:signin", "Sign-in", "failure")
    assert {k: spray.attrs[k] for k in ("client_ip", "country", "city", "asn", "user_agent",
                                        "client_app", "legacy_auth", "error_code",
                                        "auth_protocol")} == {
        "client_ip": "185.73.124.135", "country": "NL", "city": "Amsterdam", "asn": 9009,
        "user_agent": "BAV2ROPC", "client_app": "Other clients", "legacy_auth": True,
        "error_code": 50126, "auth_protocol": "ropc"}
    home = events[0]
    assert home.outcome == "success" and home.attrs["mfa_method"] == "Microsoft Authenticator app"
    assert home.attrs["mfa_required"] is True and home.attrs["legacy_auth"] is False


def test_non_interactive_rows_with_json_text_columns():
    events, issues, _ = parse(SENTINEL / "aadnoninteractive.jsonl")
    assert issues == [] and [e.source for e in events] == ["entra:signin"] * 3
    assert events[1].attrs["country"] == "RO" and events[1].attrs["asn"] == 50673
    assert events[2].attrs["mfa_method"] == "Microsoft Authenticator app"


def test_audit_rows_fields():
    events, _, _ = parse(SENTINEL / "auditlogs.csv")
    consent, credential, update = events
    assert consent.source == "entra:audit" and consent.action_class == "consent"
    assert consent.attrs["consent_type"] == "AllPrincipals"
    assert consent.attrs["on_behalf_of_all"] is True and consent.attrs["is_admin_consent"] is True
    assert consent.attrs["scopes"] == ["Mail.ReadWrite", "User.Read", "offline_access"]
    assert consent.attrs["app_id"] == MAIL_SYNC_APP
    assert consent.attrs["client_ip"] == ATTACKER_IP and consent.actor_id == MEGAN
    assert credential.action == "Add service principal credentials"
    assert credential.attrs["app_name"] == "Mail Sync Helper"
    assert "KeyDescription" in credential.attrs["modified_properties"]
    assert update.action == "Update application – Certificates and secrets management"


def test_office_rows_fields():
    events, _, _ = parse(SENTINEL / "officeactivity.csv")
    by_action = {}
    for event in events:
        by_action.setdefault(event.action, event)
    rule = by_action["New-InboxRule"]
    assert rule.source == "m365:ual" and rule.attrs["parameters"]["From"] == \
        "news@contoso-weekly.example"
    assert rule.attrs["record_type"] == 1 and rule.attrs["workload"] == "Exchange"
    login = by_action["UserLoggedIn"]
    assert login.attrs["record_type"] == 15 and login.attrs["user_agent"]
    system = next(e for e in events if e.attrs["user_id"].startswith("NT AUTHORITY"))
    assert system.actor_kind == "service-principal"      # UserType "DcAdmin" -> 3, by id
    download = by_action["FileDownloaded"]
    assert download.attrs["site_url"].startswith("https://contoso.sharepoint.com/sites/Finance")
    assert download.attrs["file_name"].startswith("vendor-bank-details")


def test_azure_rows_match_the_azure_parser_reading_them():
    from tracehound.formats import registry
    from cloud_support import parse_bytes
    ours, issues, _ = parse(SENTINEL / "azureactivity.csv")
    rows = [json.loads(line) for line in
            (SENTINEL / "azureactivity.jsonl").read_text("utf-8").splitlines()]
    for row in rows:         # azure-activity reads `Properties`, not the `_d` twin
        row["Properties"] = json.dumps(row.pop("Properties_d"))
    theirs = parse_bytes(registry.get("azure-activity"), json.dumps(rows).encode())
    assert issues == []
    assert [normalized(e) for e in ours] == [normalized(e) for e in theirs]
    rule = ours[1]
    assert rule.attrs["request_body"]["properties"]["destinationPortRange"] == "3389"
    assert rule.attrs["client_ip"] == ATTACKER_IP and rule.actor_id == MEGAN


def test_cloud_app_events():
    events, issues, _ = parse(SENTINEL / "cloudappevents.jsonl")
    mail, box = events
    assert issues == []
    assert mail.source == "m365:ual" and mail.action == "MailItemsAccessed"
    assert mail.attrs["app_id"] == MAIL_SYNC_APP and mail.time == "2024-03-11T03:40:00Z"
    assert box.source == "mcas:activity" and box.action == "Download file"
    assert box.attrs["app_name"] == "Dropbox" and box.attrs["client_ip"] == ATTACKER_IP
    assert box.target_id == "vendor-bank-details.xlsx" and box.actor_id == MEGAN
    csv_events, _, _ = parse(SENTINEL / "cloudappevents.csv")
    assert [normalized(e) for e in csv_events] == [normalized(e) for e in events]


def test_identity_directory_events():
    events, issues, _ = parse(SENTINEL / "identitydirectoryevents.csv")
    change, = events
    assert issues == [] and change.source == "mdi:directory"
    assert change.action == "Group Membership changed"
    assert change.target_id == "helpdesk.tmp@contoso.com"
    assert change.attrs["additional_fields"]["TO.GROUP"] == "Domain Admins"
    json_events, _, _ = parse(SENTINEL / "identitydirectoryevents.json")
    assert [normalized(e) for e in json_events] == [normalized(e) for e in events]


# --- problems ---------------------------------------------------------------------------------

HEADER = "TimeGenerated [UTC],UserPrincipalName,ResultType,AppDisplayName,IPAddress,Id\n"


def test_a_bad_time_is_an_issue_naming_row_and_column():
    events, issues = split(parse_text(
        HEADER + "2024-03-11 02:10:00,a@contoso.com,0,Teams,192.0.2.1,id1\n"
                 "2024-13-45 02:10:00,b@contoso.com,0,Teams,192.0.2.2,id2\n"))
    assert [(i.locator, i.problem) for i in issues] == [
        ("row 2", "column 'TimeGenerated [UTC]': unreadable time '2024-13-45 02:10:00'")]
    assert [e.time for e in events] == ["2024-03-11T02:10:00Z", None]   # the row is kept


def test_a_bad_json_line_is_one_issue_and_the_rest_is_read():
    good = {"TimeGenerated": "2024-03-11T02:10:00Z", "UserPrincipalName": "a@contoso.com",
            "ResultType": "0", "AppDisplayName": "Teams", "IPAddress": "192.0.2.1", "Id": "x"}
    text = json.dumps(good) + "\n{\"TimeGenerated\": \"2024-03-11T02:11:00Z\", \n" + \
        json.dumps({**good, "Id": "y"}) + "\n"
    events, issues = split(parse_text(text))
    assert len(events) == 2 and [i.locator for i in issues] == ["line 2"]
    assert "JSON" in issues[0].problem


def test_a_table_without_its_time_column_says_so_once():
    events, issues = split(parse_text(
        "OfficeWorkload,Operation,UserId,ClientIP\n"
        "Exchange,New-InboxRule,a@contoso.com,192.0.2.1\n"
        "Exchange,Set-Mailbox,a@contoso.com,192.0.2.1\n"))
    assert [(i.locator, i.problem) for i in issues] == [
        ("row 0", "the OfficeActivity export has no time column (TimeGenerated): its events "
                  "have no time")]
    assert [(e.action, e.time) for e in events] == [("New-InboxRule", None), ("Set-Mailbox", None)]


def test_a_json_row_of_no_known_table_is_an_issue():
    rows = [{"TimeGenerated": "2024-03-11T02:10:00Z", "UserPrincipalName": "a@contoso.com",
             "ResultType": "0", "AppDisplayName": "Teams", "IPAddress": "192.0.2.1"},
            {"TimeGenerated": "2024-03-11T02:10:00Z", "Computer": "web01", "EventID": 4625}]
    events, issues = split(parse_text(json.dumps(rows)))
    assert len(events) == 1 and [i.locator for i in issues] == ["json:/1"]
    assert "none of the tables" in issues[0].problem


def test_a_union_of_tables_in_one_file_is_read_row_by_row():
    rows = [json.loads(line) for line in
            (SENTINEL / "auditlogs.jsonl").read_text("utf-8").splitlines()[:1]]
    rows += json.loads((SENTINEL / "signinlogs.json").read_text("utf-8"))[:1]
    events, issues = split(parse_text(json.dumps(rows)))
    assert issues == [] and [e.source for e in events] == ["entra:audit", "entra:signin"]


def test_a_cloudtrail_row_without_event_name_is_an_issue():
    events, issues = split(parse_text(json.dumps([
        {"TimeGenerated": "2024-03-11T02:10:00Z", "EventSource": "iam.amazonaws.com",
         "EventName": "", "AwsEventId": "e1", "Type": "AWSCloudTrail"}])))
    assert events == [] and [i.locator for i in issues] == ["json:/0"]


# --- golden -----------------------------------------------------------------------------------

GOLDEN_FILES = ["auditlogs.csv", "aadnoninteractive.jsonl", "azureactivity.csv",
                "cloudappevents.jsonl", "identitydirectoryevents.csv",
                "signinlogs-dayfirst.csv", "signinlogs-ambiguous.csv",
                "signinlogs-localtime.csv"]


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_parsed_events_match_the_golden(name):
    events, issues, _ = parse(SENTINEL / name)
    check_golden(f"sentinel/{name}.json", projection(events, issues))


def test_a_json_array_too_large_to_load_is_sniffed_from_its_first_row():
    from tracehound.formats import registry
    from tracehound.formats.base import Sample
    rows = json.loads((SENTINEL / "officeactivity.json").read_text("utf-8"))
    text = json.dumps(rows)
    sample = Sample(text=text[:4000], size=64 * 1024 * 1024)     # document not loaded
    assert "OfficeActivity" in registry.get(PARSER).sniff(sample)
    assert registry.get(PARSER).sniff(Sample(text="[1, 2", size=5)) is None
