"""Builders for CloudTrail records in tests: a record reads like the call it stands for.

    run([call("DeleteFlowLogs", "ec2", {"flowLogIds": ["fl-1"]})])

Identities: `user(name)` (an IAM user), `root()`, `role_session(role, session)` and the
workload sessions `instance_session`, `lambda_session`, `ecs_session`. Records are numbered
in the order given (`json:/Records/N`) and each gets its own second unless `at` says when.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tracehound.analyzers import Context, get
from tracehound.formats.cloud.cloudtrail import to_event
from tracehound.model import Event, Finding, pointer_ref

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "999988887777"
SHA = "c" * 64
START = datetime(2024, 5, 2, 10, 0, 0)


def user(name: str = "alice") -> dict[str, Any]:
    return {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}", "userName": name,
            "accountId": ACCOUNT, "principalId": f"AIDA{name.upper()}",
            "accessKeyId": f"AKIA{name.upper()}"}


def root() -> dict[str, Any]:
    return {"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT,
            "principalId": ACCOUNT}


def role_session(role: str, session: str, key: str = "ASIAROLE", **context) -> dict[str, Any]:
    return {"type": "AssumedRole", "accountId": ACCOUNT, "accessKeyId": key,
            "principalId": f"AROA{role.upper()[:8]}:{session}",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
            "sessionContext": {"sessionIssuer": {
                "type": "Role", "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}", "userName": role,
                "accountId": ACCOUNT}, **context}}


def instance_session(instance: str = "i-0a1b2c3d4e5f60789", role: str = "web-role"):
    return role_session(role, instance, key="ASIAINSTANCE", ec2RoleDelivery="2.0")


def lambda_session(function: str = "orders-export", role: str = "orders-export-role"):
    return role_session(role, function, key="ASIALAMBDA")


def ecs_session(task: str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0", role: str = "task-role"):
    return role_session(role, task, key="ASIAECSTASK")


def call(name: str, service: str = "iam", params: dict | None = None, *,
         who: dict | None = None, at: str | int | None = None, ip: str = "198.51.100.7",
         error: str | None = None, response: Any = None, region: str = "us-east-1",
         extra: dict | None = None, agent: str = "aws-cli/2.15.0",
         read_only: bool | None = None, invoked_by: str | None = None) -> dict[str, Any]:
    """One CloudTrail record; `at` is an ISO time or seconds after START."""
    when = at if isinstance(at, str) else None
    record: dict[str, Any] = {
        "eventVersion": "1.09", "eventName": name, "eventSource": f"{service}.amazonaws.com",
        "awsRegion": region, "sourceIPAddress": ip, "userAgent": agent,
        "userIdentity": who if who is not None else user(), "recipientAccountId": ACCOUNT,
        "requestParameters": params, "responseElements": response,
        "eventType": "AwsApiCall", "_at": at if isinstance(at, int) else None, "_when": when}
    if error:
        record["errorCode"] = error
        record["errorMessage"] = f"{error} for {name}"
    if extra is not None:
        record["additionalEventData"] = extra
    if read_only is not None:
        record["readOnly"] = read_only
    if invoked_by:
        record["userIdentity"] = {"type": "AWSService", "invokedBy": invoked_by}
        record["sourceIPAddress"] = invoked_by
    return record


def events(records: list[dict[str, Any]]) -> list[Event]:
    out = []
    for index, record in enumerate(records):
        record = dict(record)
        offset, when = record.pop("_at"), record.pop("_when")
        if when is None:
            seconds = offset if offset is not None else index
            when = (START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
        record["eventTime"] = when
        out.append(to_event(record, pointer_ref(SHA, "Records", index)))
    return out


def run(records: list[dict[str, Any]], **settings) -> list[Finding]:
    return list(get("cloudtrail").run(events(records), Context(settings=settings)))


def rules_of(found: list[Finding]) -> list[tuple[str, str]]:
    return [(f.rule, f.severity) for f in found]
