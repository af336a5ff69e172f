"""The SigmaHQ rules tracehound ships and runs on every case: each included rule fires on an
event built from its own detection block, all of them in one batched pass, and none rises
above low on the benign fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from goldens import check_golden
from sigma.collection import SigmaCollection
from sigma_case import SIGMAHQ
from sigma_positives import Infeasible, positive
from shared_data import PLASO_SAMPLES

from tracehound.fixtures import kepler
from tracehound.model import SEVERITY_RANK
from tracehound.pipeline import Options, analyze
from tracehound.sigma import run_rules
from tracehound.sigma.defaults import SIGMAHQ_RULES, default_rules, selection
from tracehound.store import CaseStore

TESTS = Path(__file__).resolve().parents[1]
SHA = "5" * 64
# Rules whose detection the generator cannot satisfy, with the reason (none today: every
# included rule gets a synthetic positive). A rule listed here must really be infeasible.
NOT_FEASIBLE: dict[str, str] = {}
CLOUD = TESTS / "fixtures" / "cloud"
# every benign fixture of the cloud tools (benign twins are named so), the busy office
# (many users behind one address), the kepler pack's CloudTrail, the plaso samples, and
# tests/sigma/benign/: routine CloudTrail work (an own key rotation, a Security Hub finding
# resolved, a public snapshot made private, HTTPS opened to all and SSH to an office range)
BENIGN = sorted({*CLOUD.rglob("*benign*"), *CLOUD.glob("busy-office"), PLASO_SAMPLES,
                 *(TESTS / "sigma" / "benign").iterdir()})


def _positives():
    events, expected, infeasible = [], {}, {}
    for n, rule in enumerate(default_rules().converted):
        text = (SIGMAHQ_RULES / rule.info.path).read_text(encoding="utf-8")
        parsed = SigmaCollection.from_yaml(text).rules[0]
        try:
            event = positive(parsed, rule.logsource, SHA, n)
        except Infeasible as exc:
            infeasible[rule.info.id] = str(exc)
            continue
        events.append(event)
        expected[rule.info.id] = event.ref.locator
    return events, expected, infeasible


@pytest.fixture(scope="module")
def synthetic_runs():
    events, expected, infeasible = _positives()
    with CaseStore() as store:
        store.load_events(events)
        runs = run_rules(store.con, default_rules().converted)
    return runs, expected, infeasible


def test_every_included_rule_fires_on_its_own_positive(synthetic_runs):
    runs, expected, infeasible = synthetic_runs
    assert infeasible == NOT_FEASIBLE
    assert len(runs) == sum(1 for e in selection().rules if e.included) == 146
    assert [r.rule.info.id for r in runs if r.error] == []
    missed = {r.rule.info.path: expected[r.rule.info.id] for r in runs
              if r.rule.info.id in expected
              and expected[r.rule.info.id] not in {m["locator"] for m in r.matches}}
    assert missed == {}


def test_positives_are_specific(synthetic_runs):
    """Each rule fires on its own positive and on few others (rules that share a selection,
    such as two on the same Entra operation): the generator builds events from each rule's
    detection, not records that every rule matches."""
    runs, _, _ = synthetic_runs
    broad = {r.rule.info.path: len(r.matches) for r in runs if len(r.matches) > 3}
    assert broad == {}


@pytest.fixture(scope="module")
def benign_cases(tmp_path_factory):
    pack = tmp_path_factory.mktemp("case") / "kepler"
    kepler.write_pack(pack)
    kepler.write_cloudtrail(pack / "cloudtrail.json")    # the agent's calls as AWS logged them
    cases = {path.relative_to(path.parents[1]).as_posix(): analyze(
        [path], Options(tools=["sigma"], reproducible=True)) for path in BENIGN}
    cases["kepler"] = analyze([pack], Options(tools=["sigma"], reproducible=True))
    assert any(e.source == "aws:cloudtrail" for e in cases["kepler"].events)
    return cases


def test_benign_fixtures_stay_at_low_or_below(benign_cases):
    assert len(BENIGN) >= 6 and all(p.exists() for p in BENIGN)
    above = {(name, f.title, f.severity) for name, case in benign_cases.items()
             for f in case.findings if SEVERITY_RANK[f.severity] > SEVERITY_RANK["low"]}
    assert above == set()


def test_capped_rules_fire_on_benign_data_and_are_capped(benign_cases):
    """Each severity cap in selection.yaml is there because the rule fired on a benign
    fixture; the finding says so."""
    fired = {f.details["sigma_id"]: f for case in benign_cases.values() for f in case.findings}
    capped = {e.id for e in selection().rules if e.max_severity}
    assert capped and capped <= set(fired)
    for rule_id in capped:
        assert fired[rule_id].details["sigma_severity_cap"] == "low"
        assert fired[rule_id].severity == "low"
        assert fired[rule_id].details["sigma_severity_cap_reason"]


def test_category_set_in_the_selection_replaces_the_tags(benign_cases):
    chosen = {e.id: e.category for e in selection().rules if e.category}
    fired = [f for case in benign_cases.values() for f in case.findings
             if f.details["sigma_id"] in chosen]
    assert {f.title for f in fired} >= {"Added Credentials to Existing Application",
                                        "Ingress/Egress Security Group Modification"}
    assert all(f.category == chosen[f.details["sigma_id"]] for f in fired)


def test_sigmahq_findings_carry_attribution():
    case = analyze([TESTS / "fixtures" / "cloud" / "azure" / "benign_admin_day.json"],
                   Options(tools=["sigma"]))
    assert case.findings
    for finding in case.findings:
        details = finding.details
        assert details["sigma_license"] == "Detection Rule License (DRL) 1.1"
        assert details["sigma_source"] == (
            "SigmaHQ/sigma@8eaafff1f2845a696050e05e72ba1140ee190698")
        assert details["sigma_author"] and details["sigma_title"] == finding.title
        assert details["sigma_source_file"].startswith("rules/cloud/azure/")
        assert finding.rule == f"TH-SIGMA-{details['sigma_id']}"
        assert finding.statement.startswith(
            f"SigmaHQ rule \"{finding.title}\" ({details['sigma_id']}; author: "
            f"{details['sigma_author']}; Detection Rule License (DRL) 1.1) matched this "
            "azure/activitylogs record: ")


def test_shipped_rule_ids_are_unique_and_not_ours():
    ids = [r.info.id for r in default_rules().converted]
    assert len(ids) == len(set(ids)) == 146
    assert SIGMAHQ.is_dir()


ATTACKS = [CLOUD / "cloudtrail" / "attack_trail.json", CLOUD / "azure" / "attack_activity.json",
           TESTS / "sigma" / "fixtures", CLOUD / "bec"]


def test_default_findings_on_the_attack_fixtures_golden():
    """What the shipped rules say, alone, on the attack fixtures (reviewed in
    tests/golden/sigma/sigmahq_findings.json): rule, category, severity, record, attribution."""
    found = {}
    for path in ATTACKS:
        case = analyze([path], Options(tools=["sigma"], reproducible=True))
        found[path.relative_to(TESTS).as_posix()] = [f.to_json() for f in case.findings]
    assert sum(len(v) for v in found.values()) >= 15
    check_golden("sigma/sigmahq_findings.json", found)
