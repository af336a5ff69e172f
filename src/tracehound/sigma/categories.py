"""A Sigma rule's finding category, severity and ATT&CK ids, from its level, tags and logsource.

Category (CONTRACT.md cloud categories), first match wins:

| when | category |
|---|---|
| logsource m365/threat_management or m365/threat_detection (the records are alerts) | defender-alert |
| logsource azure/signinlogs (every record is a sign-in) | anomalous-signin |
| ATT&CK T1562.007 or T1686 (cloud / network firewall changes) | network-change |
| T1562, T1685 (impair defenses, disable tools: logging, GuardDuty, Defender), T1070 | audit-tampering |
| T1114 (email collection / forwarding) | mail-forwarding |
| T1137.005, T1564.008 (Outlook rules, email hiding rules) | inbox-rule |
| T1556 (modify authentication: MFA, federation trust) | mfa-change |
| T1528, T1550.001 (application access tokens, OAuth) | oauth-consent |
| T1098, T1136, T1484, T1531 (accounts, roles, domain trust) on azure/activitylogs | rbac-change |
| T1098, T1136, T1484, T1531 elsewhere | role-assignment |
| T1110, T1078, T1621 (brute force, valid accounts, MFA floods), not on change records (*) | anomalous-signin |
| T1530, T1567, T1048 (data from cloud storage, exfiltration) | bulk-download |
| T1537 (transfer to another cloud account) | resource-change |
| no technique above, tactic tag `attack.defense-impairment` | audit-tampering |
| otherwise | the logsource's default (logsources.py) |

(*) On the change records of azure/auditlogs and azure/activitylogs, "valid accounts" says how
a change was made, not that the record is a sign-in: the next row that applies decides.

Severity is the rule's `level` (`informational` -> info); a rule without one is `medium`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .logsources import find

if TYPE_CHECKING:
    from .convert import RuleInfo

ALERT_SERVICES = {"threat_management", "threat_detection"}
CHANGE_RECORDS = {"auditlogs", "activitylogs"}       # records of changes, never of sign-ins
IDENTITY = ("T1098", "T1136", "T1484", "T1531")
BY_TECHNIQUE: tuple[tuple[tuple[str, ...], str], ...] = (
    (("T1562.007", "T1686"), "network-change"),
    (("T1562", "T1685", "T1070"), "audit-tampering"),
    (("T1114",), "mail-forwarding"),
    (("T1137.005", "T1564.008"), "inbox-rule"),
    (("T1556",), "mfa-change"),
    (("T1528", "T1550.001"), "oauth-consent"),
    (IDENTITY, "role-assignment"),
    (("T1110", "T1078", "T1621"), "anomalous-signin"),
    (("T1530", "T1567", "T1048"), "bulk-download"),
    (("T1537",), "resource-change"),
)
LEVELS = {"informational": "info", "low": "low", "medium": "medium", "high": "high",
          "critical": "critical"}
_TECHNIQUE = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$", re.IGNORECASE)


def techniques(info: RuleInfo) -> tuple[str, ...]:
    found = (_TECHNIQUE.match(tag) for tag in info.tags)
    return tuple(sorted({m.group(1).upper() for m in found if m}))


def severity(info: RuleInfo) -> str:
    return LEVELS.get((info.level or "").lower(), "medium")


def category(info: RuleInfo) -> str:
    service = (info.service or "").lower()
    if (info.product or "").lower() == "m365" and service in ALERT_SERVICES:
        return "defender-alert"
    if service == "signinlogs":
        return "anomalous-signin"
    ids = techniques(info)
    for prefixes, name in BY_TECHNIQUE:
        if name == "anomalous-signin" and service in CHANGE_RECORDS:
            continue
        if any(t == p or t.startswith(p + ".") for t in ids for p in prefixes):
            if name == "role-assignment" and service == "activitylogs":
                return "rbac-change"
            return name
    if "attack.defense-impairment" in info.tags:
        return "audit-tampering"
    source = find(info.product, info.service)
    return source.category if source else "resource-change"
