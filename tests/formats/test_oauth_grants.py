"""OAuth grant exports: Graph grants, app-role assignments, service principals, script CSV."""

from __future__ import annotations

import json

from m365_support import FIXTURES, parse, records as R, sniffed, source_at, source_of
from tracehound.formats.cloud.oauth_grants import OAuthGrantParser

PARSER = OAuthGrantParser()


def test_graph_grant_page():
    source = source_at(FIXTURES / "bec" / "oauth-grants.json")
    assert sniffed(PARSER, source) == "JSON records shaped as grant objects (Graph)"
    events, issues = parse(PARSER, source)
    assert issues == []
    assert [(e.ref.locator, e.source, e.action, e.actor_id, e.attrs["consent_type"],
             e.attrs["scopes"]) for e in events] == [
        ("json:/value/0", "oauth:grant", "oauth2PermissionGrant", R.gid("sp/Mail Sync Helper"),
         "AllPrincipals", ["Mail.ReadWrite", "User.Read", "offline_access"]),
        ("json:/value/1", "oauth:grant", "oauth2PermissionGrant", R.gid("sp/Adobe Acrobat"),
         "Principal", ["User.Read", "openid", "profile"])]


def test_service_principals_keep_publisher_verification():
    events, _ = parse(PARSER, source_at(FIXTURES / "bec" / "service-principals.json"))
    assert [(e.source, e.actor_id, e.attrs["app_name"], e.attrs["verified_publisher"])
            for e in events] == [
        ("oauth:app", R.gid("sp/Mail Sync Helper"), "Mail Sync Helper", None),
        ("oauth:app", R.gid("sp/Adobe Acrobat"), "Adobe Acrobat", "Adobe Inc."),
        ("oauth:app", R.gid("sp/Microsoft Graph"), "Microsoft Graph", None)]


def test_combined_sdk_export_with_app_roles_and_a_bad_item(tmp_path):
    document = {
        "oauth2PermissionGrants": [{"ClientId": "C1", "ConsentType": "Principal",
                                    "PrincipalId": "P1", "ResourceId": "R1", "Scope": "Mail.Send"}],
        "appRoleAssignments": [{"appRoleId": "dc890d15-9560-4a4c-9b7f-a736ec74ec40",
                                "principalId": "C2", "principalType": "ServicePrincipal",
                                "resourceId": "R2", "resourceDisplayName": "Office 365 Exchange Online",
                                "createdDateTime": "2024-03-11T03:00:00Z"}, "oops"],
    }
    source = source_of(tmp_path, json.dumps(document), "export.json")
    assert sniffed(PARSER, source) == "JSON object holding OAuth grant / service principal collections"
    events, issues = parse(PARSER, source)
    assert [(i.locator, i.problem) for i in issues] == [
        ("json:/appRoleAssignments/1", "expected a JSON object")]
    assert [(e.ref.locator, e.actor_id, e.attrs["scopes"], e.attrs["permission_type"], e.time)
            for e in events] == [
        ("json:/oauth2PermissionGrants/0", "c1", ["Mail.Send"], "Delegated", None),
        ("json:/appRoleAssignments/0", "c2", ["full_access_as_app"], "Application",
         "2024-03-11T03:00:00Z")]


def test_permission_script_csv(tmp_path):
    text = ("PermissionType,ClientObjectId,ClientDisplayName,ResourceObjectId,ResourceDisplayName,"
            "Permission,ConsentType,PrincipalObjectId,PrincipalDisplayName\n"
            "Delegated,C1,Mail Sync Helper,R1,Microsoft Graph,Mail.ReadWrite,AllPrincipals,,\n"
            "Delegated,C1,Mail Sync Helper,R1,Microsoft Graph,offline_access,AllPrincipals,,\n"
            "Delegated,C1\n")
    source = source_of(tmp_path, text, "perms.csv")
    assert sniffed(PARSER, source)
    events, issues = parse(PARSER, source)
    assert [i.locator for i in issues] == ["row 3"]
    assert [(e.attrs["app_name"], e.attrs["scopes"], e.attrs["consent_type"]) for e in events] == [
        ("Mail Sync Helper", ["Mail.ReadWrite"], "AllPrincipals"),
        ("Mail Sync Helper", ["offline_access"], "AllPrincipals")]
