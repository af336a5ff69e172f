"""Tool signin-addresses, failure classes and bursts of like inbox rules, on UAL records."""

from __future__ import annotations

from m365_builders import R, rule, run, summary, ual
from tracehound.analyzers.cloud.cloud_tables import signin_error_classes
from tracehound.analyzers.cloud.signin_addresses import address_key, egress, new_addresses

MEGAN, ADELE = "megan.bowen@contoso.com", "adele.vance@contoso.com"
HOME, AWAY = "198.51.100.23", "91.132.139.20"


def logins(user: str, ip: str, *days: str, clock: str = "08:00:00") -> list[dict]:
    return [R.login(f"{day}T{clock}", user, ip, "UA") for day in days]


def test_address_keys_compare_ipv6_by_network():
    assert address_key("2a0d:5600:24:1d::a") == address_key("2a0d:5600:24:1d:ffff::1")
    assert address_key("2a0d:5600:24:1d::a") == "2a0d:5600:24:1d::/64"
    assert address_key("::ffff:198.51.100.23") == "198.51.100.23"
    assert address_key("not an address") == "not an address"


def test_new_address_needs_two_earlier_days():
    one_day = logins(MEGAN, HOME, "2024-04-10") + logins(MEGAN, AWAY, "2024-04-11")
    two_days = logins(MEGAN, HOME, "2024-04-09", "2024-04-10") + logins(MEGAN, AWAY, "2024-04-11")
    same_day = logins(MEGAN, HOME, "2024-04-09", "2024-04-10") + logins(
        MEGAN, AWAY, "2024-04-10", clock="09:00:00")
    assert run("signin-addresses", ual(*one_day)) == []
    assert summary(run("signin-addresses", ual(*two_days))) == [
        ("TH-SIGNIN-NEW-ADDRESS", "low", "2024-04-11T08:00:00Z", ["line 3"])]
    # two days in all, but only one before the day of the new address
    assert run("signin-addresses", ual(*same_day)) == []


def test_followed_by_a_rule_is_medium_and_shared_new_address_is_high():
    history = logins(MEGAN, HOME, "2024-04-09", "2024-04-10") + logins(
        ADELE, "198.51.100.31", "2024-04-09", "2024-04-10")
    after = [R.login("2024-04-11T07:00:00", MEGAN, AWAY, "UA"),
             rule("x", when="2024-04-11T07:05:00", MarkAsRead="True")]
    found = run("signin-addresses", ual(*history, *after))
    assert [(f.actor, f.severity) for f in found] == [(MEGAN, "medium")]
    assert found[0].details["followed_by"] == ["inbox rule"]
    assert [r.locator for r in found[0].refs] == ["line 5", "line 6"]
    late = rule("x", when="2024-04-12T08:00:00", MarkAsRead="True")     # past 24 hours
    assert run("signin-addresses", ual(*history, after[0], late))[0].severity == "low"
    both = run("signin-addresses", ual(*history, *after,
                                       R.login("2024-04-11T07:30:00", ADELE, AWAY, "UA")))
    assert [(f.actor, f.severity, f.details["shared_with"]) for f in both] == [
        (MEGAN, "high", [ADELE]), (ADELE, "low", [MEGAN])]


def test_office_egress_is_not_new_or_shared():
    users = [f"user{n}@contoso.com" for n in range(6)]
    small = [{"actor": f"user{n}@contoso.com", "ip": "198.51.100.9"} for n in range(3)]
    assert egress(small + [{"actor": MEGAN, "ip": "b"}], 3) == {"198.51.100.9"}
    rows = [{"actor": u, "ip": "198.51.100.10"} for u in users]
    rows += [{"actor": "user0@contoso.com", "ip": "203.0.113.5"}]
    assert egress(rows, 3) == {"198.51.100.10"}
    few = [{"actor": MEGAN, "ip": "a"}, {"actor": ADELE, "ip": "a"}, {"actor": MEGAN, "ip": "b"},
           {"actor": ADELE, "ip": "c"}, {"actor": MEGAN, "ip": "b"}, {"actor": ADELE, "ip": "c"},
           {"actor": MEGAN, "ip": "b"}, {"actor": ADELE, "ip": "c"}]
    assert egress(few, 3) == set()
    signins = [{"actor": MEGAN, "ip": ip, "time": f"2024-04-{d}T08:00:00Z", "sha256": "a" * 64,
                "locator": f"line {d}"} for d, ip in ((10, "a"), (11, "a"), (12, "b"))]
    assert [(h.actor, h.ip, h.prior_days) for h in new_addresses(signins, 2)] == [
        (MEGAN, "b", 2)]


def failures(code: int, name: str, n: int = 12) -> list[dict]:
    out = []
    for k in range(n):
        record = R.login(f"2024-04-11T09:{k * 4:02d}:00", MEGAN, HOME, "UA", ok=False)
        record.update(ErrorNumber=str(code), LogonError=name)
        out.append(record)
    return out


def test_failure_classes_come_from_the_data_table():
    classes = signin_error_classes()
    assert 50074 in classes["interrupt"]["codes"] and 50126 in classes["credential"]["codes"]
    assert "kmsiinterrupt" in classes["interrupt"]["names"]
    # MFA prompts and keep-me-signed-in interrupts refuse nobody: no brute force
    prompts = failures(50074, "UserStrongAuthClientAuthNRequiredInterrupt")
    assert run("account-activity", ual(*prompts)) == []
    kmsi = failures(50140, "KmsiInterrupt")
    assert run("account-activity", ual(*kmsi)) == []
    guesses = failures(50126, "InvalidUserNameOrPassword")
    assert [f.rule for f in run("account-activity", ual(*guesses))] == ["TH-SIGNIN-BRUTE-FORCE"]


def test_burst_of_like_inbox_rules_is_one_finding():
    names = [chr(c) for c in range(ord("a"), ord("a") + 12)]
    burst = [rule(n, when=f"2024-03-11T02:{31 + k:02d}:00", MoveToFolder="Conversation History",
                  MarkAsRead="True") for k, n in enumerate(names)]
    other = rule("Invoices", when="2024-03-11T02:40:30", ForwardTo="x@proton.me")
    later = rule("z", when="2024-03-11T04:00:00", MoveToFolder="Conversation History",
                 MarkAsRead="True")
    found = run("o365-audit", ual(*burst, other, later))
    assert [(f.details.get("count"), f.severity, len(f.refs)) for f in found] == [
        (12, "high", 12), (None, "high", 1), (None, "high", 1)]
    group = found[0]
    assert group.time == "2024-03-11T02:31:00Z"
    assert [m["name"] for m in group.details["members"]] == names
    assert group.statement.startswith(
        "megan.bowen@contoso.com ran New-InboxRule 12 times from 45.142.120.33 between "
        "2024-03-11T02:31:00Z and 2024-03-11T02:42:00Z")
    assert group.title == "12 inbox rules in the mailbox of Megan Bowen in one burst"
