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
    assert {"agent-persistence", "agent-divergence", "mcp-graph",
            "schedule-while-deployer-offline", "single-agent-session"} <= set(names)
    assert verdict["explanation"].startswith("Lean toward agent-runaway because: ")
    assert 0.5 < verdict["confidence"] <= 0.99
    assert all(s["refs"] for s in verdict["signals"])


def test_bec_shaped_case_is_cloud_account_compromise():
    findings = [finding("oauth-consent", line=1, sha=SHA_UAL, actor="a@x.com",
                        statement="Tenant-wide consent (AllPrincipals) to app X"),
                finding("inbox-rule", line=2, sha=SHA_UAL, actor="b@x.com"),
                finding("mail-forwarding", line=3, sha=SHA_UAL, actor="c@x.com"),
                finding("anomalous-signin", line=4, sha=SHA_UAL, actor="c@x.com")]
    events = [event("m365:ual", i, sha=SHA_UAL) for i in range(1, 5)]
    verdict = classify(findings, events, [], [])
    assert verdict["case_type"] == "cloud-account-compromise"
    assert verdict["incident_type"] == "none"
    assert {"tenant-wide-consent", "mail-rule-tampering", "spread-across-users",
            "identity-anomalies"} == {s["signal"] for s in verdict["signals"]}


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


def test_empty_case_is_undetermined():
    verdict = classify([], [], [], [])
    assert verdict["case_type"] == "undetermined"
    assert verdict["explanation"].startswith("No signal toward any case type")


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
                  statement="a from 192.0.2.1 in us-east-1 created an access key for itself.")
    grant = finding("role-assignment", line=2, sha=SHA_UAL, actor="a",
                    statement="a called AttachUserPolicy on bob (AdministratorAccess).")
    events = [event("aws:cloudtrail", 1, sha=SHA_UAL)]

    def signals(found):
        return {s["signal"] for s in classify(found, events, [], [])["signals"]}
    assert "credential-then-iam-escalation" not in signals([key])
    assert "credential-then-iam-escalation" in signals([key, grant])
