"""Text many agent findings share is written once (`shared`, by id); a ref listed twice in one
object goes; the case JSON is the findings' document (no per-row views)."""

from pathlib import Path

from builders import finding

from tracehound.correlate.shared_text import share_details, shared_id, unique_refs
from tracehound.pipeline import VIEWS, Case, Options, analyze

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCOPE = {"envelope": "coding", "label": "envelope coding",
         "description": "the coding envelope; 1 human turn(s) read",
         "unresolved": [{"quote": "Do not change the ticket.", "turn": 0, "ref": None}]}
REF = {"sha256": "1" * 64, "locator": "line 1"}
OTHER = {"sha256": "1" * 64, "locator": "line 2"}


def as_json(*findings):
    return [f.to_json() for f in findings]


def test_the_scope_and_quotes_of_agent_findings_are_written_once():
    findings = as_json(
        finding("scope-creep", step=1, details={"scope": SCOPE, "action_class": "read"}),
        finding("scope-creep", step=2, line=2, details={"scope": SCOPE}),
        finding("prompt-action-divergence", step=3, line=3,
                details={"quote": "Fix it in src/ only.", "turn": 0}),
        finding("unattended-action", step=4, line=4, details={"awaiting": "wait for me"}))
    shared_out, table = share_details(findings)
    scope_id = shared_id("scope", SCOPE)
    assert table == {scope_id: SCOPE, shared_id("quote", "Fix it in src/ only."):
                     "Fix it in src/ only.", shared_id("awaiting", "wait for me"): "wait for me"}
    assert [f["details"] for f in shared_out] == [
        {"scope_id": scope_id, "action_class": "read"}, {"scope_id": scope_id},
        {"quote_id": shared_id("quote", "Fix it in src/ only."), "turn": 0},
        {"awaiting_id": shared_id("awaiting", "wait for me")}]
    assert scope_id.startswith("scope-") and len(scope_id) == len("scope-") + 12
    for before, after in zip(findings, shared_out):       # contract fields stay as they are
        assert {k: v for k, v in before.items() if k != "details"} == \
            {k: v for k, v in after.items() if k != "details"}


def test_cloud_findings_keep_their_details():
    arm = "/subscriptions/0b1f/resourceGroups/rg-web"
    findings = as_json(finding("rbac-change", details={"scope": arm, "role": "Owner"}))
    assert share_details(findings) == (findings, {})


def test_a_ref_listed_twice_in_one_object_is_listed_once():
    value = {"refs": [REF, OTHER, REF], "details": {"signin_refs": [OTHER, OTHER],
                                                    "pair": [1, 1], "names": ["a", "a"]}}
    assert unique_refs(value) == {"refs": [REF, OTHER], "details": {
        "signin_refs": [OTHER], "pair": [1, 1], "names": ["a", "a"]}}


def test_the_case_json_has_no_view_and_holds_shared_text_once():
    case = analyze([FIXTURES / "agent" / "langfuse"], Options(reproducible=True))
    doc = case.to_json()
    agent = [f for f in doc["findings"] if "scope_id" in (f.get("details") or {})]
    assert len(agent) >= 2 and not any("scope" in (f.get("details") or {})
                                       for f in doc["findings"])
    assert {f["details"]["scope_id"] for f in agent} <= set(doc["shared"])
    assert [f.rule for f in case.findings] == [f["rule"] for f in doc["findings"]]


def test_per_row_views_stay_in_the_case_and_out_of_its_json():
    case = analyze([FIXTURES / "cloud" / "bec"], Options(reproducible=True))
    doc = case.to_json()
    assert set(VIEWS) & set(case.artifacts) == {"account_activity", "o365_views",
                                                "saas_cross_service", "saas_timeline",
                                                "ual_users"}
    assert not set(VIEWS) & set(doc)
    assert {"evidence", "traces", "findings", "graphs", "classification", "parse_issues",
            "iocs", "tool_runs"} <= set(doc)


def test_a_case_without_shared_text_has_no_shared_table():
    case = Case([], [], [], [], {})
    assert "shared" not in case.to_json()


def test_without_views_the_view_tools_skip_them_and_the_rest_is_the_same():
    with_views = analyze([FIXTURES / "cloud" / "bec"], Options(reproducible=True))
    without = analyze([FIXTURES / "cloud" / "bec"], Options(reproducible=True, views=False))
    assert not set(VIEWS) & set(without.artifacts)
    assert set(VIEWS) & set(with_views.artifacts)
    assert without.to_json() == with_views.to_json()
