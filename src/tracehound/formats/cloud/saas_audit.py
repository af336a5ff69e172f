"""Generic SaaS audit CSV: any export with time, actor and action columns, found by name.

SaaS admin consoles (Slack, Zoom, GitHub, Okta, Salesforce, Box, Dropbox ...) export audit logs
as CSV with their own header words. A column is recognized by its name against the synonym
lists below (case, spaces and underscores ignored); time, actor and action are required, the
rest (resource, service, IP, outcome) are read when present. Lowest sniff priority, so every
vendor-specific parser is tried first. One `saas:audit` event per row.
"""

from __future__ import annotations

from typing import Any, Iterator

from ...model import Event, ParseIssue
from ...taxonomy import classify_action
from . import m365_fields as f
from ..base import Parser, Sample, Source
from ..records import column, column_key, iter_csv_records
from ..registry import register

SYNONYMS: dict[str, tuple[str, ...]] = {
    "time": ("timestamp", "time", "date", "datetime", "date time", "created", "created at",
             "created date", "event time", "occurred at", "@timestamp", "date (utc)", "when"),
    "actor": ("actor", "actor email", "user", "user email", "user name", "username", "email",
              "principal", "performed by", "login", "actor name", "initiated by", "member"),
    "action": ("action", "event", "event type", "event name", "activity", "operation", "type",
               "action type"),
    "resource": ("resource", "target", "object", "item", "document", "file", "file name",
                 "repository", "repo", "resource name", "target name", "entity", "channel"),
    "service": ("service", "app", "application", "product", "platform", "source", "tool"),
    "ip": ("ip", "ip address", "client ip", "source ip", "remote ip", "actor ip"),
    "outcome": ("result", "status", "outcome", "success"),
}
REQUIRED = ("time", "actor", "action")


def header_roles(header: list[str]) -> dict[str, str]:
    """role -> the header name that fills it (first synonym present wins)."""
    keys = {column_key(h): h for h in header}
    roles: dict[str, str] = {}
    for role, names in SYNONYMS.items():
        for name in names:
            if column_key(name) in keys and keys[column_key(name)] not in roles.values():
                roles[role] = keys[column_key(name)]
                break
    return roles


@register
class SaasAuditCsvParser(Parser):
    name = "saas-audit-csv"
    version = "1"
    priority = 5
    description = "Generic SaaS audit CSV (time / actor / action columns by name)"

    def sniff(self, sample: Sample) -> str | None:
        roles = header_roles(sample.csv_header)
        if all(role in roles for role in REQUIRED):
            found = ", ".join(f"{role}={roles[role]}" for role in REQUIRED)
            return f"CSV with audit columns ({found})"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        roles: dict[str, str] | None = None
        for item in iter_csv_records(source):
            if isinstance(item, ParseIssue):
                yield item
                continue
            ref, row = item
            if roles is None:
                roles = header_roles(list(row))
            values = {role: column(row, name) for role, name in roles.items()}
            time = f.utc_time(values.get("time"))
            if time is None or not values.get("action"):
                yield ParseIssue(source.path, ref.locator, "row has no readable time or no action")
                continue
            yield row_event(ref, values, time, row)


def row_event(ref: Any, v: dict[str, Any], time: str, raw: dict[str, Any]) -> Event:
    word = (v.get("outcome") or "").lower()
    outcome = ("failure" if word.startswith(("fail", "denied", "error", "false", "blocked"))
               else "success" if word.startswith(("success", "ok", "true", "allowed")) else None)
    actor = v.get("actor")
    action = v["action"]
    attrs = {"user_id": actor, "service": v.get("service"), "resource": v.get("resource"),
             "client_ip": f.client_ip(v.get("ip")), "result_status": v.get("outcome")}
    return Event(ref=ref, source="saas:audit", time=time, action=action,
                 action_class=classify_action(action), actor_id=f.actor_id(actor),
                 actor_kind="human" if actor and "@" in actor else "unknown",
                 target_id=v.get("resource"), outcome=outcome, attrs=attrs, raw=raw)
