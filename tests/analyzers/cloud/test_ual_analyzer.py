"""Tool 2 (ual-analyzer): further privilege / data-access findings and per-user summaries."""

from __future__ import annotations

from m365_builders import R, artifacts, rule, run, summary, ual

ADMIN, IP = "megan.bowen@contoso.com", "45.142.120.33"


def test_delegation_app_credentials_and_search_export():
    creds = R.directory("2024-03-11T03:10:00", "Add service principal credentials.", ADMIN, IP,
                        "Mail Sync Helper", [{"ID": "Mail Sync Helper", "Type": 1}], [])
    events = ual(
        R.exchange("2024-03-11T03:00:00", "Add-MailboxPermission", ADMIN, IP, "CEO",
                   Identity="CEO", User="helpdesk.tmp@contoso.com", AccessRights="FullAccess"),
        R.exchange("2024-03-11T03:01:00", "Add-RecipientPermission", ADMIN, IP, "CFO",
                   Identity="CFO", Trustee="helpdesk.tmp@contoso.com", AccessRights="SendAs"),
        R.exchange("2024-03-11T03:02:00", "Add-MailboxPermission", ADMIN, IP, "CEO",
                   Identity="CEO", User="x@contoso.com", AccessRights="ReadPermission"),
        creds,
        R.exchange("2024-03-11T03:20:00", "New-ComplianceSearchAction", ADMIN, IP, "All mail",
                   SearchName="All mail", Export="True"),
        rule("..", MarkAsRead="True"))
    found = run("ual-analyzer", events)
    assert summary(found) == [
        ("TH-M365-MAILBOX-DELEGATION", "medium", "2024-03-11T03:00:00Z", ["line 1"]),
        ("TH-M365-MAILBOX-DELEGATION", "medium", "2024-03-11T03:01:00Z", ["line 2"]),
        ("TH-M365-SEARCH-EXPORT", "high", "2024-03-11T03:20:00Z", ["line 5"])]
    # credentials added to an application are identity-attacks' (UAL and Entra audit alike)
    assert summary(run("identity-attacks", events)) == [
        ("TH-M365-APP-CREDENTIAL", "medium", "2024-03-11T03:10:00Z", ["line 4"])]
    assert found[0].statement == (
        "megan.bowen@contoso.com ran Add-MailboxPermission from 45.142.120.33 and gave "
        "helpdesk.tmp@contoso.com full access to mailbox CEO.")
    assert run("identity-attacks", events)[0].details["app"] == "Mail Sync Helper"


def test_user_summaries():
    events = ual(R.login("2024-03-11T02:14:30", "Megan.Bowen@contoso.com", "1.2.3.4:5", "UA"),
                 rule("..", MarkAsRead="True"),
                 R.file_op("2024-03-11T03:05:00", "FileDownloaded", ADMIN, IP,
                           "https://contoso.sharepoint.com/sites/F", "D/a.xlsx", "UA"))
    users = artifacts("ual-analyzer", events, timeline_per_user=2)["ual_users"]
    assert len(users) == 1
    megan = users[0]
    assert {k: megan[k] for k in ("user", "events", "first", "last", "ips", "workloads",
                                  "data_access")} == {
        "user": ADMIN, "events": 3, "first": "2024-03-11T02:14:30Z",
        "last": "2024-03-11T03:05:00Z", "ips": ["1.2.3.4", IP],
        "workloads": {"AzureActiveDirectory": 1, "Exchange": 1, "SharePoint": 1},
        "data_access": {"FileDownloaded": 1}}
    assert [(e["operation"], e["ref"]["locator"]) for e in megan["timeline"]] == [
        ("UserLoggedIn", "line 1"), ("New-InboxRule", "line 2")]
