"""Address chains (CONTRACT.md, incident finding): one finding per address that ties the
accounts that signed in from it to the findings that followed.

Runs after the tools, over their findings and the case store. An address is a candidate when a
sign-in finding names it (new address, unusual sign-in, password spray). Its chain is every
account that signed in successfully from it (an IPv6 address by its /64 network), and every
finding above low that followed: made from that address, or by one of those accounts between
its first sign-in from the address and 24 hours after its last. A chain is written when
something followed or when two or more accounts signed in from the address; an address more
than `MAX_ACCOUNTS` accounts signed in from is an egress (an office, a VPN), not a chain.

The finding states facts only: "address X signed in to A and B; from it followed ...". Its
refs are the sign-in records, `details.findings` the ids of the findings it ties together.
Severity: the worst finding that followed; low when nothing did.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any, Iterable, Sequence

from ..analyzers.cloud.cloud_tables import IS_SIGNIN
from ..analyzers.cloud.signin_addresses import address_key
from ..model import SEVERITY_RANK, EvidenceRef, Finding
from ..store import events_with_attrs
from ..formats.times import parse_utc as _time

RULE, TOOL, VERSION = "TH-CLOUD-ADDRESS-CHAIN", "address-chain", "1"
SIGNIN_RULES = ("TH-SIGNIN-NEW-ADDRESS", "TH-SIGNIN-ANOMALY", "TH-SIGNIN-PASSWORD-SPRAY")
MAX_ACCOUNTS = 10
MAX_REFS = 200
WINDOW = timedelta(hours=24)
# over store.events_with_attrs(con, ["client_ip"]): a bulk-loaded row's address is a typed
# column, not read out of an attrs JSON built for it
SIGNINS = f"""
SELECT time, lower(actor_id) AS actor, _attrs[1] AS ip, sha256, locator
FROM ({{events}}) WHERE ({IS_SIGNIN}) AND outcome = 'success' AND actor_id IS NOT NULL
  AND _attrs[1] IS NOT NULL
ORDER BY time, sha256, locator
"""


def addresses_of(finding: Finding) -> set[str]:
    """The address keys a finding names (details ip / client_ip / ips, a spray's actor)."""
    details = finding.details or {}
    values: list[Any] = [details.get("ip"), details.get("client_ip")]
    values += list(details.get("ips") or [])
    if finding.rule == "TH-SIGNIN-PASSWORD-SPRAY":
        values.append(finding.actor)
    return {address_key(str(v)) for v in values if v}


def address_chains(findings: Sequence[Finding], store: Any, engine_version: str = ""
                   ) -> list[Finding]:
    anchors: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.rule in SIGNIN_RULES:
            for key in addresses_of(f):
                anchors[key].append(f)
    if not anchors or store is None:
        return []
    signins: dict[str, list[dict[str, Any]]] = defaultdict(list)
    cursor = store.con.execute(SIGNINS.format(events=events_with_attrs(store.con,
                                                                       ["client_ip"])))
    names = [c[0] for c in cursor.description]
    for values in cursor.fetchall():
        row = dict(zip(names, values))
        key = address_key(row["ip"])
        if key in anchors:
            signins[key].append(row)
    chains = []
    for key in sorted(anchors):
        chain = _chain(key, anchors[key], signins.get(key, []), findings, engine_version)
        if chain is not None:
            chains.append(chain)
    return chains


def _chain(key: str, anchors: list[Finding], signins: list[dict[str, Any]],
           findings: Sequence[Finding], engine_version: str) -> Finding | None:
    spans: dict[str, list[str]] = {}
    for row in signins:
        span = spans.setdefault(row["actor"], [row["time"], row["time"]])
        span[1] = row["time"]
    if not spans or len(spans) > MAX_ACCOUNTS:
        return None
    followed = sorted((f for f in findings if f.rule not in SIGNIN_RULES and f.rule != RULE
                       and SEVERITY_RANK[f.severity] > SEVERITY_RANK["low"] and f.time
                       and _follows(f, key, spans)), key=Finding.sort_key)   # first and last below
    if not followed and len(spans) < 2:
        return None
    accounts = sorted(spans, key=lambda a: (spans[a][0], a))
    ip = signins[0]["ip"]
    where = ip if key == ip else f"{ip} (network {key})"
    joined = _and([f"{a} (first at {spans[a][0]})" for a in accounts])
    statement = f"Address {where} signed in to {joined}"
    if followed:
        kinds = Counter(f"{f.category} ({f.rule})" for f in followed)
        listed = _and([f"{n} {kind}" for kind, n in sorted(kinds.items())])
        when = (f"at {followed[0].time}" if followed[0].time == followed[-1].time
                else f"from {followed[0].time} to {followed[-1].time}")
        statement += (f"; from it, or from these accounts after they signed in from it, "
                      f"followed {listed}, {when}")
    severity = max((f.severity for f in followed), key=SEVERITY_RANK.__getitem__,
                   default="low")
    refs = tuple(EvidenceRef(r["sha256"], r["locator"]) for r in signins)[:MAX_REFS]
    tied = sorted({f.id for f in anchors} | {f.id for f in followed})
    return Finding(
        rule=RULE, tool=TOOL, category="anomalous-signin", severity=severity,
        title=f"Address {ip}: sign-ins to {len(accounts)} account(s) and what followed",
        statement=statement + ".", refs=refs, time=signins[0]["time"], actor=ip,
        target=", ".join(accounts), techniques=("T1078.004",), engine_version=engine_version,
        details={"address": key, "accounts": accounts, "findings": tied,
                 "followed": sorted({f.rule for f in followed}),
                 "signins": len(signins)})


def _follows(finding: Finding, key: str, spans: dict[str, list[str]]) -> bool:
    if key in addresses_of(finding):
        start = min(span[0] for span in spans.values())
        end = max(_time(span[1]) for span in spans.values()) + WINDOW
        return start <= finding.time and _time(finding.time) <= end
    actor = (finding.actor or "").lower()
    span = spans.get(actor)
    if span is None:
        return False
    return span[0] <= finding.time and _time(finding.time) <= _time(span[1]) + WINDOW


def _and(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
