"""The cloud tools read UAL sign-in facts from attrs: failures classed by ErrorNumber first
(then by LogonError), and the app of a MailItemsAccessed by ClientAppId when it has no AppId,
with or without the raw record."""

from __future__ import annotations

from dataclasses import replace

from m365_builders import R, run, summary, ual
from tracehound.analyzers.cloud.cloud_tables import ensure_signins
from tracehound.analyzers.cloud.m365_detections import DETECTION_OPS
from tracehound.store import CaseStore

MEGAN, HOME = "megan.bowen@contoso.com", "198.51.100.23"
ADMIN, IP = "it.admin@contoso.com", "185.100.87.41"
APP_ID = R.gid("appid/Sync Assistant")


def failures(number: str | None, name: str | None, n: int = 12) -> list[dict]:
    out = []
    for k in range(n):
        record = R.login(f"2024-04-11T09:{k * 4:02d}:00", MEGAN, HOME, "UA", ok=False)
        record.pop("ErrorNumber")
        record.pop("LogonError")
        record.update({k: v for k, v in (("ErrorNumber", number), ("LogonError", name)) if v})
        out.append(record)
    return out


def error_classes(records: list[dict]) -> list[tuple]:
    with CaseStore() as store:
        store.load_events(ual(*records))
        ensure_signins(store.con, DETECTION_OPS)
        return store.con.execute("SELECT error_code, error_class FROM th_signins "
                                 "ORDER BY locator").fetchall()


def test_a_failure_is_classed_by_its_number_before_its_name():
    assert error_classes(failures("50126", "KmsiInterrupt", 1)) == [(50126, "credential")]
    assert error_classes(failures("50140", "InvalidUserNameOrPassword", 1)) == [
        (50140, "interrupt")]
    assert error_classes(failures("50074", None, 1)) == [(50074, "interrupt")]
    # no number, or one the table does not list: the name decides, else 'other'
    assert error_classes(failures(None, "KmsiInterrupt", 1)) == [(None, "interrupt")]
    assert error_classes(failures("99999", "IdsLocked", 1)) == [(99999, "blocked")]
    assert error_classes(failures("99999", None, 1)) == [(99999, "other")]


def test_brute_force_follows_the_error_number():
    # guesses whose name reads like an interrupt are still guesses
    assert [f.rule for f in run("account-activity", ual(*failures("50126", "KmsiInterrupt")))] \
        == ["TH-SIGNIN-BRUTE-FORCE"]
    # keep-me-signed-in prompts with only a number refuse nobody
    assert run("account-activity", ual(*failures("50140", None))) == []
    assert run("account-activity", ual(*failures("50140", "InvalidUserNameOrPassword"))) == []


def mail_read(when: str, owner: str, **apps: str) -> dict:
    return R.base(when, "MailItemsAccessed", owner, 50, "Exchange", "52.1.2.3",
                  MailboxOwnerUPN=owner, **apps)


def test_mail_read_by_client_app_id_alone_is_found_with_or_without_raw():
    consent = R.consent("2024-05-03T22:11:00", ADMIN, IP, "Sync Assistant", APP_ID,
                        "Mail.ReadWrite", True)
    reads = [mail_read("2024-05-03T23:00:00", MEGAN, ClientAppId=APP_ID.upper()),
             mail_read("2024-05-03T23:05:00", "adele.vance@contoso.com", ClientAppId=APP_ID)]
    events = ual(consent, *reads)
    found = run("identity-attacks", events)
    assert summary(found) == [
        ("TH-M365-APP-MAIL-READ", "high", "2024-05-03T23:00:00Z", ["line 2", "line 3"])]
    assert found[0].details["app_id"] == APP_ID
    bare = [replace(e, raw=None) if e.action == "MailItemsAccessed" else e for e in events]
    assert run("identity-attacks", bare) == found
