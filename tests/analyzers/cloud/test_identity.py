"""Tool identity-attacks on UAL records: each rule with its benign twin."""

from __future__ import annotations

import json

from m365_builders import R, run, summary, ual

ADMIN, IP = "it.admin@contoso.com", "185.100.87.41"
APP_ID = R.gid("appid/Sync Assistant")
OUTLOOK = "00000002-0000-0ff1-ce00-000000000000"


def keys(*ids: str) -> str:
    return json.dumps([f"[KeyIdentifier={k},KeyType=Password,KeyUsage=Verify]" for k in ids])


def secret(when: str, app: str, old: str, new: str, op: str = "Add service principal credentials."):
    return R.directory(when, op, ADMIN, IP, app, [{"ID": app, "Type": 1}],
                       R.modified(KeyDescription=(old, new)))


def grant(when: str, scopes: str, consent_type: str, user: str = ADMIN):
    props = R.modified(DelegatedPermissionGrant__Scope=scopes,
                       DelegatedPermissionGrant__ConsentType=consent_type)
    return R.directory(when, "Add delegated permission grant.", user, IP, R.GRAPH_SP,
                       [{"ID": "Microsoft Graph", "Type": 1}], props)


def mail_read(when: str, owner: str, app: str):
    return R.base(when, "MailItemsAccessed", owner, 50, "Exchange", "52.1.2.3", AppId=app,
                  ClientAppId=app, MailboxOwnerUPN=owner)


def test_credential_added_is_medium_and_a_rotation_is_low():
    added = secret("2024-05-03T22:15:00", "Sync Assistant", "[]", keys("k1"))
    rotated = secret("2024-05-04T10:00:00", "Payroll", keys("old"), keys("new"),
                     op="Update application – Certificates and secrets management ")
    found = run("identity-attacks", ual(added, rotated))
    assert summary(found) == [
        ("TH-M365-APP-CREDENTIAL", "medium", "2024-05-03T22:15:00Z", ["line 1"]),
        ("TH-M365-APP-CREDENTIAL", "low", "2024-05-04T10:00:00Z", ["line 2"])]
    assert found[0].details["credentials_before_after"] == [0, 1]
    assert "a replacement" in found[1].statement


def test_update_of_other_properties_is_not_a_credential():
    other = R.directory("2024-05-04T10:00:00", "Update application.", ADMIN, IP, "Payroll",
                        [{"ID": "Payroll", "Type": 1}], R.modified(DisplayName=("a", "b")))
    assert run("identity-attacks", ual(other)) == []


def test_tenant_wide_grant_from_modified_properties_and_a_low_scope_twin():
    wide = grant("2024-05-03T22:12:00", "Mail.ReadWrite offline_access", "AllPrincipals")
    mine = grant("2024-05-03T23:00:00", "User.Read openid", "Principal")
    found = run("identity-attacks", ual(wide, mine))
    assert summary(found) == [
        ("TH-M365-OAUTH-CONSENT", "critical", "2024-05-03T22:12:00Z", ["line 1"])]
    assert found[0].details["consent_type"] == "AllPrincipals"


def test_grant_beside_a_consent_is_reported_once_by_o365_audit():
    consent = R.consent("2024-05-03T22:11:00", ADMIN, IP, "Sync Assistant", APP_ID,
                        "Mail.ReadWrite", True)
    events = ual(consent, grant("2024-05-03T22:11:01", "Mail.ReadWrite", "AllPrincipals"))
    assert run("identity-attacks", events) == []
    assert [f.rule for f in run("o365-audit", events)] == ["TH-M365-OAUTH-CONSENT"]


def test_mail_read_by_an_app_consented_in_the_case_is_high():
    consent = R.consent("2024-05-03T22:11:00", ADMIN, IP, "Sync Assistant", APP_ID,
                        "Mail.ReadWrite", True)
    reads = [mail_read("2024-05-03T23:00:00", "megan.bowen@contoso.com", APP_ID),
             mail_read("2024-05-03T23:05:00", "adele.vance@contoso.com", APP_ID),
             mail_read("2024-05-03T23:06:00", "adele.vance@contoso.com", OUTLOOK)]
    found = run("identity-attacks", ual(consent, *reads))
    assert summary(found) == [
        ("TH-M365-APP-MAIL-READ", "high", "2024-05-03T23:00:00Z", ["line 2", "line 3"])]
    assert found[0].details["mailboxes"] == ["adele.vance@contoso.com", "megan.bowen@contoso.com"]


def test_mail_read_by_an_app_new_after_the_first_day_of_a_long_window():
    day_one = [R.login(f"2024-05-0{d}T08:00:00", "megan.bowen@contoso.com", "1.2.3.4", "UA")
               for d in range(1, 6)]
    backup = [mail_read(f"2024-05-0{d}T03:00:00", "megan.bowen@contoso.com", "b" * 8 + APP_ID[8:])
              for d in range(1, 6)]
    new = mail_read("2024-05-04T02:00:00", "megan.bowen@contoso.com", APP_ID)
    found = run("identity-attacks", ual(*day_one, *backup, new))
    assert [(f.rule, f.severity, f.details["app_id"]) for f in found] == [
        ("TH-M365-APP-MAIL-READ", "medium", APP_ID)]
    # a window shorter than three days says nothing about which apps are new
    short = run("identity-attacks", ual(day_one[2], day_one[3], new))
    assert short == []


def test_federation_set_is_high_and_a_managed_domain_is_low():
    def domain(when: str, op: str, name: str, **props):
        return R.directory(when, op, ADMIN, IP, name, [{"ID": name, "Type": 1}],
                           R.modified(**props))
    events = ual(domain("2024-05-03T23:00:00", "Add unverified domain.", "evil.example"),
                 domain("2024-05-03T23:07:00", "Set domain authentication.", "evil.example",
                        LiveType=("Managed", "Federated")),
                 domain("2024-05-04T09:00:00", "Verify domain.", "shop.example"))
    found = run("identity-attacks", events)
    assert summary(found) == [
        ("TH-ENTRA-FEDERATION-CHANGE", "high", "2024-05-03T23:07:00Z", ["line 2", "line 1"]),
        ("TH-ENTRA-FEDERATION-CHANGE", "low", "2024-05-04T09:00:00Z", ["line 3"])]
