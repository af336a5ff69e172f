"""Microsoft account (consumer) recent-activity export, CSV or JSON.

The account's activity page lists sign-ins and security changes: when, what ("Successful
sign-in", "Unsuccessful sign-in", "Security info added", "Password changed" ...), from which
IP and country/region, with which app or browser. Exports and hand copies name the columns
differently, so they are found by name with synonyms. One event (`msa:activity`) per row.
"""

from __future__ import annotations

from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue
from ...taxonomy import classify_action
from . import m365_fields as f
from ..base import Sample, Source
from ..records import RecordParser, column, column_key, sample_records
from ..registry import register

TIME = ("Date (UTC)", "Date/time", "Date and time", "Timestamp", "Time", "Date",
        "activityDateTime", "createdDateTime")
ACTIVITY = ("Activity", "Activity type", "Type", "Event", "activityType", "activity")
RESULT = ("Result", "Status", "Outcome", "result", "status")
IP = ("IP address", "IP", "ipAddress", "ip", "clientIp")
COUNTRY = ("Country/region", "Country", "Location", "countryOrRegion", "country", "region")
AGENT = ("Browser/app", "Browser", "App", "Device/platform", "Platform", "Application",
         "userAgent", "browser", "app")
ACCOUNT = ("Account", "Email", "Microsoft account", "User", "account", "userPrincipalName")
SECURITY_WORDS = ("security info", "two-step", "2fa", "authenticator", "recovery code",
                  "verification", "passkey", "security key", "phone number", "alternate email")
SIGNIN_WORDS = ("sign-in", "sign in", "signin", "login", "log in")


def _present(names: set[str], synonyms: tuple[str, ...]) -> bool:
    return any(column_key(s) in names for s in synonyms)


def _looks_like(keys: set[str]) -> bool:
    names = {column_key(k) for k in keys}
    return (_present(names, ACTIVITY) and _present(names, IP) and _present(names, TIME)
            and (_present(names, COUNTRY) or _present(names, RESULT)))


@register
class MicrosoftAccountActivityParser(RecordParser):
    name = "ms-account-activity"
    version = "1"
    priority = 20
    description = "Microsoft account recent-activity export (CSV or JSON)"

    def sniff(self, sample: Sample) -> str | None:
        if sample.csv_header and _looks_like(set(sample.csv_header)):
            return "CSV with activity, IP, country/result and time columns (Microsoft account activity)"
        records = sample_records(sample)[:3]
        if records and all(_looks_like(set(r)) for r in records) and not any(
                "createdDateTime" in r and "userPrincipalName" in r for r in records):
            return "JSON records with activity, IP and country (Microsoft account activity)"
        return None

    def record(self, source: Source, ref: EvidenceRef, record: dict[str, Any]
               ) -> Iterator[Event | ParseIssue]:
        row = {k: f.text_value(v) for k, v in record.items() if isinstance(k, str)}
        activity = f.canonical_operation(column(row, *ACTIVITY))
        time = f.utc_time(column(row, *TIME))
        if not activity or time is None:
            yield ParseIssue(source.path, ref.locator,
                             "activity row has no activity name or readable time")
            return
        yield activity_event(ref, row, activity, time, record)


def activity_event(ref: Any, row: dict[str, Any], activity: str, time: str, raw: Any) -> Event:
    text = activity.lower()
    result = (column(row, *RESULT) or "").lower()
    if "unsuccessful" in text or result.startswith(("fail", "unsuccess", "blocked", "denied")):
        outcome = "failure"
    elif "successful" in text or result.startswith(("success", "ok", "allowed")):
        outcome = "success"
    else:
        outcome = None
    is_signin = any(w in text for w in SIGNIN_WORDS)
    is_security = any(w in text for w in SECURITY_WORDS)
    account = column(row, *ACCOUNT)
    attrs = {"user_id": account, "client_ip": f.client_ip(column(row, *IP)),
             "country": column(row, *COUNTRY), "user_agent": column(row, *AGENT),
             "result_status": column(row, *RESULT), "mfa_change": is_security or None,
             "mfa_method": activity if is_security else None}
    return Event(ref=ref, source="msa:activity", time=time, action=activity,
                 action_class=("authentication" if is_signin else "permission-change"
                               if is_security else classify_action(activity)),
                 actor_id=f.actor_id(account), actor_kind="human", outcome=outcome,
                 attrs=attrs, raw=raw)
