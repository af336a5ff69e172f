"""A session log in which the agent took no action is `no-incident`, not thin evidence."""

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
