"""Agent-runtime JSON documents in the kepler reference shape (seed 001).

Five exports a responder collects around an agent session: the IAM role export with its
written intent (`RoleDetailList`), the credential-handling audit (`credential_uses`, OAuth
grants), the MCP call graph (`nodes`/`edges`), the persistence artifacts (`mechanisms`) and
the runtime config snapshot (`tool_allowlist`, prompt, environment). Each record becomes an
Event whose locator is the RFC 6901 pointer to that record.
"""

from __future__ import annotations

import fnmatch
import hashlib
from typing import Any, Callable, Iterator

from ...model import Event, ParseIssue, json_pointer, pointer_ref
from ...taxonomy import classify_action
from .common import utc_iso
from ..base import Parser, Sample, Source
from .kepler import as_int, as_str
from ..readers import load_json
from ..registry import register


def listed(value: Any) -> list[Any]:
    """A scalar or list as a list (IAM's Action/Resource may be either)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def time_of(value: Any) -> str | None:
    return utc_iso(value) if isinstance(value, str) else None


def document_items(source: Source, doc: Any, key: str) -> Iterator[tuple[int, dict] | ParseIssue]:
    """(index, item) of the list under `key`, with an issue for each item that is not an object."""
    items = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(items, list):
        yield ParseIssue(source.path, f"json:/{key}", f"expected a list under {key!r}")
        return
    for index, item in enumerate(items):
        if isinstance(item, dict):
            yield index, item
        else:
            yield ParseIssue(source.path, f"json:/{key}/{index}",
                             f"expected an object, found {type(item).__name__}")


def map_items(source: Source, doc: Any, key: str,
              make: Callable[[int, dict], Event | ParseIssue]) -> Iterator[Event | ParseIssue]:
    """One event (or issue) per object in the list under `key`; non-objects are issues."""
    for item in document_items(source, doc, key):
        yield item if isinstance(item, ParseIssue) else make(*item)


class DocumentParser(Parser):
    """A parser for one JSON object document: reads it once, reports why it cannot, and hands
    the object to `parse_document`."""

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        doc, issues = load(source)
        yield from issues
        if doc is not None:
            yield from self.parse_document(source, doc)

    def parse_document(self, source: Source, doc: dict[str, Any]
                       ) -> Iterator[Event | ParseIssue]:
        raise NotImplementedError


def load(source: Source) -> tuple[Any, list[ParseIssue]]:
    doc, issues = load_json(source.data, source.path)
    if doc is not None and not isinstance(doc, dict):
        issues.append(ParseIssue(source.path, "json:", "expected a JSON object at the top"))
        doc = None
    return doc, issues


def within(permissions: list[str], allowed: list[str]) -> bool:
    """True when every permission is matched by one of the allowed (IAM-style globs)."""
    lowered = [a.lower() for a in allowed]
    return all(any(fnmatch.fnmatchcase(p.lower(), a) for a in lowered) for p in permissions)


# ----------------------------------------------------------------------------- IAM role export


@register
class IamRoleGrantParser(DocumentParser):
    name = "iam-role-grant-json"
    version = "1"
    priority = 60
    description = "IAM role export (get-account-authorization-details roles) with written intent"

    def sniff(self, sample: Sample) -> str | None:
        doc = sample.document
        if isinstance(doc, dict) and isinstance(doc.get("RoleDetailList"), list) and any(
                isinstance(r, dict) and "AssumeRolePolicyDocument" in r
                for r in doc["RoleDetailList"]):
            return "JSON with a RoleDetailList of IAM roles and their trust policies"
        return None

    def parse_document(self, source: Source, doc: dict[str, Any]
                       ) -> Iterator[Event | ParseIssue]:
        intent = doc.get("written_intent") if isinstance(doc.get("written_intent"), dict) else {}
        for item in document_items(source, doc, "RoleDetailList"):
            yield from ([item] if isinstance(item, ParseIssue)
                        else self.role_events(source, *item, intent))

    def role_events(self, source: Source, index: int, role: dict[str, Any],
                    intent: dict[str, Any]) -> Iterator[Event | ParseIssue]:
        base = ("RoleDetailList", index)
        trust = role.get("AssumeRolePolicyDocument")
        if isinstance(trust, dict):
            for number, statement in enumerate(listed(trust.get("Statement"))):
                where = base + ("AssumeRolePolicyDocument", "Statement", number)
                yield self.statement(source, where, statement, role, intent, "trust-policy")
        for p_index, policy in enumerate(listed(role.get("RolePolicyList"))):
            document = policy.get("PolicyDocument") if isinstance(policy, dict) else None
            if not isinstance(document, dict):
                where = "json:" + json_pointer(*base, "RolePolicyList", p_index)
                yield ParseIssue(source.path, where, "role policy has no PolicyDocument object")
                continue
            for number, statement in enumerate(listed(document.get("Statement"))):
                where = base + ("RolePolicyList", p_index, "PolicyDocument", "Statement", number)
                yield self.statement(source, where, statement, role, intent, "iam-policy",
                                     as_str(policy.get("PolicyName")))

    @staticmethod
    def statement(source: Source, where: tuple, statement: Any, role: dict[str, Any],
                  intent: dict[str, Any], kind: str, policy: str | None = None
                  ) -> Event | ParseIssue:
        if not isinstance(statement, dict):
            return ParseIssue(source.path, "json:" + json_pointer(*where),
                              "policy statement is not an object")
        role_arn, role_name = as_str(role.get("Arn")), as_str(role.get("RoleName"))
        actions = [str(a) for a in listed(statement.get("Action"))]
        intended: bool | None = None
        if kind == "trust-policy":
            principal = statement.get("Principal")
            holders = [str(p) for v in (principal.values() if isinstance(principal, dict)
                                        else [principal]) for p in listed(v)]
            resources = [role_arn] if role_arn else []
            if "trusted_principals" in intent:
                intended = within(holders, [str(p) for p in listed(intent["trusted_principals"])])
            actor = holders[0] if holders else None
        else:
            holders = [role_arn] if role_arn else []
            resources = [str(r) for r in listed(statement.get("Resource"))]
            if "permissions" in intent:
                intended = within(actions, [str(p) for p in listed(intent["permissions"])])
            actor = role_arn
        return Event(
            ref=pointer_ref(source.sha256, *where), source="agent:grant",
            time=time_of(role.get("CreateDate")),
            action="iam.trust-statement" if kind == "trust-policy" else "iam.policy-statement",
            action_class="permission-change", actor_id=actor, actor_kind="service-principal",
            target_id=resources[0] if resources else None, target_type="iam-resource",
            attrs={"grant_kind": kind, "permissions": actions, "resources": resources,
                   "effect": as_str(statement.get("Effect")), "intended": intended,
                   "intent_text": as_str(intent.get("text")), "principal": actor,
                   "principals": holders, "role_name": role_name, "role_arn": role_arn,
                   "sid": as_str(statement.get("Sid")), "policy_name": policy,
                   "condition": statement.get("Condition"),
                   "not_actions": [str(a) for a in listed(statement.get("NotAction"))]},
            raw=statement)


# ----------------------------------------------------------------------------- credential audit


@register
class AgentCredentialAuditParser(DocumentParser):
    name = "agent-credential-audit-json"
    version = "1"
    priority = 60
    description = "Agent credential-handling audit: credential uses and OAuth grants per step"

    def sniff(self, sample: Sample) -> str | None:
        doc = sample.document
        if isinstance(doc, dict) and isinstance(doc.get("credential_uses"), list):
            return "JSON with a credential_uses list (agent credential-handling audit)"
        return None

    def parse_document(self, source: Source, doc: dict[str, Any]
                       ) -> Iterator[Event | ParseIssue]:
        scope = doc.get("declared_scope") if isinstance(doc.get("declared_scope"), dict) else {}
        agent, session = as_str(doc.get("agent_id")), as_str(doc.get("session_id"))
        if isinstance(doc.get("oauth_grants"), list):
            yield from map_items(source, doc, "oauth_grants",
                                 lambda i, grant: self.grant(source, i, grant, scope, session))
        yield from map_items(source, doc, "credential_uses",
                             lambda i, use: self.use(source, i, use, agent, session))

    @staticmethod
    def grant(source: Source, index: int, grant: dict[str, Any], scope: dict[str, Any],
              session: str | None) -> Event:
        scopes = [str(s) for s in listed(grant.get("scopes"))]
        client = as_str(grant.get("client_id"))
        intended = (within(scopes, [str(p) for p in listed(scope["permissions"])])
                    if "permissions" in scope else None)
        resources = [str(r) for r in listed(grant.get("resource"))]
        return Event(
            ref=pointer_ref(source.sha256, "oauth_grants", index), source="agent:grant",
            time=time_of(grant.get("granted_at")), action="oauth.grant",
            action_class="consent", actor_id=client, actor_kind="service-principal",
            target_id=resources[0] if resources else None, target_type="iam-resource",
            session=session, approver=as_str(grant.get("granted_by")),
            attrs={"grant_kind": "oauth-grant", "permissions": scopes, "resources": resources,
                   "effect": "Allow", "intended": intended,
                   "intent_text": as_str(scope.get("text")), "principal": client,
                   "role_name": None, "grant_id": as_str(grant.get("grant_id")),
                   "granted_by": as_str(grant.get("granted_by")),
                   "status": as_str(grant.get("status")), "mirrors": as_str(grant.get("mirrors")),
                   "expires_at": time_of(grant.get("expires_at"))},
            raw=grant)

    @staticmethod
    def use(source: Source, index: int, use: dict[str, Any], agent: str | None,
            session: str | None) -> Event:
        action = as_str(use.get("iam_action")) or as_str(use.get("action")) or "credential-use"
        decision = str(use.get("decision") or "").lower()
        outcome = {"allowed": "success", "denied": "blocked"}.get(decision)
        return Event(
            ref=pointer_ref(source.sha256, "credential_uses", index),
            source="agent:credential_use", time=time_of(use.get("timestamp")), action=action,
            action_class=classify_action(action), actor_id=as_str(use.get("agent_id")) or agent,
            actor_kind="agent", target_id=as_str(use.get("resource")), outcome=outcome,
            session=as_str(use.get("session_id")) or session, step=as_int(use.get("step_index")),
            attrs={"credential": as_str(use.get("principal_arn")),
                   "credential_kind": as_str(use.get("credential_kind")),
                   "tool_call_id": as_str(use.get("tool_call_id")),
                   "src_ip": as_str(use.get("source_ip")), "decision": decision or None},
            raw=use)


# ----------------------------------------------------------------------------- runtime config


@register
class AgentRuntimeConfigParser(DocumentParser):
    name = "agent-runtime-config-json"
    version = "1"
    priority = 60
    description = "Agent runtime config snapshot: model, tool allowlist, prompt, environment"

    def sniff(self, sample: Sample) -> str | None:
        doc = sample.document
        if (isinstance(doc, dict) and isinstance(doc.get("tool_allowlist"), list)
                and isinstance(doc.get("agent"), dict)):
            return "JSON with an agent and its tool_allowlist (runtime config snapshot)"
        return None

    def parse_document(self, source: Source, doc: dict[str, Any]
                       ) -> Iterator[Event | ParseIssue]:
        section = {k: (doc.get(k) if isinstance(doc.get(k), dict) else {}) for k in
                   ("agent", "snapshot", "model", "prompt", "scope", "deployment", "autonomy")}
        prompt_text = as_str(section["prompt"].get("text"))
        recorded = as_str(section["prompt"].get("sha256"))
        computed = hashlib.sha256(prompt_text.encode("utf-8")).hexdigest() if prompt_text else None
        if recorded and computed and recorded.lower() != computed:
            yield ParseIssue(source.path, "json:/prompt/sha256",
                             "recorded prompt sha256 does not match the prompt text")
        scope, agent = section["scope"], as_str(section["agent"].get("id"))
        env = doc.get("environment")
        yield Event(
            ref=pointer_ref(source.sha256), source="agent:config",
            time=time_of(section["snapshot"].get("captured_at")), action="agent.runtime-config",
            action_class="other", actor_id=agent, actor_kind="agent",
            attrs={"model": as_str(section["model"].get("id")),
                   "model_provider": as_str(section["model"].get("provider")),
                   "tool_allowlist": [str(t) for t in doc["tool_allowlist"]]
                   if isinstance(doc.get("tool_allowlist"), list) else [],
                   "deployed_prompt": prompt_text, "prompt_hash": recorded or computed,
                   "scope_text": as_str(scope.get("text")),
                   "scope_actions": [str(a) for a in listed(scope.get("action_classes"))],
                   "scope_resources": [str(r) for r in listed(scope.get("resources"))],
                   "scope_tools": [str(t) for t in listed(scope.get("tools"))],
                   "deployer": as_str(section["deployment"].get("deployed_by")),
                   "deployed_at": time_of(section["deployment"].get("deployed_at")),
                   "autonomy_mode": as_str(section["autonomy"].get("mode")),
                   "mcp_servers": [str(s.get("name")) for s in listed(doc.get("mcp_servers"))
                                   if isinstance(s, dict) and s.get("name")],
                   "env": env if isinstance(env, dict) else {}},
            raw=doc)
