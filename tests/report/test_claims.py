"""The must-not-claim rules: each catches the claim it names, and our own wording passes."""

from __future__ import annotations

import pytest

from tracehound.report.claims import CLAIM_RULES, find_claims, report_prose
from tracehound.report.limits import ALWAYS

CLAIMS = {
    "replan-motive": (
        "The model replanned because it believed the payment bucket held expired data.",
        "The agent decided to download the exports in order to finish its audit.",
        "The reason the model changed its plan was a vague prompt.",
        "The model hallucinated the need for the export.",
    ),
    "malice-or-misconfiguration": (
        "The agent acted maliciously.",
        "This was a misconfiguration of the trust bundle.",
        "The tenant-wide grant was a mistake.",
        "The deployer deliberately widened the role.",
    ),
    "complete-exfiltration": (
        "All of the data exfiltrated is listed above.",
        "This is the complete list of exfiltrated objects.",
        "No other files were exfiltrated.",
        "The exfiltration is complete in this table.",
        "Only these two files were taken.",
    ),
    "custody-admissibility": (
        "Chain of custody was maintained throughout.",
        "The exports are admissible as evidence.",
        "The analysis is forensically sound.",
        "This report is court-ready.",
    ),
}
OUR_WORDING = (
    "Bytes named by these findings: 8,129,592 bytes. This counts only what the supplied "
    "records show.",
    "No approver is recorded for 6 high-impact or flagged step(s).",
    "Every finding names the tool that produced it.",
    "Lean toward agent-runaway because: Actions left the agent's stated or deployed scope.",
    "The stated intent was tag expired buckets but the action was aws.s3.get-object.",
)


@pytest.mark.parametrize("rule", sorted(CLAIMS))
def test_each_rule_catches_its_claims(rule):
    for sentence in CLAIMS[rule]:
        keys = {key for key, _ in find_claims(sentence)}
        assert rule in keys, sentence


def test_every_rule_has_examples():
    assert {rule.key for rule in CLAIM_RULES} == set(CLAIMS)


def test_our_limits_and_plain_statements_pass():
    for _, text in ALWAYS:
        assert find_claims(text) == [], text
    for text in OUR_WORDING:
        assert find_claims(text) == [], text


def test_quoted_evidence_is_left_out_of_the_prose():
    html = ('<p>Step 3 listed objects.</p><blockquote class="q">the agent acted maliciously'
            '</blockquote><td class="q">all data exfiltrated</td><pre>admissible</pre>'
            "<p>Chain of custody was kept.</p>")
    prose = report_prose(html)
    assert "maliciously" not in prose and "admissible" not in prose
    assert [key for key, _ in find_claims(prose)] == ["custody-admissibility"]
