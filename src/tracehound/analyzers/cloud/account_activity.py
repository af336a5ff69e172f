"""Tool 8, account activity: sign-ins, failed-login bursts, novel sign-ins, MFA changes.

Reads every sign-in the case holds (Entra sign-in logs, Microsoft account activity, UAL
UserLoggedIn / UserLoginFailed) as one table and reports:
- password spray: failed sign-ins for at least `spray_users` (5) accounts from one address in
  one hour, those accounts being at least `spray_share` (half) of the accounts that signed in
  from it that hour (an office's shared egress address sees a few failures among many
  sign-ins; a spraying address sees mostly failures). One finding per address-hour, naming
  the accounts that then got in from it;
- brute force: at least `bruteforce_failures` (10) failures for one account in one hour;
- anomalous sign-in: a successful sign-in from a country, network (ASN) or user agent the
  account had not used before in this evidence, over legacy authentication, or from a
  spraying address. The same sign-in seen in two logs is one finding citing both;
- MFA / security-info change: low on its own, high within 24 hours after an anomalous
  sign-in or a spray that reached the same account.
Novelty needs history: an account's first sign-in in the evidence is never "new".
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import timedelta
from typing import Any, Iterable, Mapping, Sequence

from ...model import Event, Finding
from ..registry import Analyzer, Context, register
from .cloud_tables import IS_CLOUD, ensure_signins
from .m365_detections import DETECTION_OPS
from .sql import REFS, connection, refs_of, rows
from ...formats.times import parse_utc as _parse

SPRAY = """
WITH g AS (
  SELECT ip, substr(time, 1, 13) AS hour, min(time) AS time, max(time) AS last,
    count(*) AS failures, count(DISTINCT actor) AS users,
    list(DISTINCT actor ORDER BY actor) AS accounts, {refs} AS refs
  FROM th_failures WHERE ip IS NOT NULL GROUP BY ip, substr(time, 1, 13)
  HAVING count(DISTINCT actor) >= ?),
seen AS (
  SELECT ip, substr(time, 1, 13) AS hour, count(DISTINCT actor) AS accounts_seen
  FROM th_signins SEMI JOIN g USING (ip) GROUP BY ip, substr(time, 1, 13))
SELECT g.*, (SELECT list(DISTINCT s.actor ORDER BY s.actor) FROM th_signins s
             WHERE s.outcome = 'success' AND s.ip = g.ip AND s.time >= g.time
               AND list_contains(g.accounts, s.actor)) AS breached
FROM g JOIN seen USING (ip, hour) WHERE g.users >= ? * seen.accounts_seen
ORDER BY time, ip
"""
BRUTE_FORCE = """
SELECT actor, min(time) AS time, max(time) AS last, count(*) AS failures,
  list(DISTINCT ip ORDER BY ip) FILTER (WHERE ip IS NOT NULL) AS ips, {refs} AS refs
FROM th_failures GROUP BY actor, substr(time, 1, 13) HAVING count(*) >= ?
ORDER BY time, actor
"""
ANOMALIES = """
WITH ok AS (SELECT * FROM th_signins WHERE outcome = 'success'),
firsts AS (SELECT actor, min(time) AS first FROM ok GROUP BY actor),
c AS (SELECT actor, country, min(time) AS t FROM ok WHERE country IS NOT NULL GROUP BY ALL),
a AS (SELECT actor, asn, min(time) AS t FROM ok WHERE asn IS NOT NULL GROUP BY ALL),
u AS (SELECT actor, agent, min(time) AS t FROM ok WHERE agent IS NOT NULL GROUP BY ALL),
flagged AS (
  SELECT ok.*, ok.time > f.first AS has_history,
    ok.time = c.t AS new_country, ok.time = a.t AS new_asn, ok.time = u.t AS new_agent,
    list_contains(?, ok.ip) AS from_spray
  FROM ok JOIN firsts f USING (actor)
  LEFT JOIN c ON c.actor = ok.actor AND c.country = ok.country
  LEFT JOIN a ON a.actor = ok.actor AND a.asn = ok.asn
  LEFT JOIN u ON u.actor = ok.actor AND u.agent = ok.agent)
SELECT actor, time, ip, max(country) AS country, max(asn) AS asn, max(agent) AS agent,
  max(client_app) FILTER (WHERE legacy) AS legacy_client,
  bool_or(new_country) AS new_country, bool_or(new_asn) AS new_asn,
  bool_or(new_agent) AS new_agent, bool_or(from_spray) AS from_spray, {refs} AS refs
FROM flagged
WHERE (has_history AND (coalesce(new_country, false) OR coalesce(new_asn, false)
       OR coalesce(new_agent, false))) OR legacy OR from_spray
GROUP BY actor, time, ip ORDER BY time, actor
"""
MFA_CHANGES = """
SELECT sha256, locator, time, actor, action, coalesce(target_user, actor) AS target,
  mfa_method AS method, client_ip AS ip, source
FROM th_cloud WHERE mfa_change AND time IS NOT NULL ORDER BY time, sha256, locator
"""
# the same for events of other sources (a plugin's), when the case has any
OTHER_MFA_CHANGES = f"""
SELECT sha256, locator, time, actor_id AS actor, action,
  coalesce(attrs->>'$.target_user', actor_id) AS target, attrs->>'$.mfa_method' AS method,
  attrs->>'$.client_ip' AS ip, source
FROM events WHERE NOT ({IS_CLOUD}) AND contains(attrs, '"mfa_change"') AND time IS NOT NULL
  AND coalesce(TRY_CAST(attrs->>'$.mfa_change' AS BOOLEAN), false)
"""


@register
class AccountActivityAnalyzer(Analyzer):
    NAME = "account-activity"
    VERSION = "1"
    FAMILY = "cloud"
    TITLE = ("Account activity: sign-ins, password spray, brute force, new country / network / "
             "user agent, legacy authentication, MFA changes")
    CONSUMES = ("entra:", "msa:", "m365:ual")
    ARTIFACTS_ARE_VIEWS = True

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        spray_users = int(ctx.setting("spray_users", 5))
        spray_share = float(ctx.setting("spray_share", 0.5))
        brute = int(ctx.setting("bruteforce_failures", 10))
        with connection(events, ctx) as con:
            ensure_signins(con, DETECTION_OPS)
            sprays = rows(con, SPRAY.format(refs=REFS), [spray_users, spray_share])
            forced = rows(con, BRUTE_FORCE.format(refs=REFS), [brute])
            spray_ips = sorted({r["ip"] for r in sprays})
            odd = rows(con, ANOMALIES.format(refs=REFS), [spray_ips])
            changes = mfa_changes(con)
        found = [self._spray(r) for r in sprays] + [self._brute(r) for r in forced]
        found += [self._anomaly(r) for r in odd]
        alarms = Alarms([(r["actor"], r["time"]) for r in odd if _anomaly_severity(r) != "low"]
                        + [(user, r["time"]) for r in sprays for user in r["breached"] or []])
        found += [self._mfa(r, alarms) for r in changes]
        return found

    def artifacts(self, events: Sequence[Event], ctx: Context) -> Mapping[str, list]:
        with connection(events, ctx) as con:
            ensure_signins(con, DETECTION_OPS)
            return {"account_activity": signin_rows(con)}

    def _finding(self, rule: str, category: str, severity: str, row: dict[str, Any], title: str,
                 statement: str, techniques: tuple[str, ...], **details: Any) -> Finding:
        return Finding(rule=rule, tool=self.NAME, category=category, severity=severity,
                       title=title, statement=statement, refs=refs_of(row), time=row["time"],
                       actor=row.get("actor"), target=row.get("target"), techniques=techniques,
                       engine_version=self.engine_version,
                       details={k: v for k, v in details.items() if v not in (None, [], "")})

    def _spray(self, r: dict[str, Any]) -> Finding:
        breached = r["breached"] or []
        tail = (f"; {', '.join(breached)} then signed in successfully from the same address"
                if breached else "; none of them signed in successfully from it afterwards")
        return self._finding(
            "TH-SIGNIN-PASSWORD-SPRAY", "anomalous-signin", "high", {**r, "actor": r["ip"]},
            f"Password spray from {r['ip']} against {r['users']} accounts",
            f"{r['failures']} failed sign-ins for {r['users']} accounts came from {r['ip']} "
            f"between {r['time']} and {r['last']}{tail}.", ("T1110.003",),
            accounts=r["accounts"], breached=breached, ip=r["ip"])

    def _brute(self, r: dict[str, Any]) -> Finding:
        return self._finding(
            "TH-SIGNIN-BRUTE-FORCE", "anomalous-signin", "medium", r,
            f"{r['failures']} failed sign-ins for {r['actor']} in one hour",
            f"{r['actor']} had {r['failures']} failed sign-ins between {r['time']} and "
            f"{r['last']} from {', '.join(r['ips'] or ['unknown addresses'])}.", ("T1110.001",),
            ips=r["ips"])

    def _anomaly(self, r: dict[str, Any]) -> Finding:
        why = _anomaly_reasons(r)
        return self._finding(
            "TH-SIGNIN-ANOMALY", "anomalous-signin", _anomaly_severity(r), r,
            f"Unusual sign-in by {r['actor']} from {r['ip'] or 'an unknown address'}",
            f"{r['actor']} signed in successfully at {r['time']} from "
            f"{r['ip'] or 'an unknown address'} with {'; '.join(why)}.", ("T1078.004",),
            reasons=why, ip=r["ip"], country=r["country"], asn=r["asn"], user_agent=r["agent"])

    def _mfa(self, r: dict[str, Any], alarms: "Alarms") -> Finding:
        after = alarms.latest_before(r["target"], r["time"])
        severity = "high" if after else "low"
        context = (f", {_gap(after, r['time'])} after an anomalous sign-in or spray on that account"
                   if after else "")
        return self._finding(
            "TH-MFA-METHOD-CHANGE", "mfa-change", severity, r,
            f"Security info changed for {r['target']}",
            f"{r['actor']} ran {r['action']} for {r['target']} ({r['method']}) from "
            f"{r['ip'] or 'an unrecorded address'}{context}.", ("T1556.006",),
            method=r["method"], ip=r["ip"])


def _anomaly_reasons(r: dict[str, Any]) -> list[str]:
    why = []
    if r["new_country"]:
        why.append(f"a country not seen before for this account ({r['country']})")
    if r["new_asn"]:
        why.append(f"a network not seen before for this account (AS{r['asn']})")
    if r["legacy_client"]:
        why.append(f"legacy authentication ({r['legacy_client']})")
    if r["from_spray"]:
        why.append("an address that password-sprayed this tenant")
    if r["new_agent"]:
        why.append(f"a user agent not seen before ({r['agent']})")
    return why


def _anomaly_severity(r: dict[str, Any]) -> str:
    if r["from_spray"] or (r["new_country"] and r["new_asn"]):
        return "high"
    if r["new_country"] or r["new_asn"] or r["legacy_client"]:
        return "medium"
    return "low"


class Alarms:
    """Times of anomalous sign-ins / successful sprays per account, for MFA-change context."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.by_user: dict[str, list[str]] = {}
        for user, time in sorted(pairs):
            self.by_user.setdefault(user, []).append(time)

    def latest_before(self, user: str | None, time: str) -> str | None:
        """The latest alarm on `user` at most 24 hours before `time` (ISO strings sort)."""
        times = self.by_user.get(user or "", [])
        index = bisect_right(times, time)
        if index and _parse(time) - _parse(times[index - 1]) <= timedelta(hours=24):
            return times[index - 1]
        return None


def _gap(earlier: str, later: str) -> str:
    minutes = int((_parse(later) - _parse(earlier)).total_seconds() // 60)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} hours"


def mfa_changes(con: Any) -> list[dict[str, Any]]:
    """Security-info changes, oldest first: from th_cloud, plus other sources' events."""
    found = rows(con, MFA_CHANGES)
    if con.execute(f"SELECT 1 FROM events WHERE NOT ({IS_CLOUD}) LIMIT 1").fetchone():
        found = sorted(found + rows(con, OTHER_MFA_CHANGES),
                       key=lambda r: (r["time"], r["sha256"], r["locator"]))
    return found


def signin_rows(con: Any, limit: int = 10_000) -> list[dict[str, Any]]:
    """The sign-in table (for the CSV / JSON export), oldest first, capped at `limit` rows."""
    return rows(con, "SELECT time, actor, source, outcome, ip, country, asn, client_app, agent, "
                     "error_code, sha256, locator FROM th_signins "
                     "ORDER BY time, actor, sha256, locator LIMIT ?", [limit])

