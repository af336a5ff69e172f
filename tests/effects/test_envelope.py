"""Envelopes by agent kind, declared scopes, baselines, and `judge` over them.

The judgement matrix runs each envelope against the effects the issue names (push, force
push, credential read, upload, persistence write, production cloud write, a file write
outside the repo, a package install, and ordinary work) with no instructions, with a grant
for each and under "read-only", and compares the whole table of verdicts.
"""

from __future__ import annotations

import pytest
import yaml

from tracehound.baseline import parse_baseline
from tracehound.effects.envelope import (TABLE_PATH, AllowedBy, baseline_envelope,
                                         declared_envelope, declared_from_config,
                                         default_envelope, effect_clause, judge)
from tracehound.effects.human import Instructions, read_instructions, read_turn
from tracehound.effects.kinds import EFFECT_KINDS, Effect
from tracehound.model import line_ref

SHA = "b" * 64
BASELINE = b"""agents:
  - agent_id: "hr-policy-assistant"
    name: "HR Policy Assistant"
    tools:
      - {name: "SharePointSearch", operations: [read]}
    data_sources:
      - "https://contoso.sharepoint.com/sites/HRPolicies*"
    actions: [Read, Generate, Notify]
"""
KEPLER_TOOLS = ("aws.sts.assume-role", "aws.s3.list-buckets", "aws.s3.get-bucket-tagging")

EFFECTS = {
    "push": Effect("vcs-push", "origin main"),
    "force-push": Effect("vcs-force-push", "origin main", detail="force-with-lease"),
    "credential-read": Effect("credential-read", "/home/u/.aws/credentials",
                              where="credential-store"),
    "upload": Effect("upload", "paste.example.com", direction="out"),
    "persistence-write": Effect("persistence-write", "/home/u/.bashrc", where="persistence"),
    "prod-cloud-write": Effect("cloud-write", "s3:prod-exports", production=True),
    "write-outside-repo": Effect("file-write", "/etc/hosts", where="system"),
    "package-install": Effect("package-install", "pip requests"),
    "write-in-repo": Effect("file-write", "/home/u/app/src/a.py", where="repo"),
    "commit": Effect("vcs-commit", "main"),
    "run-tests": Effect("exec", "pytest", detail="dev-tool"),
    "docs-download": Effect("download", "docs.python.org", direction="in"),
}
GRANTS = {
    "push": "push it",
    "force-push": "force push it",
    "credential-read": "read my aws credentials",
    "upload": "upload the build to paste.example.com",
    "persistence-write": "add an alias to my .bashrc",
    "prod-cloud-write": "deploy it to prod",
    "write-outside-repo": "write the output to /etc/hosts",
    "package-install": "install requests",
    "write-in-repo": "fix the bug",
    "commit": "commit this",
    "run-tests": "run the tests",
    "docs-download": "download the docs",
}


def envelopes():
    entry = parse_baseline(BASELINE, "baseline.yaml").agents[0]
    return {
        "coding": default_envelope("coding"),
        "desktop": default_envelope("desktop"),
        "unknown": default_envelope(None),
        "declared": declared_envelope(["list", "read"], ["arn:aws:s3:::*"], KEPLER_TOOLS,
                                      agent="kepler-sre-agent"),
        "baseline": baseline_envelope(entry, sha256=SHA),
    }


def turn(text, index=0):
    return read_turn(text, index, line_ref(SHA, index + 1))


def verdicts(envelope, instructions_for):
    return {name: judge(effect, envelope, instructions_for(name), 0).verdict
            for name, effect in EFFECTS.items()}


BEYOND_ALL_BUT_READING = {name: "beyond" for name in EFFECTS} | {"docs-download": "allowed"}
EXPECTED_WITHOUT_TURNS = {
    "coding": {**{name: "beyond" for name in EFFECTS},
               "package-install": "allowed", "write-in-repo": "allowed", "commit": "allowed",
               "run-tests": "allowed", "docs-download": "allowed"},
    "desktop": BEYOND_ALL_BUT_READING,
    "unknown": BEYOND_ALL_BUT_READING,
    "declared": BEYOND_ALL_BUT_READING,
    "baseline": BEYOND_ALL_BUT_READING,
}
READ_ONLY_BROKEN = {"push", "force-push", "upload", "persistence-write", "prod-cloud-write",
                    "write-outside-repo", "package-install", "write-in-repo", "commit"}


@pytest.mark.parametrize("name", list(EXPECTED_WITHOUT_TURNS))
def test_envelope_alone(name):
    envelope = envelopes()[name]
    assert verdicts(envelope, lambda _: Instructions()) == EXPECTED_WITHOUT_TURNS[name]


@pytest.mark.parametrize("name", list(EXPECTED_WITHOUT_TURNS))
def test_a_grant_allows_each_effect_on_every_envelope(name):
    envelope = envelopes()[name]
    found = verdicts(envelope, lambda effect: Instructions([turn(GRANTS[effect])]))
    assert found == {effect: "allowed" for effect in EFFECTS}
    by_turn = {e: judge(EFFECTS[e], envelope, Instructions([turn(GRANTS[e])]), 0).allowed_by
               for e in EFFECTS}
    assert {e: a.source for e, a in by_turn.items()} == {e: "turn" for e in EFFECTS}


@pytest.mark.parametrize("name", list(EXPECTED_WITHOUT_TURNS))
def test_read_only_is_broken_by_every_state_change(name):
    envelope = envelopes()[name]
    found = verdicts(envelope, lambda _: Instructions([turn("Read-only please.")]))
    expected = {e: "broken" if e in READ_ONLY_BROKEN else
                ("allowed" if EXPECTED_WITHOUT_TURNS[name][e] == "allowed" else "beyond")
                for e in EFFECTS}
    assert found == expected


def test_a_grant_names_what_it_allows():
    """A grant for one effect does not allow the riskier neighbour."""
    pairs = {("push", "force-push"): "beyond", ("write-in-repo", "write-outside-repo"): "beyond",
             ("upload", "credential-read"): "beyond", ("commit", "push"): "beyond",
             ("force-push", "push"): "allowed", ("prod-cloud-write", "push"): "beyond",
             ("prod-cloud-write", "write-in-repo"): "allowed"}
    coding = default_envelope("coding")
    found = {pair: judge(EFFECTS[pair[1]], coding, Instructions([turn(GRANTS[pair[0]])]),
                         0).verdict for pair in pairs}
    assert found == pairs


def test_statements():
    coding = default_envelope("coding")
    asked = Instructions([turn("Run the unit tests. Do not modify any files and do not "
                               "push anything."), turn("now commit it", 1)])
    assert judge(EFFECTS["push"], coding, asked, 1).statement == (
        "pushes to origin main, which turn 0 forbade: “Do not modify any files and do not "
        "push anything.”")
    assert judge(EFFECTS["commit"], coding, asked, 1).statement == (
        "commits to main, allowed by turn 1: “now commit it”")
    assert judge(EFFECTS["credential-read"], coding, asked, 1).statement == (
        "reads credentials from /home/u/.aws/credentials, which no turn asked for and the "
        "coding envelope does not include")
    assert judge(EFFECTS["prod-cloud-write"], coding, Instructions(), None).statement == (
        "changes cloud resource s3:prod-exports in production, which the coding envelope "
        "does not include; no human turn is in the evidence")
    assert judge(EFFECTS["push"], default_envelope("mystery"), Instructions(), None).beyond \
        == ("pushes to origin main, which the unknown envelope (the narrowest envelope, "
            "because the agent kind is unknown) does not include; no human turn is in the "
            "evidence")


def test_allowed_by_cites_the_rule():
    found = judge(EFFECTS["commit"], default_envelope("coding"), Instructions(), None)
    assert found.allowed_by == AllowedBy("envelope", "envelope coding: local git including "
                                         "commits", rule="coding.local-git")
    assert found.instructions_missing is True
    assert found.allowed_by.to_json() == {"source": "envelope", "rule": "coding.local-git",
                                          "text": "envelope coding: local git including "
                                                  "commits"}


def test_turn_allowed_by_carries_ref_and_quote():
    found = judge(EFFECTS["push"], default_envelope("coding"),
                  Instructions([turn("fix it"), turn("ok, push it now", 1)]), 1)
    assert found.allowed_by == AllowedBy("turn", "turn 1: “ok, push it now”",
                                         ref=line_ref(SHA, 2), quote="ok, push it now", turn=1)
    assert found.instructions_missing is False


def test_conditions_reach_the_judgement():
    coding = default_envelope("coding")
    ins = Instructions([turn("Don't push until the tests pass.")])
    assert judge(EFFECTS["push"], coding, ins, 0).verdict == "broken"
    after = judge(EFFECTS["push"], coding, ins, 0, {"tests-pass": 0})
    assert after.allowed_by.text == "turn 0: “Don't push until the tests pass.” " \
                                    "(tests-pass seen)"
    waiting = judge(EFFECTS["push"], coding, Instructions([turn("push once CI is green")]), 0)
    assert waiting.beyond == ("pushes to origin main, which turn 0 allows only once CI is "
                              "green (not yet seen) and the coding envelope does not include")


def test_awaiting_an_approval():
    coding = default_envelope("coding")
    ins = Instructions([turn("fix it and commit, then wait for my OK before pushing")])
    found = judge(EFFECTS["push"], coding, ins, 0)
    assert (found.verdict, found.awaiting.phrase) == ("beyond", "push")
    assert judge(EFFECTS["commit"], coding, ins, 0).awaiting is None
    assert judge(EFFECTS["push"], coding, ins, 0, approval="approved").awaiting is None
    paused = Instructions([turn("pause for my approval")])
    assert judge(EFFECTS["write-in-repo"], coding, paused, 0).awaiting is not None
    assert judge(EFFECTS["run-tests"], coding, paused, 0).awaiting is None


def test_unresolved_prohibitions_are_named_not_applied():
    ins = Instructions([turn("don't touch the old project")])
    found = judge(EFFECTS["write-in-repo"], default_envelope("coding"), ins, 0)
    assert found.verdict == "allowed"
    assert [d.object_text for d in found.unresolved] == ["the old project"]


def test_standing_instructions_and_a_typed_turn():
    standing = [read_instructions("- Never push to main.\n- Always run the tests before "
                                  "committing.", line_ref(SHA, 50))]
    ins = Instructions([turn("ship it: commit and push")], standing=standing)
    found = judge(EFFECTS["push"], default_envelope("coding"), ins, 0)
    assert (found.verdict, found.broken.turn, found.statement) == (
        "broken", -1, "pushes to origin main, which the instructions forbade: “Never push to "
                      "main.”")
    feature = judge(Effect("vcs-push", "origin fix/login"), default_envelope("coding"), ins, 0)
    assert feature.verdict == "allowed"


# ----------------------------------------------------------------------------- declared

KEPLER_CONFIG = {"scope_actions": ["list", "read"], "scope_resources": ["arn:aws:s3:::*"],
                 "scope_tools": list(KEPLER_TOOLS),
                 "deployed_prompt": "Task: audit S3 bucket tagging. Constraints: read-only. "
                                    "Do not create, change or delete any resource."}


def test_declared_scope_checks_tools_and_resources():
    envelope = declared_from_config(KEPLER_CONFIG, line_ref(SHA, 1), agent="kepler-sre-agent")
    listed = Effect("cloud-read", "arn:aws:s3:::kepler-claims")
    allowed = judge(listed, envelope, tool="aws.s3.list-buckets")
    assert allowed.allowed_by.text == "declared scope of kepler-sre-agent: tool " \
                                      "aws.s3.list-buckets"
    assert allowed.allowed_by.source == "declared"
    other_tool = judge(Effect("cloud-write", "arn:aws:s3:::kepler-claims"), envelope,
                       tool="aws.s3.put-bucket-lifecycle-configuration")
    assert other_tool.beyond == (
        "changes cloud resource arn:aws:s3:::kepler-claims through "
        "aws.s3.put-bucket-lifecycle-configuration, which is not among the tools the "
        "declared scope of kepler-sre-agent allows")
    bare_bucket = judge(Effect("cloud-read", "kepler-analytics-scratch"), envelope,
                        tool="aws.s3.get-bucket-tagging")
    assert bare_bucket.verdict == "allowed"      # the old resource forms: a bare name matches
    narrow = declared_envelope(["read"], ["arn:aws:s3:::kepler-*"], KEPLER_TOOLS)
    elsewhere = judge(Effect("cloud-read", "arn:aws:s3:::acme-payroll"), narrow,
                      tool="aws.s3.list-buckets")
    assert elsewhere.beyond == ("reads cloud resource arn:aws:s3:::acme-payroll, which "
                                "matches none of the resources the declared scope allows")
    as_s3_uri = judge(Effect("cloud-read", "s3://kepler-claims/x.csv"), envelope)
    assert as_s3_uri.allowed_by.text == "declared scope of kepler-sre-agent: action class list"


def test_declared_scope_keeps_the_prompt_prohibitions_as_standing():
    envelope = declared_from_config(KEPLER_CONFIG, line_ref(SHA, 1))
    assert [d.phrase for d in envelope.standing] == ["read-only", "modify", "delete"]
    assert envelope.refs == (line_ref(SHA, 1),)


def test_declared_scope_from_the_prompt_alone():
    envelope = declared_envelope(prompt="Summarise the tickets and email the summary to "
                                        "the on-call team.")
    assert [r.id for r in envelope.rules] == ["prompt-grants", "prompt-reading"]
    assert judge(Effect("message-send", "oncall@example.com"), envelope).verdict == "allowed"
    assert judge(Effect("upload", "paste.example.com"), envelope).verdict == "beyond"
    assert declared_envelope() is None and declared_envelope(prompt="You are a bot.") is None


# ----------------------------------------------------------------------------- baseline

def test_baseline_replaces_the_default_envelope():
    envelope = envelopes()["baseline"]
    assert (envelope.label, envelope.inferred, envelope.refs) == (
        "baseline hr-policy-assistant", False, (line_ref(SHA, 2),))
    search = Effect("tool-call", "sharepoint/SharePointSearch")
    inside = judge(search, envelope, tool="SharePointSearch",
                   resource="https://contoso.sharepoint.com/sites/HRPolicies/leave.docx")
    assert inside.allowed_by.text == "baseline hr-policy-assistant: tool SharePointSearch (read)"
    outside = judge(search, envelope, tool="SharePointSearch",
                    resource="https://contoso.sharepoint.com/sites/Finance/pay.xlsx")
    assert outside.verdict == "beyond"
    unlisted = judge(Effect("message-send", "all@contoso.com"), envelope, tool="SendMail")
    assert "SendMail, which is not among the tools the baseline hr-policy-assistant" in \
        unlisted.beyond
    notify = judge(Effect("message-send", "all@contoso.com"), envelope)
    assert notify.allowed_by.text == "baseline hr-policy-assistant: actions Notify"


def test_baseline_from_a_mapping_leaves_unset_keys_unchecked():
    envelope = baseline_envelope({"agent_id": "ops-bot", "tools": []})
    assert [r.id for r in envelope.rules] == ["actions-unchecked"]
    assert judge(EFFECTS["push"], envelope).allowed_by.rule == "baseline.actions-unchecked"


# ----------------------------------------------------------------------------- the tables

def test_default_envelopes_have_cited_rules():
    found = {name: [(r.id, r.sentence) for r in default_envelope(name).rules]
             for name in ("coding", "desktop", "unknown")}
    assert [i for i, _ in found["coding"]] == [
        "read-workspace", "write-workspace", "run-programs", "local-git",
        "project-dependencies", "web-reads", "dev-cloud-reads", "unknown-tools"]
    assert found["unknown"] == [("reading-only", "reading only (the narrowest envelope, "
                                                 "because the agent kind is unknown)")]
    assert default_envelope("unknown").narrowest and not default_envelope("coding").narrowest


def test_every_effect_kind_has_a_clause():
    clauses = yaml.safe_load(TABLE_PATH.read_text(encoding="utf-8"))["clauses"]
    assert set(clauses) == set(EFFECT_KINDS)
    assert effect_clause(Effect("publish", "gist.github.com", public=True)) == \
        "publishes to gist.github.com (public)"


def test_coding_envelope_edges():
    coding = default_envelope("coding")
    global_install = Effect("package-install", "npm -g typescript", where="global")
    assert judge(global_install, coding).verdict == "beyond"
    assert judge(Effect("file-read", "/home/u/app/node_modules/x/index.js", where="dependency"),
                 coding).verdict == "allowed"
    assert judge(Effect("cloud-read", "gh:issue/12"), coding).verdict == "allowed"
    assert judge(Effect("cloud-read", "s3:prod-exports", production=True), coding).verdict \
        == "beyond"
    assert judge(Effect("opaque-execution", "curl | sh"), coding).verdict == "beyond"
