"""Command rules for cloud and infrastructure CLIs: aws, gcloud, gsutil, az, azcopy, kubectl,
helm, terraform, pulumi, docker and database clients.

Each call is a cloud-read / cloud-write / cloud-delete by its verb (data: `cloud` verbs),
or a more specific effect (credential-read, privilege, persistence-write, upload, remote-exec)
for the operations the table names; object `service:resource`; `production` when the
profile / project / context / namespace / workspace / resource names production.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from .command_context import Recorder, Step, names_production, rule
from .kinds import Effect
from .tables import table

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_CLOUD_OP = re.compile(r"^(?:(aws|gcp|gcloud|azure|az)[.:/])?([a-z0-9-]+)[.:/]([A-Za-z0-9_.-]+)$")
_IAM_ACTION = re.compile(r"^([a-z0-9-]+):([A-Z][A-Za-z0-9]+)$")
_SQL_STATEMENT = re.compile(r"(?is)(?:^|;)\s*(?:--[^\n]*\n\s*)*([a-z]+)")
_SQL_CLASS = {**{w: "read" for w in ("select", "with", "show", "describe", "desc", "explain",
                                      "values", "table", "pragma")},
              **{w: "delete" for w in ("delete", "drop", "truncate")}}
_SECRET_KEY = re.compile(r"(?i)secret|key_id|token|password|credential")
# sub-commands that only touch the local CLI (its version, help, components)
LOCAL_VERBS = frozenset({"version", "help", "completion", "components", "info", "topic",
                         "extension", "find", "interactive", "init", "plugin",
                         "--version", "--help", "-h", "cheat-sheet", "feedback"})


@lru_cache(maxsize=1)
def _cloud() -> dict:
    return table("commands")["cloud"]


@lru_cache(maxsize=4096)
def verb_class(operation: str) -> str | None:
    """read / write / delete for an operation name (`describe-instances` -> read)."""
    cloud = _cloud()
    tokens = re.split(r"[-_.:/ ]+", operation.lower())
    for candidate in ("-".join(tokens[:2]), tokens[0]):
        for klass in ("delete", "write", "read"):
            if candidate in cloud[klass]:
                return klass
    return None


def kind_of(klass: str | None) -> str:
    return {"read": "cloud-read", "delete": "cloud-delete"}.get(klass or "", "cloud-write")


def sql_classes(sql: str) -> list[str]:
    """The classes (read / write / delete) of the statements in a SQL text, in order."""
    found: list[str] = []
    for match in _SQL_STATEMENT.finditer(sql):
        klass = _SQL_CLASS.get(match.group(1).lower(), "write")
        if klass not in found:
            found.append(klass)
    return found


# ----------------------------------------------------------------------------- aws

@rule("aws")
def aws(step: Step) -> None:
    words = step.operands
    if not words or words[0] in LOCAL_VERBS:
        return
    service, operation = words[0], (words[1] if len(words) > 1 else "")
    if service == "s3":
        _s3(step, operation, words[2:])
        return
    if service == "configure":
        _aws_configure(step, operation, words[2:])
        return
    key = f"{service}.{operation}"
    resource = _resource(step) or re.sub(r"^[a-z]+-", "", operation) or service
    obj = f"s3://{step.args.value('--bucket')}/{step.args.value('--key') or ''}" \
        if service == "s3api" and step.args.value("--bucket") else f"{service}:{resource}"
    production = step.production(resource, obj)
    special = _special_ops(step, key, obj, production)
    if not special:
        klass = verb_class(operation)
        step.add(kind_of(klass), obj, production=production,
                 direction="in" if klass == "read" else "out")
    if operation in ("get-object", "download-file") and len(words) > 2:
        step.write(words[-1], None, f"downloaded from {obj}")


def _special_ops(step: Step, key: str, obj: str, production: bool) -> bool:
    values = " ".join(v for vs in step.args.flags.values() for v in vs)
    effects = operation_effects(key, obj, production, values,
                                decrypted=step.args.has("--with-decryption"))
    step.got.effects.extend(effects)
    return bool(effects)


def operation_effects(key: str, obj: str, production: bool, values: str = "",
                      decrypted: bool = False) -> list[Effect]:
    """The specific effects of a cloud operation `service.operation` (aws names), by data:
    credential reads, privilege grants, schedules and triggers, public access."""
    cloud = _cloud()
    found: list[Effect] = []
    if key in cloud["credential_ops"] and (not key.startswith("ssm.get-param") or decrypted):
        found.append(Effect("credential-read", obj, production=production, detail=key))
    if key in cloud["privilege_ops"]:
        found.append(Effect("privilege", obj, production=production, detail=key))
    if key in cloud["persistence_ops"]:
        found.append(Effect("persistence-write", obj, production=production, detail=key))
    if key in cloud["public_ops"]:
        lowered = values.lower()
        public = "public" in lowered or '"*"' in lowered or "allusers" in lowered
        found.append(Effect("cloud-write", obj, production=production, public=public,
                            detail=key))
    return found


def _resource(step: Step) -> str | None:
    for option in _cloud()["resource_options"]:
        value = step.args.value(option)
        if value:
            return value
    return None


def _s3(step: Step, operation: str, operands: list[str]) -> None:
    args = step.args
    public = "public" in (args.value("--acl") or "")
    if operation in ("cp", "mv", "sync") and len(operands) >= 2:
        _transfer(step, operands[0], operands[1], operation, "s3://", public)
        return
    target = next((o for o in operands if o.startswith("s3://")), "s3://")
    production = step.production(target)
    if operation in ("rm", "rb"):
        step.add("cloud-delete", target, production=production,
                 detail="recursive" if args.has("--recursive") else operation)
    elif operation in ("mb", "website"):
        step.add("cloud-write", target, production=production, detail=operation)
    elif operation == "presign":
        step.add("cloud-read", target, production=production, detail="presigned URL")
    else:
        step.add("cloud-read", target, production=production, direction="in", detail=operation)


def _transfer(step: Step, source: str, dest: str, operation: str, scheme: str,
              public: bool) -> None:
    """A copy between local paths and cloud storage: down is a cloud-read, up an upload."""
    remote_source, remote_dest = source.startswith(scheme), dest.startswith(scheme)
    moving = operation == "mv"
    if remote_source and not remote_dest:
        step.add("cloud-read", source, production=step.production(source), direction="in",
                 detail=f"{operation} to {dest}")
        if dest != "-":
            if dest in (".", "..", "~") or dest.endswith("/"):
                dest = dest.rstrip("/") + "/" + source.rstrip("/").rsplit("/", 1)[-1]
            step.write(dest, None, f"copied from {source}")
        else:
            step.output("download", source, names_production(source))
    elif remote_dest and not remote_source:
        sent = step.stdin_text() if source == "-" else None
        if source != "-":
            step.path_effect("file-read", source)
            step.got.sends.append(step.path(source).path)
        elif sent:
            step.got.sends_text.append(sent)
        step.add("upload", dest, production=step.production(dest), direction="out",
                 public=public, detail=f"{operation} from {source if source != '-' else 'stdin'}")
    else:
        step.add("cloud-write", dest, production=step.production(dest, source),
                 public=public, detail=f"{operation} from {source}")
    if moving:
        if remote_source:
            step.add("cloud-delete", source, production=step.production(source), detail="moved")
        else:
            step.path_effect("file-delete", source, "moved")
    if step.args.has("--delete"):
        if remote_dest:
            step.add("cloud-delete", dest, production=step.production(dest), detail="sync --delete")
        else:
            step.path_effect("file-delete", dest, "sync --delete")


def _aws_configure(step: Step, operation: str, operands: list[str]) -> None:
    key = operands[0] if operands else ""
    if operation == "get":
        if _SECRET_KEY.search(key):
            step.add("credential-read", "~/.aws/credentials", where="credential-store",
                     detail=f"aws configure get {key}")
        else:
            step.path_effect("file-read", "~/.aws/config", listing=True)
    elif operation == "export-credentials":
        step.add("credential-read", "~/.aws/credentials", where="credential-store",
                 detail="aws configure export-credentials")
    elif operation in ("set", "", "sso", "import"):
        step.write("~/.aws/credentials" if _SECRET_KEY.search(key) or not operation
                   else "~/.aws/config", None, f"aws configure {operation}".strip())
    else:
        step.path_effect("file-read", "~/.aws/config", listing=True)


# ----------------------------------------------------------------------------- google, azure

@rule("gcloud")
def gcloud(step: Step) -> None:
    words = step.operands
    if not words or words[0] in LOCAL_VERBS:
        return
    joined = " ".join(words)
    if re.match(r"auth (?:application-default )?print-(?:access|identity)-token", joined):
        step.add("credential-read", "gcloud token", where="credential-store", detail=joined)
        return
    if re.match(r"secrets versions access", joined):
        secret = step.args.value("--secret") or "(secret)"
        step.add("credential-read", f"secretmanager:{secret}", detail="secret accessed",
                 production=step.production(secret))
        return
    if words[0] == "storage" and len(words) > 1 and words[1] in ("cp", "mv", "rsync"):
        if len(words) >= 4:
            _transfer(step, words[2], words[3], words[1], "gs://", False)
        return
    if words[0] in ("auth", "config"):
        _gcloud_config(step, words)
        return
    if re.match(r"(?:compute|cloud-shell|alpha compute|beta compute) ssh", joined):
        target = next((w for w in words[2:]), "(instance)")
        step.add("remote-exec", target, production=step.production(target), detail="gcloud ssh")
        return
    _gcloud_call(step, words)


def _gcloud_call(step: Step, words: list[str]) -> None:
    verb_at = next((i for i, w in enumerate(words[1:], start=1) if verb_class(w)), None)
    klass = verb_class(words[verb_at]) if verb_at else None
    resource = ".".join(words[1:verb_at]) if verb_at else ".".join(words[1:])
    name = words[verb_at + 1] if verb_at and verb_at + 1 < len(words) else ""
    obj = f"{words[0]}:{resource}" + (f"/{name}" if name else "")
    production = step.production(name, resource)
    if words[0] == "scheduler" and klass == "write" or resource.startswith("scheduler"):
        step.add("persistence-write", obj, production=production, detail="cloud scheduler job")
        return
    if "iam" in resource or words[0] == "iam" or "add-iam-policy-binding" in words:
        if klass == "write":
            step.add("privilege", obj, production=production, detail="iam binding")
            return
    step.add(kind_of(klass), obj, production=production)


def _gcloud_config(step: Step, words: list[str]) -> None:
    verb = words[1] if len(words) > 1 else ""
    if words[0] == "config" and verb == "set" and len(words) > 3:
        step.got.context[f"gcloud {words[2]}"] = words[3]
        step.write("~/.config/gcloud/configurations/config_default", None,
                   f"gcloud config set {words[2]} {words[3]}")
    elif verb in ("login", "activate-service-account", "application-default"):
        step.write("~/.config/gcloud/credentials.db", None, f"gcloud auth {verb}")
    else:
        step.path_effect("file-read", "~/.config/gcloud", listing=True)


@rule("gsutil")
def gsutil(step: Step) -> None:
    words = step.operands
    if not words or words[0] in LOCAL_VERBS:
        return
    verb, rest = words[0], words[1:]
    if verb in ("cp", "mv", "rsync") and len(rest) >= 2:
        _transfer(step, rest[0], rest[-1], verb, "gs://", False)
        return
    target = next((w for w in rest if w.startswith("gs://")), "gs://")
    production = step.production(target)
    if verb in ("acl", "iam", "defacl"):
        public = any(re.search(r"(?i)allusers|allauthenticatedusers", w) for w in rest)
        step.add("cloud-write", target, production=production, public=public, detail=f"{verb}")
    elif verb in ("rm", "rb"):
        step.add("cloud-delete", target, production=production, detail=verb)
    elif verb in ("mb", "setmeta", "label", "lifecycle", "versioning", "web"):
        step.add("cloud-write", target, production=production, detail=verb)
    elif verb in ("ls", "cat", "du", "stat", "hash", "version"):
        step.add("cloud-read", target, production=production, direction="in", detail=verb)
        if verb == "cat":
            step.output("download", target, production)


@rule("az")
def az(step: Step) -> None:
    words = step.operands
    if not words or words[0] in LOCAL_VERBS or words[0] in ("config", "upgrade"):
        return
    joined = " ".join(words)
    name = step.args.value("-n", "--name") or ""
    resource = ".".join(w for w in words[:-1]) or words[0]
    obj = f"azure:{resource}" + (f"/{name}" if name else "")
    production = step.production(name, step.args.value("-g", "--resource-group"))
    if re.match(r"(keyvault secret (show|download)|account get-access-token|"
                r"storage account (keys list|show-connection-string)|ad sp credential reset|"
                r"acr credential show)", joined):
        step.add("credential-read", obj, production=production, detail=joined[:60])
    elif re.match(r"(role assignment create|ad app permission grant|ad sp create-for-rbac)",
                  joined):
        step.add("privilege", obj, production=production, detail=joined[:60])
    elif re.match(r"(vm run-command invoke|ssh vm|vm user update)", joined):
        step.add("remote-exec", obj, production=production, detail=joined[:60])
    elif re.match(r"storage blob (upload|upload-batch)", joined):
        source = step.args.value("-f", "--file", "--source")
        if source:
            step.path_effect("file-read", source)
            step.got.sends.append(step.path(source).path)
        step.add("upload", obj, production=production, direction="out", detail=joined[:40])
    elif words[0] == "login":
        step.write("~/.azure/msal_token_cache.json", None, "az login")
    else:
        klass = next((verb_class(w) for w in reversed(words) if verb_class(w)), None)
        step.add(kind_of(klass), obj, production=production)


@rule("azcopy")
def azcopy(step: Step) -> None:
    words = step.operands
    if len(words) >= 3 and words[0] in ("copy", "cp", "sync"):
        _transfer(step, words[1], words[2], words[0], "https://", False)
    elif len(words) >= 2 and words[0] in ("rm", "remove"):
        step.add("cloud-delete", words[1], production=step.production(words[1]))


# ----------------------------------------------------------------------------- operation names

def cloud_operation(rec: Recorder, tool: str, args: dict[str, Any]) -> bool:
    """`aws.s3.get-object`, `s3:GetObject`: service + operation, by the cloud verb data."""
    match = _CLOUD_OP.match(tool) or _IAM_ACTION.match(tool)
    if not match:
        return False
    groups = [g for g in match.groups() if g]
    service, operation = groups[-2], _CAMEL.sub("-", groups[-1]).lower().replace("_", "-")
    if verb_class(operation.rsplit(".", 1)[-1]) is None and not match.group(0).startswith(
            ("aws", "gcp", "azure")):
        return False
    obj = _cloud_object(service, operation, args)
    values = " ".join(str(v) for v in args.values() if isinstance(v, (str, int)))
    production = names_production(obj) or names_production(values)
    specific = operation_effects(f"{service}.{operation}", obj, production,
                                 json.dumps(args, default=str, sort_keys=True))
    rec.got.effects.extend(specific)
    if not specific:
        klass = verb_class(operation.rsplit(".", 1)[-1])
        rec.add(kind_of(klass), obj, production=production,
                direction="in" if klass == "read" else "out")
    outfile = args.get("outfile") or args.get("OutFile")
    if isinstance(outfile, str):
        rec.write(outfile, None, f"downloaded from {obj}")
    return True


def _cloud_object(service: str, operation: str, args: dict[str, Any]) -> str:
    lowered = {str(k).lower().replace("_", ""): v for k, v in args.items()}
    bucket = lowered.get("bucket") or lowered.get("bucketname")
    if bucket:
        key = lowered.get("key") or lowered.get("prefix") or ""
        return f"s3://{bucket}/{key}" if service == "s3" else f"{service}:{bucket}"
    for key in ("functionname", "name", "rule", "rolearn", "secretid", "rolename", "username",
                "tablename", "instanceid", "instanceids", "clustername", "stackname", "queueurl",
                "topicarn", "resource", "id"):
        value = lowered.get(key)
        if isinstance(value, (str, int)) and value != "":
            return f"{service}:{value}"
        if isinstance(value, list) and value:
            return f"{service}:{value[0]}"
    return f"{service}:{re.sub(r'^[a-z]+-', '', operation)}"
