"""Credential audit: grants beyond the written intent; secrets shown only redacted."""

import json

from agent_builders import config, grant, run, tool_call

from tracehound.analyzers.agent.credentials import excess_permissions, iam_action_of
from tracehound.effects.secrets import digest, scan_text, scrub
from tracehound.scope import UNKNOWN

AKIA = "AKIA" + "QX3TRHZ9KP2M" + "7ZX2"     # shaped like a key id; never valid anywhere
SECRET = "Zq8Vr3Ln6Wt2Xk9Pb4Hm" + "7Jc1Dy5Fs0Qw3Er6Ty8U"   # 40 characters, like a secret key


def test_grant_beyond_the_intended_permissions_names_each_excess_permission():
    events = [grant(["s3:ListAllMyBuckets", "s3:GetBucketTagging"], ["arn:aws:s3:::*"],
                    intended=True),
              grant(["s3:ListBucket", "s3:GetObject"], ["arn:aws:s3:::*"], line=2),
              tool_call(3, "aws.s3.get-object", "s3://payments/claims.csv",
                        credential="arn:aws:sts::1:assumed-role/AgentRole/s")]
    [found] = run("credential-audit", events)
    assert found.details["excess_permissions"] == [
        "s3:ListBucket on arn:aws:s3:::* (tenant-wide)",
        "s3:GetObject on arn:aws:s3:::* (tenant-wide)"]
    assert (found.severity, found.details["exercised_steps"]) == ("critical", [3])
    assert found.techniques == ("T1078.004",)


def test_without_an_intended_list_the_envelope_judges_and_deny_is_ignored():
    scoped = [config(actions=["list"], resources=["arn:aws:s3:::kepler-*"]),
              grant(["s3:ListBucket"], ["arn:aws:s3:::kepler-logs"]),
              grant(["s3:*"], ["arn:aws:s3:::kepler-logs"], line=2),
              grant(["s3:DeleteBucket"], ["*"], effect="Deny", line=3)]
    found = run("credential-audit", scoped)
    assert [f.details["excess_permissions"] for f in found] == [
        ["s3:* on arn:aws:s3:::kepler-logs"]]
    assert excess_permissions(grant(["s3:GetObject"], ["*"]), UNKNOWN) == []


def test_iam_action_from_tool_names():
    assert iam_action_of(next_step("aws.s3.list-objects")) == "s3:ListBucket"
    assert iam_action_of(next_step("aws.lambda.update-function-configuration")) == \
        "lambda:UpdateFunctionConfiguration"
    assert iam_action_of(next_step("read_file")) is None


def next_step(tool):
    from tracehound.analyzers import Context
    from tracehound.analyzers.agent.steps import traces_of
    return next(iter(traces_of([tool_call(1, tool)], Context()).steps()))


def test_secrets_are_found_once_per_secret_and_never_printed():
    events = [config(env={"AWS_ACCESS_KEY_ID": AKIA, "AWS_SECRET_ACCESS_KEY": SECRET,
                          "LOG_LEVEL": "info"}),
              tool_call(1, "http.get", args={"headers": {"Authorization": "Bearer " + "x1Y2" * 8}},
                        result=f"found key {AKIA} in ~/.aws/credentials")]
    found = run("credential-audit", events)
    text = json.dumps([f.to_json() for f in found])
    assert AKIA not in text and SECRET not in text and "x1Y2" * 8 not in text
    assert sorted((f.step or 0, [s["kind"] for s in f.details["secrets"]]) for f in found) == [
        (0, ["aws-access-key-id"]), (0, ["aws-secret-access-key"]), (1, ["bearer-token"])]
    [key_finding] = [f for f in found if f.details["secrets"][0]["kind"] == "aws-access-key-id"]
    assert key_finding.statement == (
        f"An AWS access key id (AKIA…, sha256 {digest(AKIA)}) appears in "
        "env.AWS_ACCESS_KEY_ID of the agent:config record at line 1 and 1 other record.")


def test_scanner_shapes_and_non_secrets():
    kinds = lambda text: [h.kind for h in scan_text(text, "t")]  # noqa: E731
    assert kinds("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----") == \
        ["private-key"]
    assert kinds("db password=hunter22 ok") == ["password"]
    assert kinds("api_key: 9f8a7b6c5d4e3f2a1b0c9d8e") == ["high-entropy-secret"]
    assert kinds("password=******* token: ${TOKEN} api_key=aaaaaaaaaaaaaaaaaaaa") == []
    assert kinds("the token budget is 4096 and the key idea is caching") == []
    # documentation and placeholder keys are not secrets (issue 13)
    assert kinds("aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = "
                 "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY") == []
    assert kinds("OPENAI_API_KEY=sk-your-api-key-here GITHUB_TOKEN=ghp_" + "x" * 36) == []
    assert kinds("token: <your token here> password: changeme123") == []
    assert scrub(f"key {AKIA}!") == f"key AKIA…[sha256:{digest(AKIA)}]!"


def test_benign_session_has_no_credential_findings():
    events = [config(actions=["list"], env={"LOG_LEVEL": "debug", "REGION": "eu-west-1"}),
              grant(["s3:ListAllMyBuckets"], ["*"], intended=True),
              tool_call(1, "aws.s3.list-buckets", result="3 buckets")]
    assert run("credential-audit", events) == []


def test_code_flags_paths_fixtures_and_hashes_after_a_secret_name_are_not_secrets():
    kinds = lambda text: [h.kind for h in scan_text(text, "t")]  # noqa: E731
    assert kinds("const token = document.cookie.split(';')") == []
    assert kinds("jupyter --IdentityProvider.token= --ServerApp.allow_origin=*") == []
    assert kinds("token: /home/runner/work/app/app/build") == []
    assert kinds('Password: "secret123", Role: "admin"') == []
    assert kinds("password: constr(min_length=3, max_length=50)") == []
    assert kinds("hashedPassword = $y$j9T$79GVabVVh7mD42/nnC31D0$2RDn2GWP1ekiWHys") == []
    # the real ones next to them still are
    assert kinds("api_token = 7f3a9c2e1b8d4f6a0c5e9b3d") == ["high-entropy-secret"]
    assert kinds('initial_password = "West11berg1!"') == ["password"]
