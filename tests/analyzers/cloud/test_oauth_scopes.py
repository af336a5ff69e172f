"""Tool 5 (oauth-scope-risk): the scope table and one finding per risky app grant."""

from __future__ import annotations

from m365_builders import R, oauth, run
from tracehound.analyzers.cloud.oauth_risk import consent_severity, grade, scope_level

MS = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"


def test_scope_table():
    assert [scope_level(s) for s in (
        "RoleManagement.ReadWrite.Directory", "full_access_as_app", "Mail.ReadWrite",
        "Sites.Read.All", "https://mail.google.com/", "https://www.googleapis.com/auth/gmail.modify",
        "Files.Read.All", "Tasks.ReadWrite", "openid", "Custom.Thing")] == [
        "critical", "critical", "high", "high", "high", "high", "medium", "medium", "low", "low"]
    assert grade(["Calendars.ReadWrite", "offline_access"]).level == "high"
    assert grade(["User.Read", "offline_access"]).level == "low"
    assert [consent_severity(level, wide) for level in ("critical", "high", "medium", "low")
            for wide in (False, True)] == [
        "critical", "critical", "high", "critical", "medium", "medium", None, "low"]


def test_grants_with_publishers():
    events = oauth(
        R.grant("Mail Sync Helper", "Mail.ReadWrite offline_access User.Read", "AllPrincipals"),
        R.grant("Acrobat", "openid User.Read", "Principal", "adele"),
        R.grant("Acrobat", "openid User.Read", "Principal", "lee"),
        R.grant("Internal", "User.Read", "Principal", "lee"),
        R.grant("Teams", "Files.ReadWrite.All", "Principal", "lee"),
        R.service_principal("Mail Sync Helper", R.gid("a1"), "Mail Sync", None, R.gid("t1")),
        R.service_principal("Acrobat", R.gid("a2"), "Adobe", "Adobe Inc.", R.gid("t2")),
        R.service_principal("Internal", R.gid("a3"), "Contoso", None, R.gid("t3")),
        R.service_principal("Teams", R.gid("a4"), "Microsoft", None, MS),
        {"appRoleId": "dc890d15-9560-4a4c-9b7f-a736ec74ec40", "principalId": R.gid("sp/Backup"),
         "resourceId": R.gid("sp/Exchange"), "principalDisplayName": "Backup"})
    found = run("oauth-scope-risk", events)
    assert sorted((f.title, f.severity, [r.locator for r in f.refs]) for f in found) == [
        ("Backup holds critical-risk scopes", "critical", ["line 10"]),
        ("Internal has an unverified publisher", "low", ["line 4", "line 8"]),
        ("Mail Sync Helper holds high-risk scopes", "critical", ["line 1", "line 6"]),
        ("Teams holds high-risk scopes", "high", ["line 5", "line 9"])]
    mail = next(f for f in found if f.title.startswith("Mail Sync"))
    assert mail.statement == (
        f"Application Mail Sync Helper ({R.gid('a1')}) is granted Mail.ReadWrite with "
        "offline_access (refresh tokens keep the access without the user) on "
        f"{R.gid('sp/Microsoft Graph')} for every user in the tenant; its publisher Mail Sync "
        "is not verified.")
    assert {f.category for f in found} == {"oauth-consent"}
