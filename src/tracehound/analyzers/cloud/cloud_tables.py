"""Working tables the cloud tools share, built once per case store.

Reading a key out of the attrs JSON costs a parse per row, so every attrs key that several tools
group, filter or show is read once, with one parse per event, into temporary tables of the
case's DuckDB connection; the tools query these instead of the JSON:
- `th_cloud`: every cloud event (sources in CLOUD_SOURCES) with its typed columns plus workload,
  client IP, service, resource and the MFA-change keys, and its attrs when it is a UAL record
  of an operation a detection reads (`DETECTION_OPS` of m365_detections);
- `th_ual_all` (view): the `m365:ual` rows of th_cloud, in the columns the M365 tools use;
- `th_ual` (view): what the detections query: those operations, without tenant provisioning by
  NT AUTHORITY\\SYSTEM (Microsoft setting up the tenant, not an attack);
- `th_signins`: every sign-in (Entra, Microsoft account, UAL UserLoggedIn / UserLoginFailed),
  from th_cloud, with its application (attrs `app_id`, else `client_app_id`), a failure with
  its class from data/signin_errors.yaml (`error_class`: interrupt, credential, blocked,
  other; by attrs `error_code` first, then by `failure_reason`); `th_failures` (view): the
  failures that are not interrupts (an MFA or keep-me-signed-in prompt refuses nobody).
Temporary tables live as long as the connection, i.e. one analysis.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import yaml

from ...store import events_with_attrs
from .sql import sql_list

CLOUD_SOURCES = ("m365:", "entra:", "msa:", "oauth:", "mcas:", "saas:", "aws:", "azure:")
IS_CLOUD = " OR ".join(f"starts_with(source, '{p}')" for p in CLOUD_SOURCES)
# (the range around the two UAL operations is the same test: DuckDB pushes a range into the
# bulk-loaded table's scan, which then reads raw records for those rows only; an IN list it
# checks only after reading every row)
IS_SIGNIN = ("time IS NOT NULL AND (source = 'entra:signin' "
             "OR (source = 'msa:activity' AND action_class = 'authentication') "
             "OR (source = 'm365:ual' AND action BETWEEN 'UserLoggedIn' AND 'UserLoginFailed' "
             "AND action IN ('UserLoggedIn', 'UserLoginFailed')))")
# attrs keys read into th_cloud, in the order of the `v` list below; the sign-in keys are read
# (as one list, `s`) for sign-ins only: a bulk-loaded row keeps some of them only in its raw
# record, so reading them for every row would parse every raw record again
CLOUD_KEYS = ("workload", "client_ip", "service", "event_source", "resource", "mfa_change",
              "mfa_method", "target_user", "site_url")
SIGNIN_KEYS = ("country", "asn", "user_agent", "client_app", "legacy_auth", "error_code",
               "failure_reason", "app_id", "client_app_id")

CLOUD = f"""
CREATE TEMP TABLE IF NOT EXISTS th_cloud AS
SELECT sha256, locator, time, source, actor_id AS actor, actor_kind, action, action_class,
  outcome, target_id AS target, target_type, session, v[1] AS workload, v[2] AS client_ip,
  coalesce(v[3], v[1], v[4], split_part(source, ':', 1)) AS service,
  coalesce(target_id, v[5]) AS resource,
  coalesce(TRY_CAST(v[6] AS BOOLEAN), false) AS mfa_change, v[7] AS mfa_method,
  v[8] AS target_user, v[9] AS site_url, si.s, x.a
FROM (SELECT *, _attrs AS v FROM ({{events}}) WHERE {IS_CLOUD})
LEFT JOIN (SELECT sha256, locator, source, action, _attrs AS s FROM ({{signin_events}})
           WHERE {IS_SIGNIN}) si USING (sha256, locator, source, action)
LEFT JOIN (SELECT sha256, locator, attrs AS a FROM events
           WHERE source = 'm365:ual' AND action IN {{ops}}) x USING (sha256, locator)
"""
UAL_VIEWS = r"""
CREATE OR REPLACE TEMP VIEW th_ual_all AS
SELECT sha256, locator, time, actor, actor_kind, target, target_type, session,
  action AS operation, action_class, outcome, workload, client_ip, site_url, a
FROM th_cloud WHERE source = 'm365:ual';
CREATE OR REPLACE TEMP VIEW th_ual AS
SELECT sha256, locator, time, actor, target, session, operation, outcome, workload, client_ip,
  a->'$.parameters' AS p, a
FROM th_ual_all
WHERE a IS NOT NULL AND NOT starts_with(coalesce(actor, ''), 'nt authority\');
"""
SIGNIN_ERRORS = Path(__file__).parent / "data" / "signin_errors.yaml"


@lru_cache(maxsize=1)
def signin_error_classes() -> dict[str, dict[str, frozenset]]:
    """{class: {"codes": error numbers, "names": UAL LogonError names}} from the data table."""
    table = yaml.safe_load(SIGNIN_ERRORS.read_text(encoding="utf-8"))
    return {name: {"codes": frozenset(int(c) for c in spec.get("codes") or ()),
                   "names": frozenset(str(n).lower() for n in spec.get("names") or ())}
            for name, spec in table.items()}


def error_class_sql() -> str:
    """SQL: the class of a failed sign-in (`error_code`, `failure_reason` columns): by its
    error number when the table lists it, else by its name (a UAL LogonError), else 'other'.
    A record whose number and name disagree is classed by the number."""
    classes = signin_error_classes()
    by_code = [f"WHEN error_code IN ({', '.join(str(c) for c in sorted(spec['codes']))}) "
               f"THEN '{name}'" for name, spec in classes.items() if spec["codes"]]
    by_name = [f"WHEN lower(failure_reason) IN {sql_list(sorted(spec['names']))} THEN '{name}'"
               for name, spec in classes.items() if spec["names"]]
    return "CASE " + " ".join(by_code + by_name) + " ELSE 'other' END"


SIGNINS = """
CREATE TEMP TABLE IF NOT EXISTS th_signins AS
SELECT *, CASE WHEN outcome = 'failure' THEN {classes} END AS error_class FROM (
SELECT sha256, locator, time, coalesce(actor, '(account)') AS actor, source, outcome,
  client_ip AS ip, s[1] AS country, TRY_CAST(s[2] AS BIGINT) AS asn, s[3] AS agent,
  s[4] AS client_app, coalesce(TRY_CAST(s[5] AS BOOLEAN), false) AS legacy,
  TRY_CAST(s[6] AS BIGINT) AS error_code, s[7] AS failure_reason,
  lower(coalesce(nullif(s[8], ''), nullif(s[9], ''))) AS app_id
FROM th_cloud WHERE s IS NOT NULL);
CREATE OR REPLACE TEMP VIEW th_failures AS
SELECT * FROM th_signins WHERE outcome = 'failure' AND error_class <> 'interrupt';
"""


def ensure_cloud(con: Any, detection_ops: Iterable[str]) -> None:
    con.execute(CLOUD.format(ops=sql_list(sorted(set(detection_ops))),
                             events=events_with_attrs(con, CLOUD_KEYS),
                             signin_events=events_with_attrs(con, SIGNIN_KEYS)))


def ensure_ual(con: Any, detection_ops: Iterable[str]) -> None:
    ensure_cloud(con, detection_ops)
    con.execute(UAL_VIEWS)


def ensure_signins(con: Any, detection_ops: Iterable[str]) -> None:
    ensure_cloud(con, detection_ops)
    con.execute(SIGNINS.format(classes=error_class_sql()))
