"""Address chains (correlate/address_chain.py) and the sign-in wording of classification."""

from __future__ import annotations

import sys
from pathlib import Path

from tracehound.classify import classify
from tracehound.correlate.address_chain import address_chains
from tracehound.formats.cloud.m365_ual import record_event
from tracehound.model import Finding, line_ref
from tracehound.store import CaseStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "cloud"))
import m365_records as R  # noqa: E402

SHA = "d" * 64
X, HOME = "91.132.139.20", "198.51.100.23"
MEGAN, ADELE, LEE = "megan.bowen@contoso.com", "adele.vance@contoso.com", "lee.gu@contoso.com"


def events(*records):
    out = []
    for n, record in enumerate(records, start=1):
        out += list(record_event(line_ref(SHA, n), record, {}, "ual.ndjson"))
    return out


def finding(rule, line, actor, time, severity="high", category="anomalous-signin", **details):
    return Finding(rule=rule, tool="t", category=category, severity=severity, title=rule,
                   statement="s", refs=(line_ref(SHA, line),), time=time, actor=actor,
                   details=details)


def chains(findings, evs):
    with CaseStore() as store:
        store.load_events(evs)
        return address_chains(findings, store)


SIGNINS = (R.login("2024-04-12T07:00:05", MEGAN, X, "UA"),
           R.login("2024-04-12T07:40:00", ADELE, X, "UA"),
           R.login("2024-04-12T07:45:00", LEE, HOME, "UA"))


def test_chain_ties_the_address_its_accounts_and_what_followed():
    new = finding("TH-SIGNIN-NEW-ADDRESS", 1, MEGAN, "2024-04-12T07:00:05Z", "low", ip=X)
    rules = finding("TH-M365-INBOX-RULE", 10, MEGAN, "2024-04-12T07:02:00Z",
                    category="inbox-rule", client_ip=X)
    before = finding("TH-M365-INBOX-RULE", 11, MEGAN, "2024-04-11T07:02:00Z",
                     category="inbox-rule", client_ip=HOME)
    elsewhere = finding("TH-M365-MAIL-FORWARDING", 12, LEE, "2024-04-12T08:00:00Z",
                        category="mail-forwarding", client_ip=HOME)
    minor = finding("TH-M365-INBOX-RULE", 13, ADELE, "2024-04-12T08:00:00Z", "low",
                    category="inbox-rule")
    [chain] = chains([new, rules, before, elsewhere, minor], events(*SIGNINS))
    assert (chain.rule, chain.category, chain.severity, chain.actor) == (
        "TH-CLOUD-ADDRESS-CHAIN", "anomalous-signin", "high", X)
    assert [r.locator for r in chain.refs] == ["line 1", "line 2"]
    assert chain.details["findings"] == sorted([new.id, rules.id])
    assert chain.details["accounts"] == [MEGAN, ADELE]
    assert chain.statement == (
        f"Address {X} signed in to {MEGAN} (first at 2024-04-12T07:00:05Z) and {ADELE} (first "
        "at 2024-04-12T07:40:00Z); from it, or from these accounts after they signed in from "
        "it, followed 1 inbox-rule (TH-M365-INBOX-RULE), at 2024-04-12T07:02:00Z.")


def test_no_chain_for_one_account_with_nothing_after_or_without_a_signin_finding():
    new = finding("TH-SIGNIN-NEW-ADDRESS", 1, MEGAN, "2024-04-12T07:00:05Z", "low", ip=X)
    assert chains([new], events(SIGNINS[0], SIGNINS[2])) == []
    rules = finding("TH-M365-INBOX-RULE", 10, MEGAN, "2024-04-12T07:02:00Z",
                    category="inbox-rule", client_ip=X)
    assert chains([rules], events(*SIGNINS)) == []


def test_an_egress_address_is_no_chain():
    logins = [R.login(f"2024-04-12T07:{n:02d}:00", f"user{n}@contoso.com", X, "UA")
              for n in range(12)]
    new = finding("TH-SIGNIN-NEW-ADDRESS", 1, "user0@contoso.com", "2024-04-12T07:00:00Z",
                  "low", ip=X)
    rules = finding("TH-M365-INBOX-RULE", 20, "user0@contoso.com", "2024-04-12T07:30:00Z",
                    category="inbox-rule", client_ip=X)
    assert chains([new, rules], events(*logins)) == []


def test_ual_signins_count_as_signin_logs_in_what_is_missing():
    evs = events(*SIGNINS)
    low = finding("TH-M365-INBOX-RULE", 10, MEGAN, "2024-04-12T07:02:00Z", "medium",
                  category="inbox-rule")
    verdict = classify([low], evs, [], [])
    assert verdict["case_type"] == "undetermined"
    assert not any("sign-in logs" in m for m in verdict["missing_evidence"])
    assert "sign-in logs" not in verdict["explanation"]
    other = events(R.exchange("2024-04-12T07:02:00", "New-InboxRule", MEGAN, X, "r", Name="r"))
    assert any("sign-in logs" in m for m in classify([low], other, [], [])["missing_evidence"])
