"""A small kepler-shaped case built by hand, so report tests do not depend on the parsers.

`write_case(folder, text=...)` writes six evidence files and returns the Case the pipeline
would produce for them: a six-step trace (list, tag read, list-objects on the payments
bucket, two downloads, a schedule), approvals, network rows, grants with one statement
beyond the written intent, and a runtime config holding a planted AWS key. `text` is put
into every evidence-derived string, for the hostile-input tests.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tracehound.model import EvidenceFile, Event, Finding, line_ref, pointer_ref
from tracehound.pipeline import Case

AGENT, SESSION = "kepler-sre-agent-01", "sess-1"
PAYMENTS = "kepler-payments-prod"
PLANTED_KEY = "AKIAV7KEPLER0PLANTED"
PLANTED_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYkeplerSECRET"
STEPS = (  # index, parent, clock, tool, class, target, approver, bytes out
    (1, None, "00:00", "aws.s3.list-buckets", "list", "", "taylor.keel@kepler.example", None),
    (2, 1, "01:00", "aws.s3.get-bucket-tagging", "read", "kepler-logs-archive", None, None),
    (3, 1, "02:58", "aws.s3.list-objects", "list", PAYMENTS, None, None),
    (4, 3, "04:06", "aws.s3.get-object", "read", f"{PAYMENTS}/exports/2026-q1-claims.csv",
     None, 4_837_216),
    (5, 3, "04:44", "aws.s3.get-object", "read", f"{PAYMENTS}/exports/member-roster.csv",
     None, 3_291_504),
    (6, 1, "08:30", "aws.events.put-rule", "persistence", "kepler-s3-lifecycle-tagger-hourly",
     None, None),
)


def _t(clock: str) -> str:
    return f"2026-04-12T14:{clock}Z"


def _write(folder: Path, name: str, text: str) -> EvidenceFile:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    data = path.read_bytes()
    return EvidenceFile(str(path), hashlib.sha256(data).hexdigest(), len(data), "kepler-test",
                        "1", "test builder")


def _ndjson(rows: list[dict]) -> str:
    return "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows)


def write_case(folder: Path, text: str = "", extra: bool = True) -> Case:
    folder.mkdir(parents=True, exist_ok=True)
    x = text
    trace_rows = [{"step_index": i, "parent_step_index": p, "ts": _t(c), "tool": tool + x,
                   "target": target + x, "agent_id": AGENT, "session_id": SESSION,
                   "stated_intent": f"tag expired buckets{x}"}
                  for i, p, c, tool, _, target, _, _ in STEPS]
    in_name = x.replace("/", "\u2215").replace("\x00", "")[:60]
    trace = _write(folder, f"agent-tool-call-trace{in_name}.ndjson", _ndjson(trace_rows))
    net = _write(folder, "agent-network-events.ndjson", _ndjson(
        [{"step_index": i, "bytes_out": b, "object_key": target + x, "dest_host": "s3.local"}
         for i, _, _, _, _, target, _, b in STEPS if b]))
    grants = _write(folder, "iam-role-grant.json", json.dumps({"Statement": [
        {"Action": ["s3:ListAllMyBuckets", "s3:GetBucketTagging"], "Resource": "*",
         "Intent": "tagging audit" + x},
        {"Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::*", "Note": x}]}, indent=2))
    config = _write(folder, "agent-runtime-config.json", json.dumps({
        "agent_id": AGENT, "model": "claude-sonnet-4-5", "scope": "Read-only S3 tagging audit"
        + x, "env": {"AWS_ACCESS_KEY_ID": PLANTED_KEY,
                     "aws_secret_access_key": PLANTED_SECRET}}, indent=2))
    evidence = [trace, net, grants, config]
    events = _events(trace, net, grants, config, x)
    findings = _findings(trace, net, grants, config, x)
    steps = [{"index": i, "parent": p, "time": _t(c), "tool": tool + x, "action_class": k,
              "target": (target + x) or None, "approver": a, "outcome": "success",
              "mutation": "read", "tool_call_id": f"toolu_{i:02d}{x}",
              "refs": [line_ref(trace.sha256, i).to_json()]}
             for i, p, c, tool, k, target, a, _ in STEPS]
    counts = {e.path: (sum(1 for ev in events if ev.ref.sha256 == e.sha256), 0)
              for e in evidence}
    case = Case(evidence, events, sorted(findings, key=Finding.sort_key), [], counts,
                {"traces": [{"session": SESSION, "agent": AGENT, "steps": steps}],
                 "graphs": [_graph(trace, x)]},
                classification=_classification(trace, x),
                hashed_at={e.sha256: "2026-04-13T09:00:00Z" for e in evidence})
    if extra:
        case.extra.update(_extra(trace, net, x))
    return case


def _events(trace, net, grants, config, x: str) -> list[Event]:
    events = [Event(line_ref(trace.sha256, i), "agent:tool_call", _t(c), tool + x, k,
                    actor_id=AGENT, actor_kind="agent", target_id=(target + x) or None,
                    session=SESSION, step=i, parent_step=p, approver=a,
                    attrs={"credential": "SyntheticKeplerSREAgentRole"})
              for i, p, c, tool, k, target, a, _ in STEPS]
    events += [Event(line_ref(net.sha256, n), "agent:network", _t(STEPS[i - 1][2]),
                     "GetObject", "egress", actor_id=AGENT, target_id=target + x,
                     session=SESSION, step=i, bytes_out=b, target_label="payment csv" + x,
                     attrs={"dest_host": "s3.local"})
               for n, (i, _, _, _, _, target, _, b) in enumerate(
                   [s for s in STEPS if s[7]], start=1)]
    for n, intended in ((0, True), (1, False)):
        events.append(Event(pointer_ref(grants.sha256, "Statement", n), "agent:grant", None,
                            "iam-policy", "permission-change",
                            actor_id="SyntheticKeplerSREAgentRole",
                            attrs={"grant_kind": "iam-policy", "intended": intended,
                                   "permissions": ["s3:GetObject" + x] if n else
                                   ["s3:ListAllMyBuckets"], "resources": ["*"],
                                   "effect": "Allow", "role_name":
                                   "SyntheticKeplerSREAgentRole"}))
    events.append(Event(pointer_ref(config.sha256), "agent:config", "2026-04-12T13:59:40Z",
                        "deploy", "other", actor_id=AGENT, actor_kind="agent",
                        attrs={"scope_text": "Read-only S3 tagging audit" + x,
                               "tool_allowlist": ["aws.s3.list-buckets",
                                                  "aws.s3.get-bucket-tagging"],
                               "model": "claude-sonnet-4-5" + x}))
    return events


def _finding(rule, category, severity, step, refs, statement, target=None, details=None):
    return Finding(rule, rule.split("-")[-1].lower(), category, severity, f"{category} at "
                   f"step {step}", statement, tuple(refs), time=_t(STEPS[step - 1][2]) if step
                   else None, step=step, session=SESSION if step else None, actor=AGENT,
                   target=target, engine_version="tracehound 0.1.0 / test 1",
                   details=details or {})


def _findings(trace, net, grants, config, x: str) -> list[Finding]:
    return [
        _finding("TH-AGENT-SCOPE", "scope-creep", "high", 3, [line_ref(trace.sha256, 3)],
                 f"Step 3 listed the objects of {PAYMENTS}{x}, outside the tagging scope.",
                 PAYMENTS + x),
        _finding("TH-AGENT-EXFIL", "exfiltration", "critical", 4,
                 [line_ref(trace.sha256, 4), line_ref(net.sha256, 1)],
                 f"Step 4 downloaded 4837216 bytes from {PAYMENTS}{x}.", STEPS[3][5] + x,
                 {"bytes_out": 4_837_216, "note": x}),
        _finding("TH-AGENT-EXFIL", "exfiltration", "critical", 5,
                 [line_ref(trace.sha256, 5), line_ref(net.sha256, 2)],
                 f"Step 5 downloaded 3291504 bytes from {PAYMENTS}.", STEPS[4][5] + x,
                 {"bytes_out": 3_291_504}),
        _finding("TH-AGENT-UNATTENDED", "unattended-action", "high", 4,
                 [line_ref(trace.sha256, 4)], "Step 4 ran with no approver on record."),
        _finding("TH-AGENT-PERSIST", "persistence", "high", 6, [line_ref(trace.sha256, 6)],
                 "Step 6 created an hourly schedule rule.", STEPS[5][5] + x,
                 {"mechanism": "eventbridge-schedule", "schedule_expression": "rate(1 hour)" + x}),
        _finding("TH-AGENT-GRANT", "over-privileged-grant", "high", None,
                 [pointer_ref(grants.sha256, "Statement", 1)],
                 f"The role may read every object of every bucket (s3:GetObject on *){x}.",
                 details={"principal": "SyntheticKeplerSREAgentRole"}),
        _finding("TH-AGENT-SECRET", "credential-exposure", "medium", None,
                 [pointer_ref(config.sha256, "env")],
                 "The runtime config holds an AWS access key id AKIA… (sha256:1234abcd)."),
    ]


def _graph(trace, x: str) -> dict:
    nodes = [{"id": f"step:{SESSION}:{i}", "kind": "tool-call", "label": f"{i}: {tool}{x}",
              "refs": [line_ref(trace.sha256, i).to_json()]}
             for i, _, _, tool, _, _, _, _ in STEPS]
    nodes.append({"id": "session", "kind": "session", "label": SESSION + x, "refs": []})
    edges = [{"from": f"step:{SESSION}:{p}" if p else "session", "to": f"step:{SESSION}:{i}"}
             for i, p, *_ in STEPS]
    return {"kind": "execution-graph", "nodes": nodes, "edges": edges}


def _classification(trace, x: str) -> dict:
    return {"case_type": "agent-runaway", "confidence": 0.86, "incident_type":
            "privilege-escape", "explanation": "Lean toward agent-runaway: persistence and "
            "scope divergence in one agent session" + x, "missing_evidence": [],
            "signals": [{"signal": "agent-persistence", "case_type": "agent-runaway",
                         "weight": 0.2, "sentence": "1 persistence mechanism was recorded" + x,
                         "refs": [line_ref(trace.sha256, 6).to_json()]}]}


def _extra(trace, net, x: str) -> dict:
    return {
        "iocs": [{"type": "bucket", "value": PAYMENTS + x, "files": 2, "sighting_count": 2,
                  "sightings": [{"path": "t", "sha256": trace.sha256, "locator": "line 3"},
                                {"path": "n", "sha256": net.sha256, "locator": "line 1"}]}],
        "runbook": {"incident_type": "privilege-escape", "containment_rung": "kill",
                    "eradication_owner": "platform and IAM" + x,
                    "phases": [{"phase": "contain", "action": "revoke the role" + x}]},
        "aibom": {"models": ["claude-sonnet-4-5" + x], "tools_available":
                  ["aws.s3.list-buckets", "aws.s3.get-bucket-tagging"],
                  "tools_used": sorted({s[3] + x for s in STEPS}), "identities": []},
        "preservation": {"supplied": [{"artifact": "agent tool-call trace" + x,
                                       "evidence": [trace.path]}],
                         "missing": [{"artifact": "MCP server logs" + x,
                                      "note": "no MCP server log was supplied" + x}]},
        "timeline": [{"datetime": _t(c), "timestamp_desc": "Event Recorded", "kind": "event",
                      "message": f"{AGENT} {tool}{x}", "sha256": trace.sha256,
                      "locator": f"line {i}"} for i, _, c, tool, *_ in STEPS],
        "drift_metrics": [{"agent_id": AGENT + x, "week": "2026-W15", "drift_events_total": 4,
                           "drift_events_by_type": {"D1": 1, "D2": 3}}],
    }
