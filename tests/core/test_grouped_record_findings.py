"""A grouped finding of records (a burst of like cloud operations) says how many members it
stands for, as a grouped finding of steps does (CONTRACT.md, grouped findings)."""

from tracehound.model import EvidenceRef, Finding


def _finding(**extra) -> Finding:
    refs = tuple(EvidenceRef("a" * 64, f"row {n}") for n in range(1, 4))
    return Finding(rule="TH-M365-INBOX-RULE", tool="ual-analyzer", category="inbox-rule",
                   severity="high", title="t", statement="s", refs=refs, **extra)


def test_a_record_group_writes_its_count_and_no_steps():
    out = _finding(count=3).to_json()
    assert out["count"] == 3 and "steps" not in out and len(out["refs"]) == 3


def test_a_single_finding_writes_no_count():
    assert "count" not in _finding().to_json()


def test_a_step_group_counts_its_steps():
    out = _finding(steps=(4, 9), step=4).to_json()
    assert (out["steps"], out["count"]) == ([4, 9], 2)
