"""Tool 8b, sign-in addresses: an account signing in from an address it never used, and an
address shared by a few accounts, from every sign-in the case holds (Entra sign-in logs and
the UAL's UserLoggedIn records alike).

Tuned for precision (issue 14):
- an address is "new" for an account only when that account signed in successfully on at least
  `history_days` (2) earlier days in the case from other addresses; IPv6 addresses are
  compared by their /64 network (one line's addresses rotate inside it);
- an address shared by several accounts counts only when it is not the tenant's egress: used
  by at most `shared_max_accounts` (3) accounts, and not the address most accounts use when
  that is three or more and half of all accounts (an office behind one NAT);
- each signal alone is low. It becomes medium when, within 24 hours, the same account or the
  same address made a mailbox rule, set forwarding, consented to an app, shared or downloaded
  files (data/follow_ups.yaml), and high when that happens and the address was new for two or
  more accounts.
One finding per account and address (its first sign-in from there), citing that sign-in and the
records that followed.
"""

from __future__ import annotations

import ipaddress
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import pyarrow as pa
import yaml

from ...model import Event, EvidenceRef, Finding
from ..registry import Analyzer, Context, register
from .cloud_tables import ensure_signins, ensure_ual
from .m365_detections import DETECTION_OPS
from .sql import connection, rows, sql_list
from ...formats.times import parse_utc as _time

FOLLOW_UPS = Path(__file__).parent / "data" / "follow_ups.yaml"
# The successful sign-ins an address is judged on. `new_addresses` / `egress` state the rules
# over these rows in time order; the tool runs them in SQL (`new_addresses_sql`, `egress_sql`,
# the same hits in the same order): every account and address key is worked out in Python
# (str.lower, `address_key`) once per distinct value and joined in, and only the hits come back.
SUCCESS_FILTER = ("outcome = 'success' AND ip IS NOT NULL AND time IS NOT NULL "
                  "AND contains(actor, '@')")
SUCCESSES = f"""
SELECT actor, ip, time, agent, app_id, source, sha256, locator FROM th_signins
WHERE {SUCCESS_FILTER}
ORDER BY time, actor, sha256, locator
"""
JUDGED = f"""
CREATE OR REPLACE TEMP TABLE th_signin_judged AS
SELECT s.actor, s.ip, s.time, s.agent, s.sha256, s.locator, a.la, k.key,
  substr(s.time, 1, 10) AS day,
  row_number() OVER (ORDER BY s.time, s.actor, s.sha256, s.locator) AS ord
FROM (SELECT * FROM th_signins WHERE {SUCCESS_FILTER}) s
  JOIN th_signin_actor a USING (actor) JOIN th_signin_key k USING (ip)
"""
# per account and key its first sign-in (and the sign-ins at that same time), with the number
# of distinct earlier days the account signed in on: every day before the first sign-in's day
# (the rows are in time order, so an earlier day is an earlier row)
NEW_ADDRESSES = """
WITH ranked AS (
  SELECT *, dense_rank() OVER (PARTITION BY la ORDER BY day) - 1 AS prior,
    min(ord) OVER (PARTITION BY la, key) AS first_ord
  FROM th_signin_judged),
firsts AS (SELECT la, key, time AS first_time, prior, ip, agent, ord
           FROM ranked WHERE ord = first_ord AND prior >= ?
             AND NOT list_contains(?::VARCHAR[], key))
SELECT f.la, f.key, f.ip, f.first_time, f.agent, f.prior,
  list(struct_pack(sha256 := r.sha256, locator := r.locator) ORDER BY r.ord) AS refs
FROM firsts f JOIN th_signin_judged r ON r.la = f.la AND r.key = f.key
  AND r.time = f.first_time
GROUP BY f.la, f.key, f.ip, f.first_time, f.agent, f.prior, f.ord
ORDER BY f.ord
"""
EGRESS = """
SELECT key, count(DISTINCT la) AS accounts FROM th_signin_judged GROUP BY key
ORDER BY accounts DESC, key
"""
FOLLOWERS = """
SELECT time, lower(actor) AS actor, client_ip AS ip, operation, sha256, locator FROM th_ual_all
WHERE operation IN {ops} AND time IS NOT NULL
  AND NOT starts_with(coalesce(actor, ''), 'nt authority\\')
  AND (operation <> 'Set-Mailbox' OR coalesce(a->'$.parameters'->>'$.ForwardingSmtpAddress',
       a->'$.parameters'->>'$.ForwardingAddress', '') <> '')
ORDER BY time, sha256, locator
"""


@lru_cache(maxsize=1)
def follow_up_table() -> tuple[dict[str, str], int]:
    """({operation: kind}, window in hours) from data/follow_ups.yaml."""
    table = yaml.safe_load(FOLLOW_UPS.read_text(encoding="utf-8"))
    kinds = {op: kind for kind, ops in table["operations"].items() for op in ops}
    return kinds, int(table.get("window_hours", 24))


@lru_cache(maxsize=65536)
def address_key(ip: str) -> str:
    """The address an account is judged by: an IPv4 address, or an IPv6 /64 network."""
    try:
        parsed = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


@dataclass(frozen=True)
class Limits:
    """The settings of this tool (`--set name=value`), with their defaults."""
    history_days: int = 2               # earlier days of sign-ins before an address is "new"
    shared_max_accounts: int = 3        # more accounts on one address: an egress

    @classmethod
    def of(cls, ctx: Context) -> "Limits":
        return cls(**{f.name: int(ctx.setting(f.name, f.default)) for f in fields(cls)})


@dataclass
class NewAddress:
    """An account's first successful sign-in from an address it had not used before."""
    actor: str
    key: str
    ip: str
    time: str
    refs: list[EvidenceRef]
    agent: str | None
    prior_days: int
    others: list[str] = field(default_factory=list)        # accounts new to it as well
    followed: list[dict[str, Any]] = field(default_factory=list)


def new_addresses(signins: Sequence[dict[str, Any]], history_days: int) -> list[NewAddress]:
    """Per account, each address first used after `history_days` days of sign-ins elsewhere
    (the same sign-in seen in two logs is one, citing both)."""
    days: dict[str, set[str]] = defaultdict(set)
    seen: dict[str, set[str]] = defaultdict(set)
    found: dict[tuple[str, str], NewAddress] = {}
    for r in signins:                   # in time order: every day seen so far is <= today
        actor, key, day = r["actor"].lower(), address_key(r["ip"]), r["time"][:10]
        hit = found.get((actor, key))
        if hit is not None and hit.time == r["time"]:
            hit.refs.append(EvidenceRef(r["sha256"], r["locator"]))
            continue
        known = days[actor]
        if key not in seen[actor]:
            earlier = len(known) - (day in known)
            if earlier >= history_days:
                found[(actor, key)] = NewAddress(actor, key, r["ip"], r["time"],
                                                 [EvidenceRef(r["sha256"], r["locator"])],
                                                 r.get("agent"), earlier)
            seen[actor].add(key)
        known.add(day)
    return list(found.values())


def egress(signins: Sequence[dict[str, Any]], max_accounts: int) -> set[str]:
    """Addresses that are the tenant's way out: more than `max_accounts` accounts, or the
    address the most accounts use when that is at least three and half of all accounts."""
    accounts: dict[str, set[str]] = defaultdict(set)
    for r in signins:
        accounts[address_key(r["ip"])].add(r["actor"].lower())
    out = {key for key, users in accounts.items() if len(users) > max_accounts}
    everyone = {a for users in accounts.values() for a in users}
    if accounts:
        top, users = min(accounts.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        if len(users) >= 3 and 2 * len(users) >= len(everyone):
            out.add(top)
    return out


def judge_signins(con: Any) -> None:
    """th_signin_judged: the sign-ins `SUCCESSES` reads, in its order (`ord`), each with its
    account (`la`, Python's lower case), address key (`address_key`) and day."""
    where = f"FROM th_signins WHERE {SUCCESS_FILTER}"
    actors = [a for (a,) in con.execute(f"SELECT DISTINCT actor {where}").fetchall()]
    ips = [ip for (ip,) in con.execute(f"SELECT DISTINCT ip {where}").fetchall()]
    tables = {"th_signin_actor": pa.table({"actor": pa.array(actors, pa.string()),
                                           "la": pa.array([a.lower() for a in actors],
                                                          pa.string())}),
              "th_signin_key": pa.table({"ip": pa.array(ips, pa.string()),
                                         "key": pa.array([address_key(ip) for ip in ips],
                                                         pa.string())})}
    for name, table in tables.items():
        con.register(f"{name}_arrow", table)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
        finally:
            con.unregister(f"{name}_arrow")
    con.execute(JUDGED)
    con.execute("DROP TABLE th_signin_actor")
    con.execute("DROP TABLE th_signin_key")


def new_addresses_sql(con: Any, history_days: int, leave_out: Iterable[str] = ()
                      ) -> list[NewAddress]:
    """`new_addresses` over th_signin_judged, in SQL: the same hits in the same order, but
    those at an address key in `leave_out` (egress)."""
    return [NewAddress(actor, key, ip, time, [EvidenceRef(r["sha256"], r["locator"])
                                             for r in refs], agent, prior)
            for actor, key, ip, time, agent, prior, refs
            in con.execute(NEW_ADDRESSES, [history_days, sorted(leave_out)]).fetchall()]


def egress_sql(con: Any, max_accounts: int) -> set[str]:
    """`egress` over th_signin_judged: keys by their number of accounts, most first."""
    accounts = con.execute(EGRESS).fetchall()
    out = {key for key, n in accounts if n > max_accounts}
    if accounts:
        everyone, = con.execute(
            "SELECT count(DISTINCT la) FROM th_signin_judged").fetchone()
        top, users = accounts[0]
        if users >= 3 and 2 * users >= everyone:
            out.add(top)
    return out


def attach_follow_ups(hits: list[NewAddress], followers: Sequence[dict[str, Any]],
                      kinds: dict[str, str], hours: int) -> None:
    """What the same account or address did within `hours` after each new-address sign-in."""
    window = timedelta(hours=hours)
    by_actor: dict[str, list[int]] = defaultdict(list)
    by_key: dict[str, list[int]] = defaultdict(list)
    for n, f in enumerate(followers):
        by_actor[f["actor"]].append(n)
        if f["ip"]:
            by_key[address_key(f["ip"])].append(n)
    for hit in hits:
        start = _time(hit.time)
        for n in sorted(set(by_actor.get(hit.actor, [])) | set(by_key.get(hit.key, []))):
            f = followers[n]
            if start <= _time(f["time"]) <= start + window:
                hit.followed.append({**f, "kind": kinds.get(f["operation"], "other")})


@register
class SigninAddressAnalyzer(Analyzer):
    NAME = "signin-addresses"
    VERSION = "1"
    FAMILY = "cloud"
    TITLE = ("Sign-in addresses (Entra and UAL sign-ins): an address new to an account with "
             "sign-in history, an address shared by a few accounts, and what followed")
    CONSUMES = ("entra:", "msa:", "m365:ual")

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        limits = Limits.of(ctx)
        kinds, hours = follow_up_table()
        with connection(events, ctx) as con:
            ensure_signins(con, DETECTION_OPS)
            ensure_ual(con, DETECTION_OPS)
            judge_signins(con)
            outs = egress_sql(con, limits.shared_max_accounts)
            hits = new_addresses_sql(con, limits.history_days, outs)
            con.execute("DROP TABLE th_signin_judged")
            followers = rows(con, FOLLOWERS.format(ops=sql_list(sorted(kinds))))
        by_key: dict[str, list[NewAddress]] = defaultdict(list)
        for hit in hits:
            by_key[hit.key].append(hit)
        for hit in hits:
            hit.others = sorted({h.actor for h in by_key[hit.key]} - {hit.actor})
        attach_follow_ups(hits, followers, kinds, hours)
        return [self._finding(hit) for hit in hits]

    def _finding(self, hit: NewAddress) -> Finding:
        followed = hit.followed
        severity = "low"
        if followed:
            severity = "high" if hit.others else "medium"
        shared = (f"; the address was new as well for {', '.join(hit.others)}"
                  if hit.others else "")
        tail = ""
        if followed:
            ops = Counter(f["operation"] for f in followed)
            listed = ", ".join(f"{n} {op}" for op, n in sorted(ops.items()))
            tail = (f"; within 24 hours the account or the address made {listed} "
                    f"(first at {followed[0]['time']})")
        refs = tuple(dict.fromkeys(hit.refs + [EvidenceRef(f["sha256"], f["locator"])
                                               for f in followed]))
        return Finding(
            rule="TH-SIGNIN-NEW-ADDRESS", tool=self.NAME, category="anomalous-signin",
            severity=severity, title=f"{hit.actor} signed in from {hit.ip}, new for the account",
            statement=(f"{hit.actor} signed in successfully at {hit.time} from {hit.ip}, an "
                       f"address the account had not used on its {hit.prior_days} earlier "
                       f"days of sign-ins in the evidence{shared}{tail}."),
            refs=refs, time=hit.time, actor=hit.actor, target=hit.ip, techniques=("T1078.004",),
            engine_version=self.engine_version,
            details={k: v for k, v in {
                "ip": hit.ip, "address": hit.key, "prior_days": hit.prior_days,
                "shared_with": hit.others, "user_agent": hit.agent,
                "followed_by": sorted({f["kind"] for f in followed}),
                "signin_refs": [r.to_json() for r in hit.refs]}.items()
                if v not in (None, [], "")})
