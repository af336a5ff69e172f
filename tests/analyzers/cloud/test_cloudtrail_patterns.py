"""CloudTrail patterns over many calls, each with its benign twin: enumeration bursts and the
chain that follows, workload credentials used elsewhere, ransomware on S3, mass deletions,
secret-read bursts, root console work, set-up traffic and an ordinary admin day. Where Stratus
Red Team publishes no detonation log for a technique, the records follow its documentation."""

from __future__ import annotations

import json

import pytest

from cloudtrail_builders import (ACCOUNT, OTHER_ACCOUNT, call, ecs_session, instance_session,
                                 lambda_session, role_session, root, rules_of, run, user)
from tracehound.analyzers.cloud import cloudtrail_workloads
from tracehound.model import SEVERITY_RANK

OUTSIDE = "185.220.101.4"        # not in the AWS snapshot
AWS_A, AWS_B = "18.236.253.47", "52.94.76.10"  # both in the AWS snapshot
SERVICES = ["ec2", "iam", "s3", "rds", "lambda", "dynamodb", "sqs", "sns", "kms", "ecs",
            "eks", "glue", "athena", "redshift", "route53", "cloudfront", "elasticache",
            "secretsmanager", "ssm", "cloudformation", "apigateway", "kinesis", "logs",
            "cloudwatch", "backup", "config", "organizations", "sso", "ecr", "efs"]


def at_most_low(found) -> bool:
    return all(SEVERITY_RANK[f.severity] <= SEVERITY_RANK["low"] for f in found)


def brute_force(who=None, count=500, ip=OUTSIDE, start=0):
    """`count` refused calls over 30 services and 60 actions within a minute."""
    return [call(f"List{n % 60}Things", SERVICES[n % 30], {}, who=who or user("intern"),
                 ip=ip, error="AccessDenied", at=start + n * 60 // count)
            for n in range(count)]


def assume_admin(at, who=None, key="ASIAADMINSESSION"):
    return call("AssumeRole", "sts", {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/admin",
                                       "roleSessionName": "s"},
                who=who or user("intern"), ip=OUTSIDE, at=at,
                response={"credentials": {"accessKeyId": key},
                          "assumedRoleUser": {"arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/"
                                                     f"admin/s"}})


# --- discovery and the chain ----------------------------------------------------------------

def test_brute_force_then_admin_role_then_object_read_is_one_chain_with_every_ref():
    records = brute_force() + [
        assume_admin(120),
        call("List7Things", "iam", {}, who=role_session("admin", "s", key="ASIAADMINSESSION"),
             ip=OUTSIDE, at=130),
        call("GetObject", "s3", {"bucketName": "payroll", "key": "2024.csv"},
             who=role_session("admin", "s", key="ASIAADMINSESSION"), ip=OUTSIDE, at=140)]
    found = run(records)
    assert rules_of(found) == [("TH-AWS-ENUMERATION-CHAIN", "high")]
    chain = found[0]
    assert len(chain.refs) == 500 + 1 + 1      # every refused call, the assumption, the read
    assert chain.actor == f"arn:aws:iam::{ACCOUNT}:user/intern"
    assert "500 refused" in chain.statement and "payroll" in chain.statement
    assert f"arn:aws:iam::{ACCOUNT}:role/admin" in chain.statement
    assert "succeeded under the role (List7Things)" in chain.statement
    assert "attacker" not in chain.statement.lower()


def test_burst_then_assumption_without_reads_is_a_medium_chain():
    found = run(brute_force() + [assume_admin(120)])
    assert rules_of(found) == [("TH-AWS-ENUMERATION-CHAIN", "medium")]


def test_refused_burst_alone_is_medium_and_a_successful_inventory_is_low():
    assert rules_of(run(brute_force())) == [("TH-AWS-ENUMERATION-BURST", "medium")]
    inventory = [call(f"Describe{n % 40}", SERVICES[n % 30], {}, who=user("inventory"),
                      at=n * 120 // 300) for n in range(300)]
    assert rules_of(run(inventory)) == [("TH-AWS-ENUMERATION-BURST", "low")]


def test_console_session_of_an_admin_is_not_a_burst():
    # 150 calls over 12 services spread over 40 minutes: a person clicking through consoles
    clicks = [call(f"Describe{n % 25}", SERVICES[n % 12], {}, who=user("maria"),
                   at=n * 16) for n in range(150)]
    assert run(clicks) == []


def test_burst_thresholds_follow_the_settings():
    assert rules_of(run(brute_force(count=120), enum_denied=200)) == [
        ("TH-AWS-ENUMERATION-BURST", "low")]
    assert run(brute_force(count=120), enum_denied=200, enum_calls=200) == []
    assert rules_of(run(brute_force(count=120))) == [("TH-AWS-ENUMERATION-BURST", "medium")]


# --- workload credentials ------------------------------------------------------------------

def test_instance_credentials_used_outside_aws():
    session = instance_session()
    found = run([call("DescribeInstances", "ec2", {}, who=session, ip="10.0.3.41", at=0),
                 call("ListBuckets", "s3", {}, who=session, ip=OUTSIDE, at=60),
                 call("GetObject", "s3", {"bucketName": "b", "key": "k"}, who=session,
                      ip=OUTSIDE, at=70)])
    assert rules_of(found) == [("TH-AWS-WORKLOAD-CREDS-OUTSIDE", "high")]
    assert [r.locator for r in found[0].refs] == ["json:/Records/1", "json:/Records/2"]
    assert "EC2 instance" in found[0].statement and OUTSIDE in found[0].statement
    assert "2026-08-22" in found[0].statement        # the snapshot's date is named


@pytest.mark.parametrize("session, kind, extra", [
    (lambda_session(), "Lambda function", {"agent": "aws-sdk-js/3 exec-env/AWS_Lambda_nodejs20.x"}),
    (ecs_session(), "ECS task", {}),
])
def test_lambda_and_ecs_task_credentials_count_like_instance_credentials(session, kind, extra):
    inside = call("GetItem", "dynamodb", {"tableName": "t"}, who=session, ip=AWS_A, at=0,
                  **extra)
    stolen = call("ListBuckets", "s3", {}, who=session, ip=OUTSIDE, at=600)
    found = run([inside, stolen])
    assert rules_of(found) == [("TH-AWS-WORKLOAD-CREDS-OUTSIDE", "high")]
    assert found[0].title == f"{kind} role credentials used from outside AWS"


def test_a_role_lambda_assumed_is_a_lambda_session():
    session = role_session("fn-role", "orders-export")
    launch = call("AssumeRole", "sts", {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/fn-role",
                                        "roleSessionName": "orders-export"},
                  invoked_by="lambda.amazonaws.com", at=0)
    found = run([launch, call("ListBuckets", "s3", {}, who=session, ip=OUTSIDE, at=60)])
    assert rules_of(found) == [("TH-AWS-WORKLOAD-CREDS-OUTSIDE", "high")]
    # the same session name without any sign of Lambda is an ordinary role session
    assert run([call("ListBuckets", "s3", {}, who=session, ip=OUTSIDE, at=60)]) == []


def test_instance_credentials_from_a_second_aws_address():
    session = instance_session()
    found = run([call("DescribeInstances", "ec2", {}, who=session, ip=AWS_A, at=0),
                 call("DescribeInstances", "ec2", {}, who=session, ip=AWS_B, at=60)])
    assert rules_of(found) == [("TH-AWS-WORKLOAD-CREDS-SECOND-ADDRESS", "medium")]


def test_instance_working_from_its_own_addresses_is_quiet():
    session = instance_session()
    quiet = [call("GetSecretValue", "secretsmanager", {"secretId": "db"}, who=session,
                  ip="10.0.3.41", at=n * 600) for n in range(5)]
    quiet += [call("PutObject", "s3", {"bucketName": "b", "key": f"k{n}"}, who=session, ip=AWS_A,
                   at=n * 600 + 5) for n in range(5)]
    quiet += [call("ListBuckets", "s3", {}, who=user("maria"), ip=OUTSIDE, at=30)]
    assert run(quiet) == []


def test_refused_calls_from_outside_are_one_step_lower():
    session = instance_session()
    found = run([call("ListUsers", "iam", {}, who=session, ip=OUTSIDE, error="AccessDenied")])
    assert rules_of(found) == [("TH-AWS-WORKLOAD-CREDS-OUTSIDE", "medium")]


def test_without_a_ranges_snapshot_only_the_address_signals_remain(monkeypatch):
    def missing():
        raise OSError("no snapshot")
    monkeypatch.setattr(cloudtrail_workloads, "aws_ranges", missing)
    session = instance_session()
    assert run([call("ListBuckets", "s3", {}, who=session, ip=OUTSIDE)]) == []
    found = run([call("ListBuckets", "s3", {}, who=session, ip=AWS_A, at=0),
                 call("ListBuckets", "s3", {}, who=session, ip=OUTSIDE, at=60)])
    assert rules_of(found) == [("TH-AWS-WORKLOAD-CREDS-SECOND-ADDRESS", "medium")]
    assert "no snapshot of AWS's address ranges is available" in found[0].statement


# --- impact: S3 ransomware, mass deletions ----------------------------------------------------

def deletes(count, bucket="finance-archive", who=None, start=0):
    return [call("DeleteObject", "s3", {"bucketName": bucket, "key": f"f{n}.xlsx"},
                 who=who or user("svc"), at=start + n) for n in range(count)]


def note(at, bucket="finance-archive", who=None):
    return call("PutObject", "s3", {"bucketName": bucket, "key": "README-RECOVER.txt"},
                who=who or user("svc"), at=at)


def test_individual_deletions_then_a_note_is_one_ransom_finding():
    found = run(deletes(40) + [note(100)])
    assert rules_of(found) == [("TH-AWS-S3-RANSOM-NOTE", "high")]
    assert len(found[0].refs) == 41 and "README-RECOVER.txt" in found[0].statement


def test_one_batch_deletion_then_a_note_is_a_ransom_finding():
    batch = call("DeleteObjects", "s3", {"bucketName": "finance-archive", "delete": ""},
                 who=user("svc"), at=0)
    assert rules_of(run([batch, note(30)])) == [("TH-AWS-S3-RANSOM-NOTE", "high")]
    assert rules_of(run([batch])) == [("TH-AWS-S3-MASS-CHANGE", "medium")]


def test_client_side_encryption_overwrite_then_note():
    rewrites = [call("CopyObject", "s3", {
        "bucketName": "finance-archive", "key": f"f{n}.xlsx",
        "x-amz-copy-source": f"finance-archive/f{n}.xlsx",
        "x-amz-server-side-encryption-customer-algorithm": "AES256"},
        who=user("svc"), at=n) for n in range(25)]
    found = run(rewrites + [note(60)])
    assert rules_of(found) == [("TH-AWS-S3-RANSOM-NOTE", "high")]
    assert "customer-provided key" in found[0].statement


def test_cleanup_of_a_few_objects_and_uploads_stay_quiet():
    assert run(deletes(5) + [note(30)]) == []
    assert rules_of(run(deletes(40))) == [("TH-AWS-S3-MASS-CHANGE", "medium")]


def test_bulk_termination_and_its_twin():
    items = {"instancesSet": {"items": [{"instanceId": f"i-{n:04d}"} for n in range(12)]}}
    assert rules_of(run([call("TerminateInstances", "ec2", items)])) == [
        ("TH-AWS-MASS-DELETION", "high")]
    one = {"instancesSet": {"items": [{"instanceId": "i-0001"}]}}
    assert run([call("TerminateInstances", "ec2", one)]) == []


def test_deregistering_many_images_is_a_mass_deletion():
    images = [call("DeregisterImage", "ec2", {"imageId": f"ami-{n}"}, at=n * 30)
              for n in range(10)]
    assert rules_of(run(images)) == [("TH-AWS-MASS-DELETION", "high")]


# --- credential access ------------------------------------------------------------------------

def test_a_few_secret_reads_and_plain_parameters_are_not_a_burst():
    reads = [call("GetSecretValue", "secretsmanager", {"secretId": "app/db"},
                  who=instance_session(), ip="10.0.0.5", at=n * 60) for n in range(5)]
    plain = [call("GetParameters", "ssm", {"names": [f"/cfg/{i}" for i in range(10)]},
                  at=n) for n in range(5)]
    assert run(reads + plain) == []


DAY = 86400


def test_secret_read_from_an_address_new_for_the_principal():
    app = user("reporting")
    history = [call("ListBuckets", "s3", {}, who=app, ip="198.51.100.7", at=d * DAY)
               for d in range(3)]
    usual = [call("GetSecretValue", "secretsmanager", {"secretId": "db"}, who=app,
                  ip="198.51.100.7", at=3 * DAY + n) for n in range(3)]
    new = [call("GetSecretValue", "secretsmanager", {"secretId": "db"}, who=app,
                ip=OUTSIDE, at=3 * DAY + 600)]
    found = run(history + usual + new)
    assert rules_of(found) == [("TH-AWS-SECRET-READ-NEW-ADDRESS", "medium")]
    assert [r.locator for r in found[0].refs] == ["json:/Records/6"]
    assert "recorded on 4 days before" in found[0].statement
    # the usual address, or a new one without enough history, is quiet
    assert run(history + usual) == []
    assert run(usual + new) == []


def test_decrypted_parameters_count_each_name():
    decrypted = [call("GetParameters", "ssm", {"names": [f"/cred/{n}-{i}" for i in range(10)],
                                                "withDecryption": True}, at=n) for n in range(2)]
    found = run(decrypted)
    assert rules_of(found) == [("TH-AWS-SECRET-READ-BURST", "high")]
    assert found[0].details["targets"] == 20 and found[0].details["peak"] == 20


# --- root, set-up traffic, admin day --------------------------------------------------------

def test_root_console_work_is_grouped_not_twenty_findings():
    login = call("ConsoleLogin", "signin", None, who=root(), extra={"MFAUsed": "Yes"},
                 response={"ConsoleLogin": "Success"}, at=0)
    work = [call(name, service, params, who=root(), at=60 + n * 300)
            for n, (name, service, params) in enumerate(
                [("DescribeInstances", "ec2", {}), ("ListBuckets", "s3", {}),
                 ("GetAccountSummary", "iam", {}), ("PutBucketTagging", "s3",
                                                    {"bucketName": "b"})] * 5)]
    policies = [call("AttachRolePolicy", "iam", {"roleName": f"r{n}", "policyArn":
                     "arn:aws:iam::aws:policy/ReadOnlyAccess"}, who=root(), at=200 + n * 60)
                for n in range(3)]
    found = run([login] + work + policies)
    assert rules_of(found) == [("TH-AWS-ROOT-CONSOLE-LOGIN", "high"),
                               ("TH-AWS-ROOT-ACTIVITY", "medium"),
                               ("TH-AWS-POLICY-ATTACHED", "medium")]
    assert len(found[1].refs) == 23 and len(found[2].refs) == 3


def test_set_up_traffic_of_a_simulation_gives_nothing_above_low():
    agent = "stratus-red-team_0f1e2d3c"
    setup = [call("CreateBucket", "s3", {"bucketName": "stratus-target"}, agent=agent, at=0)]
    setup += [call("PutObject", "s3", {"bucketName": "stratus-target", "key": f"f{n}"},
                   agent=agent, at=1 + n) for n in range(50)]
    setup += [call("CreateRole", "iam", {"roleName": "stratus-role", "assumeRolePolicyDocument":
                   json.dumps({"Statement": [{"Effect": "Allow", "Principal": {
                       "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})},
                   agent=agent, at=60),
              call("RunInstances", "ec2", {"instanceType": "t3.micro"}, agent=agent, at=70),
              call("CreateUser", "iam", {"userName": "stratus-user"}, agent=agent, at=80)]
    setup += [call("CreateSecret", "secretsmanager", {"name": f"s{n}"}, agent=agent, at=90 + n)
              for n in range(20)]
    found = run(setup)
    assert at_most_low(found) and rules_of(found) == [("TH-AWS-IAM-USER-CREATED", "low")]


def test_ordinary_admin_day_stays_at_low_or_below():
    maria = user("maria")
    day = [call("ConsoleLogin", "signin", None, who=maria, extra={"MFAUsed": "Yes"},
                response={"ConsoleLogin": "Success"}, at=0)]
    day += [call(name, service, {}, who=maria, at=60 + n * 240, read_only=True)
            for n, (name, service) in enumerate([("DescribeInstances", "ec2"),
                                                 ("ListBuckets", "s3"),
                                                 ("DescribeDBInstances", "rds"),
                                                 ("ListFunctions20150331", "lambda")] * 10)]
    day += [call("CreateAccessKey", "iam", {"userName": "maria"}, who=maria, at=3000),
            call("UpdateAccessKey", "iam", {"userName": "maria", "accessKeyId": "AKIAOLD",
                                            "status": "Inactive"}, who=maria, at=3100),
            call("DeleteAccessKey", "iam", {"userName": "maria", "accessKeyId": "AKIAOLD"},
                 who=maria, at=3200),
            call("UpdateFunctionCode20150331v2", "lambda", {"functionName": "api"},
                 who=role_session("github-deploy", "gha"), ip="140.82.112.21", at=4000),
            call("AuthorizeSecurityGroupIngress", "ec2", {
                "groupId": "sg-1", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
                "cidrIp": "0.0.0.0/0"}, who=maria, at=4100),
            call("PutBucketPolicy", "s3", {"bucketName": "logs", "bucketPolicy": {
                "Statement": [{"Effect": "Allow", "Principal": {
                    "Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
                    "Resource": "arn:aws:s3:::logs/*"}]}}, who=maria, at=4200)]
    found = run(day)
    assert at_most_low(found)
    assert sorted({f.rule for f in found}) == ["TH-AWS-ACCESS-KEY-ROTATED",
                                              "TH-AWS-LAMBDA-CHANGED"]


# --- techniques without a Stratus detonation log, from their documentation -------------------

def test_trail_bucket_lifecycle_rule():
    found = run([call("PutBucketLifecycle", "s3", {
        "bucketName": "stratus-red-team-cloudtrail-lifecycle-abc",
        "LifecycleConfiguration": {"Rule": {"Status": "Enabled", "Expiration": {"Days": 1}}}})])
    assert rules_of(found) == [("TH-AWS-TRAIL-BUCKET-LIFECYCLE", "medium")]


def test_backdoored_bucket_policy_from_the_technique_page():
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::193672423079:root"},
        "Action": ["s3:GetObject", "s3:GetBucketLocation", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::target/*", "arn:aws:s3:::target"]}]}
    found = run([call("PutBucketPolicy", "s3", {"bucketName": "target",
                                                 "bucketPolicy": policy})])
    assert [(f.rule, f.category, f.severity) for f in found] == [
        ("TH-AWS-BUCKET-POLICY-EXTERNAL", "resource-change", "high")]
    assert "193672423079" in found[0].statement


def test_sagemaker_lifecycle_stop_update_start():
    nb = {"notebookInstanceName": "nb"}
    found = run([call("StopNotebookInstance", "sagemaker", nb, at=0),
                 call("CreateNotebookInstanceLifecycleConfig", "sagemaker",
                      {"notebookInstanceLifecycleConfigName": "evil"}, at=10),
                 call("UpdateNotebookInstance", "sagemaker", {**nb, "lifecycleConfigName":
                                                              "evil"}, at=20),
                 call("StartNotebookInstance", "sagemaker", nb, at=30)])
    assert rules_of(found) == [("TH-AWS-SAGEMAKER-LIFECYCLE", "medium")]
    assert len(found[0].refs) == 2


def test_discovery_from_an_instance_role():
    session = instance_session()
    names = [("GetCallerIdentity", "sts"), ("ListBuckets", "s3"), ("GetAccountSummary", "iam"),
             ("ListRoles", "iam"), ("ListUsers", "iam"), ("GetAccountAuthorizationDetails", "iam"),
             ("DescribeSnapshots", "ec2"), ("DescribeTrails", "cloudtrail"),
             ("ListDetectors", "guardduty")]
    found = run([call(n, s, {}, who=session, ip="10.0.3.41", at=i * 5)
                 for i, (n, s) in enumerate(names)])
    assert rules_of(found) == [("TH-AWS-WORKLOAD-DISCOVERY", "medium")]
    assert len(found[0].refs) == 6
    # an application reading its own bucket and identity is not enumeration
    app = [call(n, s, {}, who=session, ip="10.0.3.41", at=i)
           for i, (n, s) in enumerate(names[:2] + [("GetObject", "s3")])]
    assert run(app) == []


def test_ses_enumeration_is_found_at_low():
    found = run([call(n, "ses", {}, at=i) for i, n in enumerate(
        ["GetAccountSendingEnabled", "GetSendQuota", "ListIdentities",
         "GetIdentityVerificationAttributes"])])
    assert rules_of(found) == [("TH-AWS-SES-RECON", "low")] and len(found[0].refs) == 4


def test_external_account_numbers_in_other_fields_do_not_count_as_foreign():
    own = call("PutObject", "s3", {"bucketName": f"logs-{OTHER_ACCOUNT}", "key": "k"})
    assert run([own]) == []
