"""One event, many exports (copies.py): a record seen in several inputs is one event with a
ref to each copy, and every finding on it cites every copy."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tracehound.copies import cite_copies, copies_of, copy_keys, join_copies
from tracehound.evidence import collect
from tracehound.model import Event, EvidenceFile, EvidenceRef, Finding
from tracehound.pipeline import Options, analyze, parse_sources

ROOT = Path(__file__).resolve().parents[1]
CLOUD = ROOT / "fixtures" / "cloud"
SENTINEL = CLOUD / "sentinel"
TRAIL = CLOUD / "cloudtrail" / "attack_trail.json"


def parsed(*paths: Path) -> tuple[list[EvidenceFile], list[Event]]:
    with collect(list(paths)) as intake:
        evidence, events, _, _ = parse_sources(intake, None, None)
    return evidence, events


def test_a_signin_and_its_ual_record_are_one_event_citing_both():
    evidence, events = parsed(SENTINEL / "copies" / "signinlogs.csv",
                              SENTINEL / "copies" / "ual.json")
    assert len(events) == 4
    joined = join_copies(events, evidence)
    assert len(joined.events) == 3 and joined.merged == 1
    kept = next(e for e in joined.events if e.attrs.get("copies"))
    ual = next(e for e in events if e.source == "m365:ual" and e.action == "UserLoggedIn")
    assert kept.source == "entra:signin"             # the sign-in log is preferred
    assert kept.attrs["copies"] == [ual.ref.to_json()]
    assert joined.kept == {kept.ref: (ual.ref,)}
    notice, = joined.issues
    assert notice.notice and notice.path.endswith("ual.json") and "1 record(s)" in notice.problem
    # the other sign-in and the other UAL record stay as they were
    assert sum(e.source == "m365:ual" for e in joined.events) == 1


def test_the_kept_copy_does_not_depend_on_the_order_of_inputs():
    a = join_copies(*reversed(parsed(TRAIL, SENTINEL / "awscloudtrail.csv")))
    b = join_copies(*reversed(parsed(SENTINEL / "awscloudtrail.csv", TRAIL)))
    assert a.kept == b.kept and a.merged == b.merged == 36
    first = min(e.ref.sha256 for e in a.events)
    assert {r.sha256 for r in a.kept} == {first}     # the first copy by (sha256, locator)


def _event(sha: str, locator: str, event_id: str) -> Event:
    return Event(ref=EvidenceRef(sha * 64, locator), source="aws:cloudtrail", time=None,
                 action="StopLogging", attrs={"event_id": event_id})


def test_one_files_repeated_records_are_not_copies():
    events = [_event("a", "line 1", "e1"), _event("a", "line 2", "e1")]
    joined = join_copies(events, [])
    assert joined.events == events and joined.merged == 0


def test_copies_in_three_files_fold_into_one():
    events = [_event("c", "line 1", "E1"), _event("a", "line 9", "e1"),
              _event("b", "line 3", "e1"), _event("b", "line 4", "e2")]
    joined = join_copies(events, [])
    assert joined.merged == 2 and len(joined.events) == 2
    kept = joined.events[0]
    assert kept.ref == EvidenceRef("a" * 64, "line 9")
    assert kept.attrs["copies"] == [{"sha256": "b" * 64, "locator": "line 3"},
                                    {"sha256": "c" * 64, "locator": "line 1"}]


def test_keys_of_each_source():
    audit = Event(ref=EvidenceRef("a" * 64, "row 1"), source="entra:audit",
                  time="2024-03-11T02:50:31Z", action="Consent to application",
                  session="CORR", attrs={"record_id": "Directory_X"})
    assert copy_keys(audit) == [("audit", "directory_x"),
                                ("audit-correlation", "corr", "Consent to application",
                                 "2024-03-11T02:50:31")]
    login = Event(ref=EvidenceRef("a" * 64, "line 1"), source="m365:ual", time=None,
                  action="UserLoggedIn", attrs={"record_id": "U1"},
                  raw={"IntraSystemId": "REQ-1"})
    assert copy_keys(login) == [("ual", "u1"), ("signin", "req-1")]
    other = replace(login, action="FileDownloaded")
    assert copy_keys(other) == [("ual", "u1")]


def test_cite_copies_adds_every_copy_to_findings_on_the_kept_event():
    kept, copy, other = (EvidenceRef(c * 64, "line 1") for c in "abc")
    finding = Finding(rule="TH-X", tool="t", category="audit-tampering", severity="high",
                      title="t", statement="s", refs=(kept, other))
    unrelated = replace(finding, rule="TH-Y", refs=(other,))
    out = cite_copies([finding, unrelated], {kept: (copy,)})
    assert [f.refs for f in out] == [(kept, other, copy), (other,)]
    assert cite_copies([finding], {}) == [finding]


def test_pipeline_cloudtrail_file_and_its_sentinel_export():
    alone = analyze([TRAIL], Options(reproducible=True))
    both = analyze([TRAIL, SENTINEL / "awscloudtrail.csv"], Options(reproducible=True))
    assert len(both.events) == len(alone.events) == 36
    row, = [r for r in both.extra["tool_runs"] if r["tool"] == "copies"]
    assert row["merged"] == 36 and row["kept"] == 36
    assert not [r for r in alone.extra["tool_runs"] if r["tool"] == "copies"]
    assert sorted(f.rule for f in both.findings) == sorted(f.rule for f in alone.findings)
    shas = {e.sha256: e.path for e in both.evidence}
    for finding in both.findings:               # every copy cited: refs come in pairs
        by_file = {}
        for ref in finding.refs:
            by_file.setdefault(shas[ref.sha256], []).append(ref)
        assert len(by_file) == 2, finding.rule
        assert len(set(map(len, by_file.values()))) == 1, finding.rule
    notices = [i for i in both.parse_issues if "copies of records" in i.problem]
    assert len(notices) == 1


def test_pipeline_store_holds_each_record_once():
    from tracehound.pipeline import case_store, parse_sources as parse_all
    from tracehound.copies import fold_copies
    with collect([SENTINEL / "copies" / "signinlogs.csv", SENTINEL / "copies" / "ual.json"]) \
            as intake, case_store(":memory:", intake.sources) as store:
        evidence, events, issues, counts = parse_all(intake, None, None, store, stream=True)
        folded = fold_copies(evidence, events, issues, counts, store)
        rows = store.con.execute("SELECT source, json_extract(attrs, '$.copies') FROM events "
                                 "ORDER BY source, locator").fetchall()
    assert len(folded.events) == 3 and len(rows) == 3
    assert [r[0] for r in rows] == ["entra:signin", "entra:signin", "m365:ual"]
    assert sum(r[1] is not None for r in rows) == 1


@pytest.mark.parametrize("extra", [[SENTINEL / "officeactivity.csv"],
                                   [SENTINEL / "officeactivity.json",
                                    SENTINEL / "cloudappevents.jsonl"]])
def test_pipeline_ual_and_officeactivity_findings_are_those_of_the_ual(extra):
    native = [CLOUD / "bec" / "ual-export.csv", CLOUD / "bec" / "entra-signins.json"]
    alone = analyze(native, Options(reproducible=True))
    both = analyze(native + extra, Options(reproducible=True))
    # new facts only: the record cut short in ual-export.csv (row 12) and, from
    # CloudAppEvents, the consented app's MailItemsAccessed (which the app-mail tool reports)
    mail = SENTINEL / "cloudappevents.jsonl" in extra
    rules = sorted(f.rule for f in both.findings if f.rule != "TH-M365-APP-MAIL-READ")
    assert rules == sorted(f.rule for f in alone.findings)
    assert any(f.rule == "TH-M365-APP-MAIL-READ" for f in both.findings) == mail
    uals = sum(e.source == "m365:ual" for e in alone.events)
    assert sum(e.source == "m365:ual" for e in both.events) == uals + 1 + mail


def test_a_portal_audit_csv_without_ids_joins_auditlogs_on_the_correlation(tmp_path):
    import json
    first = json.loads((SENTINEL / "auditlogs.jsonl").read_text("utf-8").splitlines()[0])
    portal = tmp_path / "AuditLogs_2024-03-11.csv"
    portal.write_text(
        "Date (UTC),CorrelationId,Service,Category,Activity,Result,ResultReason,"
        "ActorUserPrincipalName,Target1DisplayName\n"
        f"2024-03-11T02:50:31Z,{first['CorrelationId']},Core Directory,ApplicationManagement,"
        f"Consent to application,success,,megan.bowen@contoso.com,Mail Sync Helper\n",
        "utf-8")
    evidence, events = parsed(portal, SENTINEL / "auditlogs.jsonl")
    assert sorted(e.source for e in events) == ["entra:audit"] * 4
    joined = join_copies(events, evidence)
    assert joined.merged == 1 and len(joined.events) == 3
    kept = next(e for e in joined.events if e.attrs.get("copies"))
    assert kept.action == "Consent to application"


def test_copies_read_back_from_the_events():
    joined = join_copies(*reversed(parsed(TRAIL, SENTINEL / "awscloudtrail.csv")))
    assert copies_of(joined.events) == joined.kept
