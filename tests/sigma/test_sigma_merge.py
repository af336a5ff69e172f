"""A Sigma hit never outranks our own rule on the same refs: it folds into our finding
(`details.also_matched`), a Sigma-only hit stays its own finding."""

from __future__ import annotations

from dataclasses import replace

from sigma_case import CLOUDTRAIL

from tracehound.model import EvidenceRef, Finding
from tracehound.pipeline import Options, analyze
from tracehound.sigma.merge import merge_sigma

SHA = "c" * 64
R1, R2, R3 = (EvidenceRef(SHA, f"line {n}") for n in (1, 2, 3))


def ours(*refs, category="audit-tampering", severity="medium") -> Finding:
    return Finding(rule="TH-AWS-TRAIL-STOPPED", tool="cloudtrail", category=category,
                   severity=severity, title="Trail stopped", statement="s", refs=refs,
                   time="2026-01-01T00:00:01Z", details={"trail": "main"})


def sigma(rule_id: str, *refs, category="audit-tampering", severity="high",
          licensed=True) -> Finding:
    details = {"sigma_id": rule_id, "sigma_title": f"rule {rule_id}", "sigma_author": "A. Uthor"}
    if licensed:
        details.update(sigma_license="Detection Rule License (DRL) 1.1",
                       sigma_source="SigmaHQ/sigma@abc")
    return Finding(rule=f"TH-SIGMA-{rule_id}", tool="sigma", category=category,
                   severity=severity, title=f"rule {rule_id}", statement="s", refs=refs,
                   time="2026-01-01T00:00:01Z", details=details)


def test_a_hit_on_our_refs_folds_into_our_finding():
    mine = ours(R1, R2)
    merged = merge_sigma([sigma("b", R2), mine, sigma("a", R1), sigma("c", R3),
                          sigma("d", R1, category="resource-change"),
                          sigma("e", R1, R3)])
    folded = next(f for f in merged if f.tool == "cloudtrail")
    assert (folded.rule, folded.severity, folded.id) == (mine.rule, "medium", mine.id)
    assert folded.details["also_matched"] == ["a", "b"]
    assert folded.details["trail"] == "main"
    assert folded.details["also_matched_sigma"] == [
        {"id": "a", "title": "rule a", "author": "A. Uthor",
         "license": "Detection Rule License (DRL) 1.1", "source": "SigmaHQ/sigma@abc"},
        {"id": "b", "title": "rule b", "author": "A. Uthor",
         "license": "Detection Rule License (DRL) 1.1", "source": "SigmaHQ/sigma@abc"}]
    # other refs, another category, or refs beyond ours: the hit stays its own finding
    assert sorted(f.details["sigma_id"] for f in merged if f.tool == "sigma") == ["c", "d", "e"]


def test_a_hit_folds_into_every_finding_of_ours_that_covers_it():
    first, second = ours(R1), ours(R1, R2)
    second = replace(second, rule="TH-AWS-OTHER")
    merged = merge_sigma([first, second, sigma("a", R1, licensed=False)])
    assert [f.details.get("also_matched") for f in merged] == [["a"], ["a"]]
    assert merged[0].details["also_matched_sigma"] == [
        {"id": "a", "title": "rule a", "author": "A. Uthor"}]


def test_nothing_to_fold_leaves_the_findings_as_they_were():
    found = [ours(R1), sigma("a", R2)]
    assert merge_sigma(found) == sorted(found, key=Finding.sort_key)
    assert merge_sigma([]) == []


def test_cloudtrail_rule_and_sigmahq_rule_on_the_same_record():
    """StopLogging (attack_trail record 8): our TH-AWS-TRAIL-STOPPED and SigmaHQ's 'AWS
    CloudTrail Important Change' both match; ours stays, SigmaHQ's id is in also_matched."""
    case = analyze([CLOUDTRAIL / "attack_trail.json"], Options(tools=["cloudtrail", "sigma"]))
    stopped = [f for f in case.findings if f.rule == "TH-AWS-TRAIL-STOPPED"]
    assert stopped and all(f.details["also_matched"] == [
        "4db60cc0-36fb-42b7-9b58-a5b53019fb74"] for f in stopped)
    credit = stopped[0].details["also_matched_sigma"][0]
    assert (credit["title"], credit["license"]) == (
        "AWS CloudTrail Important Change", "Detection Rule License (DRL) 1.1")
    assert credit["author"]
    refs = {r for f in stopped for r in f.refs}
    assert not [f for f in case.findings if f.tool == "sigma" and set(f.refs) <= refs]
    alone = analyze([CLOUDTRAIL / "attack_trail.json"], Options(tools=["sigma"]))
    assert [f for f in alone.findings if set(f.refs) <= refs
            and f.details["sigma_id"] == "4db60cc0-36fb-42b7-9b58-a5b53019fb74"]
