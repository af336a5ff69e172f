"""UAL parser: Purview CSV (new and legacy header), JSON array, NDJSON, Graph and PowerShell shapes."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import HealthCheck, given, settings, strategies as st

from cloud_support import assert_located
from m365_support import FIXTURES, parse, records as R, sniffed, source_at, source_of
from tracehound.formats.cloud.m365_ual import UnifiedAuditLogParser
from tracehound.model import Event, row_ref
from shared_data import PLASO_SAMPLES

PARSER = UnifiedAuditLogParser()
BEC = FIXTURES / "bec" / "ual-export.csv"
PLASO = PLASO_SAMPLES / "microsoft_audit_log.jsonl"
RULE = R.exchange("2024-03-11T02:31:07", "New-InboxRule", "Megan.Bowen@contoso.com",
                  "45.142.120.33:52311", "Megan Bowen\\..", Name="..", MoveToFolder="RSS Feeds",
                  MarkAsRead="True", StopProcessingRules="True")


def test_bec_export_reads_every_row_but_the_corrupt_one():
    source = source_at(BEC)
    events, issues = parse(PARSER, source)
    assert sniffed(PARSER, source) == ("CSV with AuditData and CreationDate columns "
                                       "(Purview audit export)")
    assert len(events) == 91
    assert [(i.locator, i.problem.split(":")[0]) for i in issues] == [
        ("row 12", "AuditData is not valid JSON")]
    assert [e.ref.locator for e in events[10:13]] == ["row 11", "row 13", "row 14"]
    assert {e.actor_id for e in events if "megan" in e.actor_id} == {"megan.bowen@contoso.com"}


def test_inbox_rule_event_full_field_set():
    source = source_at(BEC)
    events, _ = parse(PARSER, source)
    event = next(e for e in events if e.ref.locator == "row 16")
    record = json.loads(next(r for i, r in enumerate(csv.DictReader(io.StringIO(
        BEC.read_text()))) if i == 15)["AuditData"])
    assert event == Event(
        ref=row_ref(source.sha256, 16), source="m365:ual", time="2024-03-11T02:31:07Z",
        action="New-InboxRule", action_class="write", actor_id="megan.bowen@contoso.com",
        actor_kind="human", target_id="Megan Bowen\\..", target_type="mailbox",
        outcome="success", raw=record,
        attrs={"operation": "New-InboxRule", "user_id": "Megan.Bowen@contoso.com",
               "workload": "Exchange", "record_id": record["Id"], "client_ip": "45.142.120.33",
               "user_agent": None, "result_status": "True", "object_id": "Megan Bowen\\..",
               "app_id": None, "client_app_id": None, "site_url": None, "file_name": None,
               "failure_reason": None, "error_code": None, "record_type": 1,
               "parameters": {"Name": "..", "MoveToFolder": "RSS Feeds", "MarkAsRead": "True",
                              "SubjectOrBodyContainsWords": "invoice;payment;wire transfer;bank details",
                              "StopProcessingRules": "True"},
               "modified_properties": {}, "extended_properties": {}})


def test_directory_records_carry_role_consent_and_mfa_attrs():
    events, _ = parse(PARSER, source_at(BEC))
    by_row = {e.ref.locator: e for e in events}
    role = by_row["row 21"]
    assert (role.action, role.target_id, role.target_type) == (
        "Add member to role", "helpdesk.tmp@contoso.com", "user")
    assert (role.attrs["role_name"], role.attrs["role_template_id"]) == (
        "Global Administrator", "62e90394-69f5-4237-9190-012177145e10")
    consent = by_row["row 19"].attrs
    assert (consent["scopes"], consent["consent_type"], consent["is_admin_consent"],
            consent["on_behalf_of_all"], consent["app_name"]) == (
        ["Mail.ReadWrite", "User.Read", "offline_access"], "AllPrincipals", True, True,
        "Mail Sync Helper")
    assert by_row["row 15"].attrs["mfa_method"] == "Microsoft Authenticator"


def test_legacy_header_with_us_locale_dates(tmp_path):
    rec = dict(RULE, CreationTime="")
    text = R.ual_csv([rec], R.LEGACY_HEADER, times=["3/11/2024 2:31:07 AM"])
    events, issues = parse(PARSER, source_of(tmp_path, text, "legacy.csv"))
    assert issues == [] and [(e.time, e.action, e.actor_id) for e in events] == [
        ("2024-03-11T02:31:07Z", "New-InboxRule", "megan.bowen@contoso.com")]


def test_json_array_ndjson_and_graph_shapes_give_the_same_event(tmp_path):
    graph = {"id": "g-1", "createdDateTime": "2024-03-11T02:31:07Z", "operation": "New-InboxRule",
             "userPrincipalName": "megan.bowen@contoso.com", "clientIp": "45.142.120.33",
             "service": "Exchange", "auditData": RULE}
    camel = {k[:1].lower() + k[1:]: v for k, v in RULE.items()}
    powershell = {"CreationDate": "/Date(1710124267000)/", "UserIds": "x", "Operations": "x",
                  "AuditData": json.dumps(RULE), "ResultIndex": 1}
    shapes = {"array.json": json.dumps([RULE, 7]), "lines.ndjson": json.dumps(RULE) + "\n\n" +
              json.dumps(camel) + "\n", "graph.json": json.dumps({"value": [graph]}),
              "ps.json": json.dumps([powershell])}
    seen = {}
    for name, text in shapes.items():
        source = source_of(tmp_path, text, name)
        assert sniffed(PARSER, source)
        events, issues = parse(PARSER, source)
        seen[name] = ([(e.ref.locator, e.time, e.action, e.actor_id, e.attrs["client_ip"],
                        e.attrs["parameters"]["MoveToFolder"]) for e in events],
                      [(i.locator, i.problem) for i in issues])
    same = ("2024-03-11T02:31:07Z", "New-InboxRule", "megan.bowen@contoso.com", "45.142.120.33",
            "RSS Feeds")
    assert seen == {
        "array.json": ([("json:/0", *same)], [("json:/1", "expected a JSON object, found int")]),
        "lines.ndjson": ([("line 1", *same), ("line 3", *same)], []),
        "graph.json": ([("json:/value/0", *same)], []),
        "ps.json": ([("json:/0", *same)], []),
    }


def test_properties_are_matched_by_name_not_position(tmp_path):
    reordered = dict(RULE, Parameters=list(reversed(RULE["Parameters"])))
    events, _ = parse(PARSER, source_of(tmp_path, json.dumps([RULE, reordered]), "a.json"))
    assert events[0].attrs["parameters"] == events[1].attrs["parameters"]


def test_plaso_sample_parses():
    source = source_at(PLASO)
    assert sniffed(PARSER, source)
    events, issues = parse(PARSER, source)
    assert issues == []
    assert [(e.ref.locator, e.action, e.actor_kind, e.time) for e in events] == [
        ("line 1", "Install-DefaultSharingPolicy", "service-principal", "2022-05-07T12:55:53Z"),
        ("line 2", "Set-MailboxPlan", "service-principal", "2022-05-07T12:56:18Z"),
        ("line 3", "Set-AdminAuditLogConfig", "service-principal", "2022-05-07T12:56:24Z"),
        ("line 4", "UserLoggedIn", "human", "2022-05-08T15:13:41Z")]
    assert events[2].attrs["parameters"]["AdminAuditLogEnabled"] == "True"
    assert all(e.source == "m365:ual" for e in events)


def test_one_bad_row_per_shape_is_one_issue_with_its_locator(tmp_path):
    good = json.dumps(RULE, separators=(",", ":"))
    no_op = dict(RULE, Operation="")
    rows = R.ual_csv([RULE, RULE, no_op, RULE], R.NEW_HEADER, corrupt={1: "[1]"})
    lines = rows.splitlines(keepends=True)
    ragged = lines[:4] + ['x,"y"\r\n'] + lines[4:]
    cases = {
        "a.csv": ("".join(ragged), [("row 2", "AuditData is a JSON list, not an object"),
                                    ("row 3", "record names no Operation"),
                                    ("row 4", "ragged row")]),
        "b.ndjson": (f"{good}\n{good[:50]}\n{good}\n", [("line 2", "invalid JSON")]),
        "c.json": (f"[{good}, \"text\"]", [("json:/1", "expected a JSON object, found str")]),
    }
    for name, (text, expected) in cases.items():
        _, issues = parse(PARSER, source_of(tmp_path, text, name))
        assert [(i.locator, i.problem.split(":")[0]) for i in issues] == expected, name


cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
audit = st.one_of(cells, st.builds(json.dumps, st.fixed_dictionaries(
    {"Operation": cells, "CreationTime": cells, "UserId": cells},
    optional={"Parameters": st.lists(st.fixed_dictionaries({"Name": cells, "Value": cells}),
                                     max_size=3), "ClientIP": cells})))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(cells, cells, audit), min_size=1, max_size=8))
def test_csv_rows_each_become_an_event_or_an_issue(tmp_path, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(R.LEGACY_HEADER)
    for created, user, data in rows:
        writer.writerow([created, user, "op", data])
    events, issues = parse(PARSER, source_of(tmp_path, buffer.getvalue(), "p.csv"))
    locators = [e.ref.locator for e in events] + [i.locator for i in issues]
    assert sorted(locators, key=lambda loc: int(loc.split()[1])) == [
        f"row {n}" for n in range(1, len(rows) + 1)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(tmp_path, data):
    for name, prefix in (("x.csv", b"CreationDate,UserIds,Operations,AuditData\n"),
                         ("x.json", b"[")):
        assert_located(PARSER.parse(source_of(tmp_path, prefix + data, name)))
