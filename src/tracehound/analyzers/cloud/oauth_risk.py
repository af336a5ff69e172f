"""How much an OAuth scope lets an app do, as data, and the grading of a consent or grant.

Levels: critical (the app can make itself or anyone an admin, or read every mailbox),
high (read-write to mail, files, sites or the directory; reading mail, or sending it, as the
user), medium (read of files / directory, write to calendars or contacts), low (sign-in and
profile).
Patterns are case-insensitive, `*` matches any run of characters. Microsoft Graph, Exchange
and Google Workspace scopes are listed; an unlisted scope grades as low, with a `.ReadWrite`
or `write` in its name as medium.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Iterable

from ...model import SEVERITY_RANK

SCOPE_LEVELS: tuple[tuple[str, str], ...] = (
    # critical: privilege over the tenant, or every mailbox
    ("AppRoleAssignment.ReadWrite.All", "critical"),
    ("RoleManagement.ReadWrite.Directory", "critical"),
    ("RoleAssignmentSchedule.ReadWrite.Directory", "critical"),
    ("Application.ReadWrite.All", "critical"),
    ("full_access_as_app", "critical"),
    ("https://www.googleapis.com/auth/admin.directory.user", "critical"),
    ("https://www.googleapis.com/auth/admin.directory.rolemanagement", "critical"),
    ("https://www.googleapis.com/auth/cloud-platform", "critical"),
    # high: read-write to mail, files, sites, directory; reading or sending mail as the user
    ("EWS.AccessAsUser.All", "high"),
    ("Mail.ReadWrite", "high"), ("Mail.ReadWrite.Shared", "high"), ("Mail.Send", "high"),
    ("Mail.Send.Shared", "high"), ("MailboxSettings.ReadWrite", "high"),
    ("Files.ReadWrite.All", "high"), ("Files.ReadWrite", "high"), ("Sites.*", "high"),
    ("Directory.ReadWrite.All", "high"), ("Directory.AccessAsUser.All", "high"),
    ("User.ReadWrite.All", "high"), ("Group.ReadWrite.All", "high"),
    ("Mail.Read", "high"), ("Mail.Read.Shared", "high"),
    ("IMAP.AccessAsUser.All", "high"), ("POP.AccessAsUser.All", "high"),
    ("SMTP.Send", "high"), ("Exchange.Manage", "high"),
    ("https://mail.google.com/", "high"),
    ("https://www.googleapis.com/auth/gmail.modify", "high"),
    ("https://www.googleapis.com/auth/gmail.send", "high"),
    ("https://www.googleapis.com/auth/gmail.settings.basic", "high"),
    ("https://www.googleapis.com/auth/gmail.settings.sharing", "high"),
    ("https://www.googleapis.com/auth/drive", "high"),
    ("https://www.googleapis.com/auth/gmail.readonly", "high"),
    # medium: broad read, writes to personal data
    ("Files.Read.All", "medium"), ("Files.Read", "medium"), ("Directory.Read.All", "medium"),
    ("User.Read.All", "medium"), ("Group.Read.All", "medium"), ("Contacts.ReadWrite", "medium"),
    ("Calendars.ReadWrite", "medium"), ("Notes.ReadWrite.All", "medium"),
    ("Chat.ReadWrite", "medium"), ("ChannelMessage.Read.All", "medium"),
    ("Chat.Read", "medium"), ("MailboxSettings.Read", "medium"), ("AuditLog.Read.All", "medium"),
    ("https://www.googleapis.com/auth/drive.readonly", "medium"),
    ("https://www.googleapis.com/auth/drive.file", "medium"),
    ("https://www.googleapis.com/auth/calendar", "medium"),
    ("https://www.googleapis.com/auth/contacts", "medium"),
    # low: sign-in and profile
    ("openid", "low"), ("profile", "low"), ("email", "low"), ("offline_access", "low"),
    ("User.Read", "low"), ("User.ReadBasic.All", "low"), ("Calendars.Read", "low"),
    ("https://www.googleapis.com/auth/userinfo.email", "low"),
    ("https://www.googleapis.com/auth/userinfo.profile", "low"),
)
WRITE_MARKERS = ("readwrite", "write", ".send", "full_access", "manage", "gmail.modify",
                 "mail.google.com", "auth/drive")
RANK = {"none": -1, **SEVERITY_RANK}


@dataclass(frozen=True)
class ScopeGrade:
    level: str                  # low | medium | high | critical
    risky: tuple[str, ...]      # scopes at medium or above, sorted
    refresh_with_write: bool    # offline_access together with a write scope

    def describe(self) -> str:
        text = ", ".join(self.risky) if self.risky else "sign-in and profile scopes only"
        if self.refresh_with_write:
            text += " with offline_access (refresh tokens keep the access without the user)"
        return text


def scope_level(scope: str) -> str:
    lowered = scope.lower()
    for pattern, level in SCOPE_LEVELS:
        if fnmatch.fnmatchcase(lowered, pattern.lower()):
            return level
    return "medium" if any(m in lowered for m in ("readwrite", "write")) else "low"


def grade(scopes: Iterable[str]) -> ScopeGrade:
    names = sorted({s for s in scopes if s})
    levels = {scope: scope_level(scope) for scope in names}
    writes = any(any(m in s.lower() for m in WRITE_MARKERS) for s in names)
    refresh = writes and any(s.lower() == "offline_access" for s in names)
    level = max(levels.values(), key=RANK.__getitem__, default="low")
    if refresh and RANK[level] < RANK["high"]:
        level = "high"
    risky = tuple(s for s in names if RANK[levels[s]] >= RANK["medium"])
    return ScopeGrade(level, risky, refresh)


def consent_severity(level: str, tenant_wide: bool) -> str | None:
    """Severity of a consent: the scope level, one step up for every user; None: not a finding."""
    if level == "critical":
        return "critical"
    if level == "high":
        return "critical" if tenant_wide else "high"
    if level == "medium":
        return "medium"
    return "low" if tenant_wide else None
