"""A session log in which the agent took no action is `no-incident`, not thin evidence; a
grouped finding counts as its members in the signals."""

from builders import event

from tracehound.classify import classify


def test_startup_records_only_is_no_incident_saying_no_action_is_in_it():
    records = [event("agent:session", 1), event("agent:human_command", 2)]
    verdict = classify([], records, [], [], records=2)
    assert verdict["case_type"] == "no-incident" and "thin_evidence" not in verdict
    assert "no tool call and no human turn" in verdict["explanation"]


def test_turns_without_steps_still_say_the_agent_answered():
    turn = event("agent:prompt", 1, attrs={"role": "user", "turn_kind": "human-typed"})
    verdict = classify([], [turn], [], [], records=1)
    assert verdict["case_type"] == "no-incident"
    assert "answered without acting" in verdict["explanation"]


def test_no_record_at_all_stays_thin():
    assert classify([], [], [], [])["thin_evidence"] == ["no record was read"]


def test_a_grouped_finding_counts_its_members_in_the_signal_sentence():
    from builders import SHA_UAL, finding
    burst = finding("inbox-rule", sha=SHA_UAL, actor="a@x.com", rule="TH-M365-INBOX-RULE",
                    count=38)
    verdict = classify([burst], [event("m365:ual", 1, sha=SHA_UAL)], [], [])
    sentence = next(s["sentence"] for s in verdict["signals"]
                    if s["signal"] == "mail-rule-tampering")
    assert sentence.startswith("38 mail rule or forwarding change(s)")
