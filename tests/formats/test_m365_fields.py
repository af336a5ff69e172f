"""Each Microsoft-field normalizer and its DuckDB twin agree, on real spellings and on noise."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from m365_support import sql_values
from tracehound.formats.cloud import m365_fields as f


TIMES = {
    "2023-09-20T04:05:03": "2023-09-20T04:05:03Z",
    "2023-09-20T04:05:03.0000000Z  ": "2023-09-20T04:05:03Z",
    "2023-09-20T04:05:03.1234567Z": "2023-09-20T04:05:03.123456Z",
    "2023-09-20 04:05:03+02:00": "2023-09-20T02:05:03Z",
    "2023-09-20T23:30:00-0130": "2023-09-21T01:00:00Z",
    "9/20/2023 4:05:03 AM": "2023-09-20T04:05:03Z",
    "9/20/2023 12:05:03 AM": "2023-09-20T00:05:03Z",
    "9/20/2023 12:05:03 PM": "2023-09-20T12:05:03Z",
    "9/20/2023 4:05 PM": "2023-09-20T16:05:00Z",
    "12/31/2023 23:59:59": "2023-12-31T23:59:59Z",
    "2023-02-30T01:00:00": None, "13/1/2023 1:00 PM": None, "9/20/2023 13:05 PM": None,
    "2023-09-20T24:00:00": None, "yesterday": None, "": None,
}


def test_time_spellings(twin_con):
    assert {t: f.utc_time(t) for t in TIMES} == TIMES
    assert sql_values(twin_con, f.utc_time_sql("v"), list(TIMES)) == list(TIMES.values())


IPS = {"185.73.124.135:19823": "185.73.124.135", "[2001:db8::1]:443": "2001:db8::1",
       "[2001:db8::1]": "2001:db8::1", "2001:db8::1": "2001:db8::1", " 10.0.0.1 ": "10.0.0.1",
       "": None, "[]": None, "0.0.0.0": "0.0.0.0"}


def test_client_ip_spellings(twin_con):
    assert {ip: f.client_ip(ip) for ip in IPS} == IPS
    assert sql_values(twin_con, f.client_ip_sql("v"), list(IPS)) == list(IPS.values())


def test_user_kind_operation_and_outcome(twin_con):
    users = ["Megan.Bowen@Contoso.com ", "NT AUTHORITY\\SYSTEM (Microsoft.Exchange.Servicehost)",
             "ServicePrincipal_8a2f", "app@sharepoint", "S-1-5-18", ""]
    assert [f.actor_id(u) for u in users] == sql_values(twin_con, f.actor_id_sql("v"), users)
    assert [f.actor_kind(u) for u in users] == ["human", "service-principal",
                                                "service-principal", "service-principal",
                                                "unknown", "unknown"]
    assert sql_values(twin_con, f.actor_kind_sql("v", "'0'"), users) == [
        f.actor_kind(u, 0) for u in users]
    assert f.actor_kind("bob", 5) == "service-principal" and f.actor_kind("bob", True) == "unknown"
    ops = ["Add member to role.", " Consent to application. ", "New-InboxRule", "a..", ""]
    assert [f.canonical_operation(o) for o in ops] == sql_values(
        twin_con, f.canonical_operation_sql("v"), ops) == [
        "Add member to role", "Consent to application", "New-InboxRule", "a.", ""]
    statuses = ["Succeeded", "True", " failed ", "PartiallySucceeded", "Unknown", None]
    assert [f.outcome(s) for s in statuses] == sql_values(
        twin_con, f.outcome_sql("v", "'x'"), statuses) == [
        "success", "success", "failure", "success", None, None]
    assert f.outcome("Success", "UserLoginFailed") == "failure"


PROPERTY_LISTS = [
    '[{"Name":"ForwardTo","Value":"a@b.c"},{"Name":"ForwardTo","Value":"second"}]',
    '[{"Name":"MarkAsRead","Value":true},{"Name":"N","Value":{"x":[1,2]}},{"Value":3}]',
    '[{"Name":5,"Value":null}]', "[1, 2]", "[]", '"text"', "null", "{}",
]


def test_property_maps_match_by_name_first_wins(twin_con):
    assert f.name_value_map(json.loads(PROPERTY_LISTS[0])) == {"ForwardTo": "a@b.c"}
    assert f.name_value_map(json.loads(PROPERTY_LISTS[1])) == {
        "MarkAsRead": "true", "N": '{"x":[1,2]}'}
    python = [f.name_value_map(json.loads(p)) for p in PROPERTY_LISTS]
    assert [json.loads(v) for v in sql_values(twin_con, f.name_value_map_sql("v"), PROPERTY_LISTS,
                                              "JSON")] == python
    python = [f.modified_map(json.loads(p.replace('"Value"', '"NewValue"'))) for p in PROPERTY_LISTS]
    assert [json.loads(v) for v in sql_values(
        twin_con, f.modified_map_sql("v"), [p.replace('"Value"', '"NewValue"') for p in PROPERTY_LISTS],
        "JSON")] == python


digits = st.integers(0, 99).map(str)
time_like = st.tuples(st.integers(0, 10000), st.integers(0, 13), st.integers(0, 32),
                      st.integers(0, 25), st.integers(0, 61), st.integers(0, 61),
                      st.sampled_from(["", ".5", ".1234567", ".000"]),
                      st.sampled_from(["", "Z", "+01:00", "-0830", "  "]),
                      st.booleans()).map(
    lambda t: (f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}{'T' if t[8] else ' '}{t[3]:02d}:{t[4]:02d}:"
               f"{t[5]:02d}{t[6]}{t[7]}"))
us_like = st.tuples(st.integers(0, 13), st.integers(0, 32), st.integers(1, 9999),
                    st.integers(0, 13), st.integers(0, 60),
                    st.sampled_from(["", " AM", " PM", " pm"])).map(
    lambda t: f"{t[0]}/{t[1]}/{t[2]} {t[3]}:{t[4]:02d}:{t[4]:02d}{t[5]}")
text = st.text(alphabet=st.sampled_from(list("0123456789:/-.TZ +[]abcAPM\t")), max_size=30)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(time_like, us_like, text), min_size=1, max_size=40))
def test_time_twins_agree_on_generated_strings(twin_con, values):
    assert sql_values(twin_con, f.utc_time_sql("v"), values) == [f.utc_time(v) for v in values]


@settings(max_examples=40, deadline=None)
@given(st.lists(text, min_size=1, max_size=40))
def test_ip_and_operation_twins_agree_on_generated_strings(twin_con, values):
    assert sql_values(twin_con, f.client_ip_sql("v"), values) == [f.client_ip(v) for v in values]
    assert sql_values(twin_con, f.canonical_operation_sql("v"), values) == [
        f.canonical_operation(v) for v in values]


# --- sign-in error numbers (UAL ErrorNumber) ------------------------------------------------

NUMBERS = {"50126": 50126, " 50074 ": 50074, "0": 0, "050140": 50140, "": None, "n/a": None,
           "5.0": None, "-1": None, "1e5": None, "123456789012345678": 123456789012345678,
           "1234567890123456789": None, "５０１２６": None}


def test_error_number_and_its_sql_twin_agree(twin_con):
    assert {text: f.error_number(text) for text in NUMBERS} == NUMBERS
    assert sql_values(twin_con, f.error_number_sql("v"), list(NUMBERS)) == list(NUMBERS.values())
    # a JSON number is taken; a boolean, a fraction or an object is not a number here
    assert [f.error_number(v) for v in (50126, True, 50126.0, {"n": 1}, None)] == [
        50126, None, None, None, None]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="0123456789 -.x\t", max_size=22))
def test_error_number_twins_agree_on_noise(twin_con, text):
    assert sql_values(twin_con, f.error_number_sql("v"), [text]) == [f.error_number(text)]
