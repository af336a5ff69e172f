"""Core types: validation and stable identifiers."""

import pytest

from tracehound.model import (EvidenceRef, Event, Finding, json_pointer, line_ref,
                              pointer_ref)

SHA = "a" * 64


def finding(**over):
    base = dict(rule="TH-AGENT-EXFIL", tool="exfiltration", category="exfiltration",
                severity="high", title="t", statement="s", refs=(line_ref(SHA, 6),))
    base.update(over)
    return Finding(**base)


def test_finding_id_depends_on_rule_and_refs_only():
    a = finding()
    b = finding(title="other wording", statement="other")
    c = finding(refs=(line_ref(SHA, 7),))
    assert a.id == b.id and a.id != c.id and len(a.id) == 16


def test_finding_id_ignores_ref_order():
    r1, r2 = line_ref(SHA, 1), line_ref(SHA, 2)
    assert finding(refs=(r1, r2)).id == finding(refs=(r2, r1)).id


@pytest.mark.parametrize("field,value", [("category", "made-up"), ("severity", "urgent"),
                                         ("refs", ())])
def test_finding_validation(field, value):
    with pytest.raises(ValueError):
        finding(**{field: value})


def test_event_id_is_hash_of_sha_and_locator():
    e1 = Event(ref=line_ref(SHA, 3), source="agent:tool_call", time=None, action="x")
    e2 = Event(ref=line_ref(SHA, 3), source="other", time="2026-01-01T00:00:00Z", action="y")
    assert e1.id == e2.id


def test_event_validates_classes():
    with pytest.raises(ValueError):
        Event(ref=line_ref(SHA, 1), source="s", time=None, action="a", action_class="nope")


def test_json_pointer_escapes_rfc6901():
    assert json_pointer("Records", 3, "a/b", "m~n") == "/Records/3/a~1b/m~0n"
    assert pointer_ref(SHA, "Records", 0).locator == "json:/Records/0"


def test_ref_rejects_bad_locators_and_hashes():
    with pytest.raises(ValueError):
        EvidenceRef(SHA, "offset 3")
    with pytest.raises(ValueError):
        EvidenceRef("abc", "line 1")


def test_finding_json_is_sorted_and_complete():
    doc = finding(techniques=("T1567", "T1530")).to_json()
    assert doc["techniques"] == ["T1530", "T1567"]
    assert doc["refs"] == [{"sha256": SHA, "locator": "line 6"}]
    assert set(doc) >= {"id", "rule", "tool", "category", "severity", "time", "step", "session",
                        "actor", "target", "title", "statement", "refs", "techniques"}
