"""Entra ID sign-in and directory-audit parsers: Graph JSON and portal CSV."""

from __future__ import annotations

import json

from m365_support import FIXTURES, parse, sniffed, source_at, source_of
from tracehound.formats.cloud.entra import EntraAuditParser, EntraSignInParser
from tracehound.model import Event, pointer_ref

SIGNINS, AUDITS = EntraSignInParser(), EntraAuditParser()
SIGNIN_HEADER = ("Date (UTC),Request ID,User agent,Correlation ID,User ID,User,Username,"
                 "Application,Application ID,IP address,Location,Status,Sign-in error code,"
                 "Failure reason,Client app,Authentication Protocol,"
                 "Multifactor authentication auth method,Autonomous system  number\n")


def test_graph_signins_fixture():
    source = source_at(FIXTURES / "bec" / "entra-signins.json")
    assert sniffed(SIGNINS, source).startswith("JSON records with createdDateTime")
    events, issues = parse(SIGNINS, source)
    assert issues == [] and len(events) == 31
    record = json.loads(source.data)["value"][28]
    assert events[28] == Event(
        ref=pointer_ref(source.sha256, "value", 28), source="entra:signin",
        time="2024-03-11T02:14:30Z", action="Sign-in", action_class="authentication",
        actor_id="megan.bowen@contoso.com", actor_kind="human",
        target_id="Office 365 Exchange Online", target_type="application", outcome="success",
        session=record["correlationId"], raw=record,
        attrs={"user_id": "megan.bowen@contoso.com", "client_ip": "185.73.124.135",
               "country": "NL", "city": "Amsterdam", "asn": 9009, "user_agent": "BAV2ROPC",
               "app_id": record["appId"], "app_name": "Office 365 Exchange Online",
               "client_app": "Other clients", "legacy_auth": True, "auth_protocol": "ropc",
               "error_code": 0, "failure_reason": None, "conditional_access": "notApplied",
               "risk_level": "none", "mfa_method": None, "mfa_required": False,
               "record_id": record["id"]})
    assert [e.outcome for e in events[20:28]] == ["failure"] * 8
    assert events[20].attrs["failure_reason"].startswith("Error validating credentials")


def test_portal_signin_csv_with_a_corrupt_row(tmp_path):
    text = SIGNIN_HEADER + (
        '2024-03-11T02:10:00Z,r1,BAV2ROPC,c1,u1,Megan Bowen,Megan.Bowen@contoso.com,'
        'Office 365 Exchange Online,00000002-0000-0ff1-ce00-000000000000,185.73.124.135,'
        '"Amsterdam, Noord-Holland, NL",Failure,50126,Invalid username or password,'
        'Other clients,ROPC,,9009\n'
        'not a date,r2,x,c2,u2,A,a@contoso.com,App,,1.2.3.4,,Success,0,,Browser,,,\n'
        '3/11/2024 2:14:30 AM,r3,Mozilla/5.0,c3,u1,Megan Bowen,megan.bowen@contoso.com,App,,'
        '[2001:db8::5]:443,"Seattle, Washington, US",Success,,,Browser,,Microsoft Authenticator app,7922\n')
    source = source_of(tmp_path, text, "signins.csv")
    assert sniffed(SIGNINS, source).startswith("CSV with Date (UTC)")
    events, issues = parse(SIGNINS, source)
    assert [(i.locator, i.problem) for i in issues] == [
        ("row 2", "sign-in has no readable time ('not a date')")]
    assert [(e.ref.locator, e.time, e.actor_id, e.outcome, e.attrs["client_ip"],
             e.attrs["country"], e.attrs["asn"], e.attrs["legacy_auth"], e.attrs["mfa_method"])
            for e in events] == [
        ("row 1", "2024-03-11T02:10:00Z", "megan.bowen@contoso.com", "failure",
         "185.73.124.135", "NL", 9009, True, None),
        ("row 3", "2024-03-11T02:14:30Z", "megan.bowen@contoso.com", "success", "2001:db8::5",
         "US", 7922, False, "Microsoft Authenticator app")]


def audit_record(activity: str, props: list[dict], target_upn: str | None = None) -> dict:
    target = {"id": "t1", "displayName": "Target", "type": "User", "modifiedProperties": props}
    if target_upn:
        target["userPrincipalName"] = target_upn
    return {"id": "a1", "category": "RoleManagement", "correlationId": "c1", "result": "success",
            "resultReason": "", "activityDisplayName": activity,
            "activityDateTime": "2024-03-11T02:53:15.1234567Z", "loggedByService": "Core Directory",
            "initiatedBy": {"user": {"id": "u1", "userPrincipalName": "Megan.Bowen@contoso.com",
                                     "ipAddress": "45.142.120.33"}, "app": None},
            "targetResources": [target]}


def test_graph_directory_audits(tmp_path):
    role = audit_record("Add member to role", [
        {"displayName": "Role.DisplayName", "oldValue": None, "newValue": '"Global Administrator"'},
        {"displayName": "Role.TemplateId", "oldValue": None,
         "newValue": '"62E90394-69F5-4237-9190-012177145E10"'}], "helpdesk.tmp@contoso.com")
    mfa = audit_record("User registered security info", [], "megan.bowen@contoso.com")
    broken = dict(mfa, activityDateTime=None)
    source = source_of(tmp_path, json.dumps({"value": [role, mfa, broken]}), "audit.json")
    assert sniffed(AUDITS, source) and sniffed(SIGNINS, source) is None
    events, issues = parse(AUDITS, source)
    assert [(i.locator, i.problem) for i in issues] == [
        ("json:/value/2", "audit record has no activity name or readable time")]
    first = events[0]
    assert (first.source, first.time, first.actor_id, first.target_id, first.target_type,
            first.action_class, first.attrs["role_name"], first.attrs["role_template_id"],
            first.attrs["client_ip"]) == (
        "entra:audit", "2024-03-11T02:53:15.123456Z", "megan.bowen@contoso.com",
        "helpdesk.tmp@contoso.com", "user", "permission-change", "Global Administrator",
        "62e90394-69f5-4237-9190-012177145e10", "45.142.120.33")
    assert (events[1].attrs["mfa_change"], events[1].attrs["mfa_method"]) == (True, "security info")


def test_portal_audit_csv(tmp_path):
    text = ("Date (UTC),CorrelationId,Service,Category,Activity,Result,ResultReason,ActorType,"
            "ActorDisplayName,ActorObjectId,ActorUserPrincipalName,IPAddress,Target1Type,"
            "Target1DisplayName,Target1ObjectId,Target1UserPrincipalName,"
            "Target1ModifiedProperty1Name,Target1ModifiedProperty1OldValue,"
            "Target1ModifiedProperty1NewValue\n"
            "2024-03-11T02:53:15Z,c1,Core Directory,RoleManagement,Add member to role,Success,,"
            "User,Megan,o1,megan.bowen@contoso.com,45.142.120.33,User,Helpdesk,o2,"
            "helpdesk.tmp@contoso.com,Role.DisplayName,,Global Administrator\n")
    source = source_of(tmp_path, text, "audit.csv")
    assert sniffed(AUDITS, source)
    events, issues = parse(AUDITS, source)
    assert issues == [] and events[0].attrs["role_name"] == "Global Administrator"
    assert events[0].target_id == "helpdesk.tmp@contoso.com"
