"""Sigma matching rules on our tables: case, NOT over missing fields, LIKE escaping, numbers,
booleans, regular expressions with quotes, keywords, and unmapped logsources."""

from __future__ import annotations

from sigma.collection import SigmaCollection

from tracehound.model import Event, pointer_ref
from tracehound.sigma.backend import EventsBackend
from tracehound.sigma.convert import convert_rule
from tracehound.sigma.runner import run_rules
from tracehound.store import CaseStore

SHA = "a" * 64
RECORDS = [
    {"eventSource": "iam.amazonaws.com", "eventName": "CreateUser", "errorCode": None,
     "requestParameters": {"userName": "Admin_1", "count": 3, "flag": True}},
    {"eventSource": "IAM.amazonaws.com", "eventName": "createuser",
     "requestParameters": {"userName": "adminx1", "count": 30, "flag": False}},
    {"eventSource": "s3.amazonaws.com", "eventName": "GetObject",
     "requestParameters": {"bucketName": "it's-a-bucket"}},
]


def run(detection: str, logsource: str = "product: aws\n    service: cloudtrail") -> list[str]:
    text = (f"title: t\nid: 11111111-2222-4333-8444-555555555555\nlogsource:\n    {logsource}\n"
            f"detection:\n{detection}\nlevel: low\n")
    rule = SigmaCollection.from_yaml(text).rules[0]
    converted = convert_rule(EventsBackend(), rule, "t.yml")
    events = [Event(ref=pointer_ref(SHA, "Records", n), source="aws:cloudtrail",
                    time=f"2026-01-01T00:00:0{n}Z", action=r["eventName"], raw=r)
              for n, r in enumerate(RECORDS)]
    with CaseStore() as store:
        store.load_events(events)
        (result,) = run_rules(store.con, [converted])
    assert result.error is None or result.matches == [], result.error
    return [m["locator"] for m in result.matches] if result.error is None else [result.error]


def test_string_equality_ignores_case():
    assert run("    s:\n        eventName: CreateUser\n    condition: s") == [
        "json:/Records/0", "json:/Records/1"]


def test_not_holds_when_the_filtered_field_is_missing():
    assert run("    s:\n        eventName|contains: e\n    f:\n        errorCode: AccessDenied\n"
               "    condition: s and not f") == [
        "json:/Records/0", "json:/Records/1", "json:/Records/2"]


def test_like_wildcards_in_literal_text_are_escaped():
    assert run("    s:\n        requestParameters.userName|startswith: admin_\n"
               "    condition: s") == ["json:/Records/0"]


def test_numbers_and_booleans_compare_as_text():
    assert run("    s:\n        requestParameters.count: 30\n    condition: s") == [
        "json:/Records/1"]
    assert run("    s:\n        requestParameters.flag: true\n    condition: s") == [
        "json:/Records/0"]


def test_regex_and_values_with_quotes():
    assert run("    s:\n        requestParameters.bucketName|re: \"^it's\"\n    condition: s") == [
        "json:/Records/2"]
    assert run("    s:\n        requestParameters.bucketName: \"it's-a-bucket\"\n"
               "    condition: s") == ["json:/Records/2"]


def test_keywords_search_the_whole_record():
    assert run("    keywords:\n        - adminx\n    condition: keywords") == ["json:/Records/1"]


def test_unmapped_logsource_converts_but_does_not_run():
    assert run("    s:\n        eventName: x\n    condition: s",
               "product: gcp\n    service: gcp.audit") == [
        "no tracehound parser produces gcp/gcp.audit records"]
