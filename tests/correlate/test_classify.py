"""Case-type disambiguation and incident type from weighted signals."""

from builders import SHA_UAL, call, event, finding, trace

from tracehound.classify import classify, incident_type
from tracehound.runbook import runbook_for


def runaway_case():
    findings = [finding("scope-creep", step=10, line=10), finding("prompt-action-divergence",
                step=13, line=13), finding("persistence", step=17, line=17),
                finding("unattended-action", step=17, line=17),
                finding("over-privileged-grant", line=1)]
    events = [call(i, "aws.s3.list-buckets") for i in range(1, 6)] + [
        event("agent:approval", 1, attrs={"deployer_status": "offline"}),
        event("agent:mcp_node", 2)]
    graphs = [{"kind": "mcp-call-graph", "nodes": [], "edges": []}]
    return findings, events, graphs, trace(26)


def test_kepler_shaped_case_is_agent_runaway_privilege_escape():
    verdict = classify(*runaway_case())
    assert verdict["case_type"] == "agent-runaway"
    assert verdict["incident_type"] == "privilege-escape"
    names = [s["signal"] for s in verdict["signals"]]
    assert names == ["agent-against-instructions", "agent-beyond-scope-high",
                     "agent-persistence", "schedule-while-deployer-offline",
                     "agent-over-privileged", "unattended-high-impact"]
    assert verdict["explanation"].startswith("Lean toward agent-runaway because: ")
    assert 0.5 < verdict["confidence"] <= 0.99
    assert all(s["refs"] for s in verdict["signals"])


def test_bec_shaped_case_is_cloud_account_compromise():
    findings = [finding("oauth-consent", line=1, sha=SHA_UAL, actor="a@x.com",
                        details={"consent_type": "AllPrincipals"}),
                finding("inbox-rule", line=2, sha=SHA_UAL, actor="b@x.com"),
                finding("mail-forwarding", line=3, sha=SHA_UAL, actor="c@x.com"),
                finding("anomalous-signin", line=4, sha=SHA_UAL, actor="c@x.com")]
    events = [event("m365:ual", i, sha=SHA_UAL) for i in range(1, 5)]
    verdict = classify(findings, events, [], [])
    assert verdict["case_type"] == "cloud-account-compromise"
    assert verdict["incident_type"] == "none"
    assert {"tenant-wide-consent", "mail-rule-tampering", "spread-across-users",
            "identity-anomalies", "account-takeover-steps"} == {
        s["signal"] for s in verdict["signals"]}


def test_instructions_carried_out_from_tool_output_is_prompt_injection():
    findings = [finding("prompt-injection-indicator", step=4, line=4),
                finding("exfiltration", step=4, line=4), finding("unattended-action", step=4)]
    events = [call(i, "read_file") for i in range(1, 5)]
    verdict = classify(findings, events, [], trace(4))
    assert verdict["case_type"] == "prompt-injection"
    assert verdict["incident_type"] == "reasoning-compromise"


def test_human_approver_on_out_of_scope_step_leans_insider():
    findings = [finding("exfiltration", step=3, line=3)]
    events = [call(3, "aws.s3.get-object", approver="dana"), call(1, "x"), call(2, "y")]
    verdict = classify(findings, events, [], [])
    assert verdict["case_type"] == "insider-threat"


def test_thin_evidence_is_undetermined_and_names_what_is_missing():
    verdict = classify([finding("anomalous-signin", sha=SHA_UAL)],
                       [event("entra:signin", 1, sha=SHA_UAL)], [], [])
    assert verdict["case_type"] == "undetermined" and verdict["confidence"] == 0.0
    assert "an agent tool-call trace for the session" in verdict["missing_evidence"]
    assert "Missing:" in verdict["explanation"]


def test_empty_case_is_undetermined_not_no_incident():
    verdict = classify([], [], [], [])
    assert verdict["case_type"] == "undetermined"
    assert verdict["thin_evidence"] == ["no record was read"]


def test_ordinary_session_with_nothing_above_low_is_no_incident():
    events = [event("agent:prompt", 1, attrs={"role": "user", "turn_kind": "human-typed",
                                              "text": "fix the test"})]
    events += [call(i, "Bash") for i in range(2, 6)]
    low = [finding("scope-creep", step=3, line=3, severity="low")]
    verdict = classify(low, events, [], trace(4), records=5)
    assert (verdict["case_type"], verdict["incident_type"], verdict["signals"]) == \
        ("no-incident", "none", [])
    assert verdict["missing_evidence"] == [] and "thin_evidence" not in verdict


def test_nothing_above_low_on_thin_evidence_is_undetermined_and_says_why():
    steps = [call(i, "Bash") for i in range(1, 4)]           # no human turn at all
    verdict = classify([], steps, [], trace(3), records=3)
    assert verdict["case_type"] == "undetermined"
    assert verdict["thin_evidence"] == ["no human turn or stated instruction is in the evidence"]
    turn = [event("agent:prompt", 9, attrs={"role": "user", "turn_kind": "human-typed"})]
    unread = classify([], steps + turn, [], trace(3), records=4, issues=1)
    assert unread["thin_evidence"] == ["1 of 5 records could not be read"]
    injected = [event("agent:prompt", 9, attrs={"role": "user",
                                                "turn_kind": "system-injected"})]
    assert classify([], steps + injected, [], trace(3), records=4)["case_type"] == \
        "undetermined"


def test_signals_come_from_rule_ids_not_from_wording():
    events = [call(i, "Bash") for i in range(1, 4)]
    worded = finding("persistence", step=2, rule="TH-SOMETHING-ELSE",
                     statement="A cron persistence mechanism was installed")
    assert classify([worded], events, [], trace(3))["signals"] == []
    consent = finding("oauth-consent", sha=SHA_UAL, statement="tenant-wide AllPrincipals")
    assert classify([consent], [event("m365:ual", 1, sha=SHA_UAL)], [], [])["signals"] == []


def test_incident_types():
    assert incident_type("agent-runaway", [finding("runtime-escape-indicator")]) == \
        "runtime-escape"
    assert incident_type("cloud-account-compromise", [finding("oauth-consent")]) == "none"


def test_runbook_rows_and_rung():
    book = runbook_for("privilege-escape", ["exfiltration"])
    assert [p["phase"] for p in book["phases"]] == ["detect", "analyze", "contain",
                                                    "eradicate", "recover", "post-incident"]
    assert book["containment_rung"] == "soft-quarantine"
    assert book["eradication_owner"] == "platform and IAM"
    assert runbook_for("privilege-escape", ["persistence"])["containment_rung"] == "kill"
    assert runbook_for("none", []) is None


def test_a_new_access_key_alone_is_not_credential_then_escalation():
    key = finding("role-assignment", line=1, sha=SHA_UAL, actor="a",
                  rule="TH-AWS-ACCESS-KEY-CREATED")
    grant = finding("role-assignment", line=2, sha=SHA_UAL, actor="a",
                    rule="TH-AWS-ADMIN-POLICY-ATTACHED")
    events = [event("aws:cloudtrail", 1, sha=SHA_UAL)]

    def signals(found):
        return {s["signal"] for s in classify(found, events, [], [])["signals"]}
    assert "credential-then-iam-escalation" not in signals([key])
    assert "credential-then-iam-escalation" in signals([key, grant])
