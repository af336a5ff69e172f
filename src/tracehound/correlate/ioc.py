"""Cross-export IOC correlation: indicators seen in two or more different evidence files.

Indicators are read from the normalized events in the case store (typed columns and the
documented attrs keys of docs/events*.md), normalized (IP ports and IPv6 brackets stripped,
case folded, role names pulled out of ARNs), and kept only when they occur in at least two
files. Access key ids are matched on their full value but only ever shown redacted.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Sequence

from ..model import EvidenceFile
from ..store import events_with_attrs

MAX_SIGHTINGS = 100


def _attr(key: str) -> str:
    return f"json_extract_string(attrs, '$.{key}')"


# (indicator type, SQL expression over one events row). Data, not code paths.
SOURCES: tuple[tuple[str, str], ...] = tuple(
    [("ip", _attr(k)) for k in ("client_ip", "source_ip", "dest_ip", "caller_ip", "src_ip",
                                "ip_address", "ip")]
    + [("host", _attr(k)) for k in ("dest_host", "host")]
    + [("host", f"regexp_extract({_attr('url')}, '^[A-Za-z][A-Za-z0-9+.-]*://([^/:?#]+)', 1)"),
       ("url", _attr("url"))]
    + [("hash", _attr(k)) for k in ("prompt_hash", "file_hash", "sha256", "md5")]
    + [("bucket", _attr(k)) for k in ("bucket", "arguments.Bucket", "arguments.bucket",
                                      "request_parameters.bucketName")]
    + [("bucket", "regexp_extract(target_id, '^(?:arn:aws:s3:::|s3://)([^/]+)', 1)")]
    + [("object", _attr(k)) for k in ("object_key", "arguments.Key", "arguments.key",
                                      "request_parameters.key")]
    + [("object", "regexp_extract(target_id, '^(?:arn:aws:s3:::|s3://)[^/]+/(.+)$', 1)")]
    + [("principal", "actor_id"), ("principal", "approver")]
    + [("principal", _attr(k)) for k in ("principal", "principal_arn", "credential",
                                         "role_name")]
    + [("principal", f"regexp_extract({_attr(k)}, '(?:assumed-role|:role)/([^/]+)', 1)")
       for k in ("principal", "principal_arn", "credential")]
    + [("principal", "regexp_extract(actor_id, '(?:assumed-role|:role)/([^/]+)', 1)")]
    + [("session", "session"), ("session", _attr("session_name"))]
    + [("access_key", _attr("access_key_id"))]
)

_NORMALIZE = """
CASE
  WHEN type = 'ip' THEN regexp_replace(regexp_replace(lower(trim(value)),
       '^\\[([0-9a-f:.]+)\\](:[0-9]+)?$', '\\1'), '^([0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+):[0-9]+$', '\\1')
  WHEN type IN ('access_key', 'object', 'url') THEN trim(value)
  ELSE lower(trim(value))
END
"""


def _attr_keys() -> list[str]:
    """Every attrs key SOURCES reads, each once, in first-use order."""
    keys: list[str] = []
    for _, expr in SOURCES:
        for key in re.findall(r"json_extract_string\(attrs, '\$\.([^']+)'\)", expr):
            if key not in keys:
                keys.append(key)
    return keys


def _candidates_sql(con: Any) -> str:
    """(type, value, sha256, locator) of every indicator in the case, as `norm`. One scan:
    the attrs keys come as one list a row (typed columns of a bulk-loaded source, else one
    parse of the row's attrs JSON), the (type, value) pairs of a row are unnested from two
    parallel lists, and the result is materialized once for the queries that read it twice."""
    keys = _attr_keys()
    values = []
    for _, expr in SOURCES:
        for position, key in enumerate(keys, start=1):
            expr = expr.replace(f"json_extract_string(attrs, '$.{key}')", f"_attrs[{position}]")
        values.append(f"CAST({expr} AS VARCHAR)")
    kinds = ", ".join(f"'{kind}'" for kind, _ in SOURCES)
    return (f"WITH parsed AS (SELECT sha256, locator, actor_id, approver, session, target_id, "
            f"_attrs FROM ({events_with_attrs(con, keys)})), "
            f"raw AS (SELECT unnest([{kinds}]) AS type, unnest([{', '.join(values)}]) AS value, "
            f"sha256, locator FROM parsed), "
            f"norm AS MATERIALIZED (SELECT type, {_NORMALIZE} AS value, sha256, locator FROM raw "
            "WHERE value IS NOT NULL AND trim(value) <> '' AND NOT contains(value, '*')) ")


def redact_key(value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:12]
    return f"{value[:4]}…{value[-4:]} (sha256:{digest})" if len(value) > 8 else f"… (sha256:{digest})"


def correlate_iocs(store: Any, evidence: Sequence[EvidenceFile]) -> list[dict[str, Any]]:
    """IOCs present in >= 2 distinct evidence files, with every sighting's ref (capped)."""
    if len({e.sha256 for e in evidence}) < 2:
        return []
    paths = {e.sha256: e.path for e in evidence}
    # Which (type, value) pairs occur in two or more files is settled without the locators
    # (a small aggregate); only the sightings of those pairs are then deduplicated, counted
    # and cut to the first MAX_SIGHTINGS by (sha256, locator).
    sql = _candidates_sql(store.con) + """
    , shared AS (SELECT type, value, count(DISTINCT sha256) AS files FROM norm
                 GROUP BY type, value HAVING count(DISTINCT sha256) >= 2)
    , seen AS (SELECT DISTINCT type, value, sha256, locator
               FROM norm SEMI JOIN shared USING (type, value))
    SELECT s.type, s.value, shared.files, count(*) AS total,
           min({'sha256': s.sha256, 'locator': s.locator}, ?) AS first
    FROM seen s JOIN shared USING (type, value)
    GROUP BY s.type, s.value, shared.files
    """
    out: dict[tuple[str, str], dict[str, Any]] = {}
    rows = store.con.execute(sql, [MAX_SIGHTINGS]).fetchall()
    for kind, value, files, total, first in rows:
        shown = redact_key(value) if kind == "access_key" else value
        out[(kind, value)] = {
            "type": kind, "value": shown, "files": files, "sighting_count": total,
            "sightings": [{"path": paths.get(r["sha256"]), "sha256": r["sha256"],
                           "locator": r["locator"]} for r in first]}
    return [out[key] for key in sorted(out)]
