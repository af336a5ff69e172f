"""Tool 1 (o365-audit): one finding per suspicious audit record, none for ordinary admin work."""

from __future__ import annotations

from m365_builders import R, rule, run, summary, ual

SYSTEM = "NT AUTHORITY\\SYSTEM (Microsoft.Exchange.Servicehost)"


def test_inbox_rules_that_hide_or_divert_mail():
    rules = [
        dict(name="..", MoveToFolder="RSS Feeds", MarkAsRead="True"),
        dict(name="Invoices", ForwardTo="attacker@proton.me"),
        dict(name="Vendor", RedirectTo="x@proton.me"),
        dict(name="Cleanup", DeleteMessage="True"),
        dict(name="History", MoveToFolder="Conversation History"),
        dict(name="Old mail", MoveToFolder="Archive"),
        dict(name="ab", From="boss@contoso.com", MoveToFolder="Boss"),
        dict(name="!!!!", SubjectContainsWords="invoice"),
        dict(name="Newsletters", From="news@example.com", MoveToFolder="Newsletters"),
    ]
    # an hour apart: each rule is its own finding (a burst of like rules is one, see
    # test_burst_of_like_inbox_rules_is_one_finding)
    events = ual(*(rule(when=f"2024-03-11T{n:02d}:31:00", **r) for n, r in enumerate(rules)),
                 R.exchange("2024-03-11T09:32:00", "UpdateInboxRules", "megan.bowen@contoso.com",
                            None, "Megan Bowen", RuleName="Sync",
                            RuleActions="MoveToFolder: RSS Subscriptions"))
    found = run("o365-audit", events)
    assert [(f.details["rule_name"], f.severity, f.details["reasons"]) for f in found] == [
        ("..", "high", ["marks messages as read", "moves messages to RSS Feeds",
                        "has a short or symbol-only name"]),
        ("Invoices", "high", ["forwards or redirects messages to attacker@proton.me"]),
        ("Vendor", "high", ["forwards or redirects messages to x@proton.me"]),
        ("Cleanup", "high", ["deletes messages"]),
        ("History", "high", ["moves messages to Conversation History"]),
        ("Old mail", "medium", ["moves messages to Archive"]),
        ("ab", "medium", ["has a short or symbol-only name"]),
        ("!!!!", "medium", ["has a short or symbol-only name"]),
        ("Sync", "high", ["moves messages to an obscure folder"]),
    ]
    assert {f.category for f in found} == {"inbox-rule"}
    assert found[0].techniques == ("T1114.003", "T1564.008")
    assert found[0].statement == (
        'megan.bowen@contoso.com ran New-InboxRule from 45.142.120.33 for an inbox rule named '
        '".." in the mailbox of Megan Bowen that marks messages as read; moves messages to RSS '
        'Feeds; has a short or symbol-only name.')


def mailbox(when: str, user: str, **params: str) -> dict:
    return R.exchange(when, "Set-Mailbox", user, "45.142.120.33", "Megan Bowen", **params)


def test_forwarding_external_internal_and_removed():
    events = ual(
        mailbox("2024-03-11T02:40:12", "megan.bowen@contoso.com",
                ForwardingSmtpAddress="smtp:m.b@proton.me", DeliverToMailboxAndForward="False"),
        mailbox("2024-03-11T02:41:00", "megan.bowen@contoso.com",
                ForwardingSmtpAddress="smtp:assistant@contoso.com"),
        mailbox("2024-03-11T02:42:00", "megan.bowen@contoso.com", ForwardingSmtpAddress=""),
    )
    found = run("o365-audit", events)
    assert summary(found) == [
        ("TH-M365-MAIL-FORWARDING", "high", "2024-03-11T02:40:12Z", ["line 1"]),
        ("TH-M365-MAIL-FORWARDING", "medium", "2024-03-11T02:41:00Z", ["line 2"])]
    assert found[0].statement.endswith("(an external domain) from 45.142.120.33; no copy is "
                                       "kept in the mailbox.")


def test_transport_rule_copying_mail_but_not_a_disclaimer():
    events = ual(
        R.exchange("2024-03-11T03:00:00", "New-TransportRule", "megan.bowen@contoso.com",
                   "45.142.120.33", "Copy", Name="Copy", BlindCopyTo="drop@proton.me"),
        R.exchange("2024-03-11T03:01:00", "New-TransportRule", "admin@contoso.com",
                   "198.51.100.40", "Disclaimer", Name="Disclaimer",
                   ApplyHtmlDisclaimerText="External"))
    assert summary(run("o365-audit", events)) == [
        ("TH-M365-TRANSPORT-RULE", "high", "2024-03-11T03:00:00Z", ["line 1"])]


def downloads(count: int, start: str = "2024-03-11T03:05:00") -> list[dict]:
    from datetime import datetime, timedelta
    base = datetime.fromisoformat(start)
    return [R.file_op((base + timedelta(seconds=20 * n)).isoformat(), "FileDownloaded",
                      "megan.bowen@contoso.com", "45.142.120.33",
                      "https://contoso.sharepoint.com/sites/Finance", f"Docs/f{n}.xlsx", "UA")
            for n in range(count)]


def test_download_burst_per_user_hour_above_the_setting():
    assert run("o365-audit", ual(*downloads(50))) == []
    found = run("o365-audit", ual(*downloads(51)))
    assert [(f.rule, f.severity, f.details["files"], len(f.refs)) for f in found] == [
        ("TH-M365-BULK-DOWNLOAD", "high", 51, 51)]
    assert run("o365-audit", ual(*downloads(12)), bulk_download_per_hour=10)[0].details[
        "files"] == 12


def test_privileged_role_adds_only():
    admin, ip = "megan.bowen@contoso.com", "45.142.120.33"
    unnamed = R.role_add("2024-03-11T02:55:00", admin, ip, "c@contoso.com", "Exchange Administrator", "")
    events = ual(
        R.role_add("2024-03-11T02:53:15", admin, ip, "a@contoso.com", "Global Administrator",
                   "62e90394-69f5-4237-9190-012177145e10"),
        R.role_add("2024-03-11T02:54:00", admin, ip, "b@contoso.com", "Reports Reader",
                   "4a5d8f65-41da-4de4-8968-e035b65339cf"),
        unnamed)
    found = run("o365-audit", events)
    assert [(f.severity, f.target, f.details["role"]) for f in found] == [
        ("critical", "a@contoso.com", "Global Administrator"),
        ("high", "c@contoso.com", "Exchange Administrator")]
    assert found[0].techniques == ("T1098.003",)


def test_consent_graded_by_scope_and_reach():
    user, ip = "megan.bowen@contoso.com", "45.142.120.33"
    events = ual(
        R.consent("2024-03-11T02:50:30", user, ip, "Mail Sync Helper", R.gid("a1"),
                  "Mail.ReadWrite offline_access User.Read", all_principals=True),
        R.consent("2024-03-11T02:51:00", user, ip, "Mailer", R.gid("a2"), "Mail.Send", False),
        R.consent("2024-03-11T02:52:00", user, ip, "Profile", R.gid("a3"), "openid User.Read",
                  False))
    found = run("o365-audit", events)
    assert [(f.severity, f.details["app"], f.title) for f in found] == [
        ("critical", "Mail Sync Helper", "Consent to Mail Sync Helper: Mail.ReadWrite"),
        ("high", "Mailer", "Consent to Mailer: Mail.Send")]
    assert "on behalf of every user in the tenant" in found[0].statement


def test_audit_disabled_and_system_provisioning_ignored():
    events = ual(
        R.exchange("2024-03-11T03:30:00", "Set-AdminAuditLogConfig", "megan.bowen@contoso.com",
                   "45.142.120.33", "x", UnifiedAuditLogIngestionEnabled="False"),
        R.exchange("2024-03-11T03:31:00", "Set-AdminAuditLogConfig", SYSTEM, None, "x",
                   user_type=3, UnifiedAuditLogIngestionEnabled="False"),
        R.exchange("2024-03-11T03:32:00", "New-InboxRule", SYSTEM, None, "x", user_type=3,
                   Name="x", DeleteMessage="True"))
    found = run("o365-audit", events)
    assert summary(found) == [("TH-M365-AUDIT-DISABLED", "high", "2024-03-11T03:30:00Z",
                               ["line 1"])]
    assert found[0].techniques == ("T1562.008",)


def test_a_failed_operation_is_one_step_lower_and_says_so():
    record = mailbox("2024-03-11T02:40:12", "megan.bowen@contoso.com",
                     ForwardingSmtpAddress="x@proton.me")
    record["ResultStatus"] = "False"
    found = run("o365-audit", ual(record))
    assert found[0].severity == "medium"
    assert found[0].statement.endswith("The audit record says the operation failed.")
