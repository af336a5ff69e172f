"""Field normalizers for Microsoft cloud records, each in Python and as its SQL twin.

Time, client IP, user id / kind, result status and operation names arrive in several spellings
(docs/events-cloud.md). The Python functions serve the record-by-record parsers; the `*_sql`
functions return the same rule as a DuckDB expression for the bulk loader, so a 600 MB export
and a 6 KB one normalize alike. tests/formats/test_m365_fields.py checks every pair agrees.
Regular expressions are written in the subset Python `re` and DuckDB's RE2 share.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from ..times import ISO_TIME, US_TIME, format_utc, utc_time  # noqa: F401  (the twins' Python side)

SPACE = "[ \t\r\n]"
FAST_TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
_BRACKETED = re.compile(r"\[([^\]]*)\](?::\d+)?")
_V4_PORT = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3}):\d+")
_TRIM = re.compile(r"^[ \t\r\n]+|[ \t\r\n]+$")

SUCCESS_WORDS = ("success", "succeeded", "true", "partiallysucceeded")
FAILURE_WORDS = ("failed", "failure", "false")
# UAL UserType System, Application, ServicePrincipal, SystemPolicy; a number, or its digits as
# text (the bulk loader reads every value as text, so both paths take both)
SERVICE_USER_TYPES = ("4", "5", "6", "8")


def _trim(value: str) -> str:
    return _TRIM.sub("", value)


def _trim_sql(expr: str) -> str:
    """trim of the characters of SPACE from both ends; the first and last character are looked
    at first, since a trim with a character set costs four times that check and real values
    rarely need it."""
    space = "(' ', '\t', '\r', '\n')"
    return (f"CASE WHEN {expr}[1] IN {space} OR {expr}[-1] IN {space} "
            f"THEN trim({expr}, ' \t\r\n') ELSE {expr} END")


# --- time ---------------------------------------------------------------------------------
# utc_time / format_utc live in formats/times.py (every family reads times); their SQL twin
# is here, beside the other twins.

def utc_time_sql(expr: str) -> str:
    """DuckDB twin of utc_time over a VARCHAR expression.

    The spelling nearly every UAL record uses (`2023-09-20T04:05:03`, no zone) takes a fast
    path: when it names a real moment (strptime checks the calendar; Python's datetime refuses
    year 0 and second 60 too), the answer is the text itself plus Z. Anything else goes
    through the two patterns above.
    """
    return (f"CASE WHEN regexp_full_match({expr}, '{FAST_TIME}') "
            f"THEN CASE WHEN substr({expr}, 18, 2) < '60' AND NOT starts_with({expr}, '0000') "
            f"AND try_strptime({expr}, '%Y-%m-%dT%H:%M:%S') IS NOT NULL THEN {expr} || 'Z' END "
            f"ELSE th_utc_time_text({expr}) END")


TIME_MACRO = r"""
CREATE OR REPLACE TEMP MACRO th_stamp(y, mo, d, h, mi, s, f) AS
  CASE WHEN try_cast(y AS INT) BETWEEN 1 AND 9999 AND try_cast(mo AS INT) BETWEEN 1 AND 12
        AND try_cast(d AS INT) BETWEEN 1 AND 31 AND try_cast(h AS INT) BETWEEN 0 AND 23
        AND try_cast(mi AS INT) BETWEEN 0 AND 59 AND try_cast(s AS INT) BETWEEN 0 AND 59
  THEN try(make_timestamp(try_cast(y AS BIGINT), try_cast(mo AS BIGINT), try_cast(d AS BIGINT),
        try_cast(h AS BIGINT), try_cast(mi AS BIGINT), try_cast(s AS INT)
        + try_cast(substr(rpad(f, 6, '0'), 1, 6) AS INT) / 1000000.0)) END;
CREATE OR REPLACE TEMP MACRO th_us_hour(h, ap) AS
  CASE WHEN ap = '' THEN try_cast(h AS INT)
       WHEN try_cast(h AS INT) BETWEEN 1 AND 12
       THEN try_cast(h AS INT) % 12 + CASE WHEN lower(ap) = 'pm' THEN 12 ELSE 0 END
       ELSE -1 END;
CREATE OR REPLACE TEMP MACRO th_shift(ts, z) AS
  CASE WHEN z IN ('', 'Z', 'z') THEN ts
       ELSE ts + (CASE WHEN z[1] = '+' THEN -1 ELSE 1 END) *
            (to_hours(try_cast(substr(replace(z, ':', ''), 2, 2) AS INT))
             + to_minutes(try_cast(substr(replace(z, ':', ''), 4, 2) AS INT))) END;
CREATE OR REPLACE TEMP MACRO th_fmt(ts) AS
  CASE WHEN ts IS NULL OR year(ts) NOT BETWEEN 1 AND 9999 THEN NULL
       WHEN microsecond(ts) % 1000000 = 0 THEN strftime(ts, '%Y-%m-%dT%H:%M:%S') || 'Z'
       ELSE strftime(ts, '%Y-%m-%dT%H:%M:%S') || '.'
            || rtrim(lpad((microsecond(ts) % 1000000)::VARCHAR, 6, '0'), '0') || 'Z' END;
CREATE OR REPLACE TEMP MACRO th_utc_time(iso, us) AS
  CASE WHEN iso.y <> '' THEN
         th_fmt(th_shift(th_stamp(iso.y, iso.mo, iso.d, iso.h, iso.mi, iso.s, iso.f), iso.z))
       WHEN us.y <> '' THEN
         th_fmt(th_stamp(us.y, us.mo, us.d, th_us_hour(us.h, us.ap), us.mi,
                         coalesce(nullif(us.s, ''), '0'), us.f)) END;
CREATE OR REPLACE TEMP MACRO th_utc_time_text(v) AS
  list_transform([{'iso': regexp_extract(v, '""" + ISO_TIME + """', ['y','mo','d','h','mi','s','f','z']),
                   'us': regexp_extract(v, '""" + US_TIME + """', ['mo','d','y','h','mi','s','f','ap'])}],
                 lambda p: th_utc_time(p.iso, p.us))[1];
"""


# --- addresses, users, results, operations -------------------------------------------------

def client_ip(value: Any) -> str | None:
    """The address alone: port stripped, IPv6 brackets removed; None when empty."""
    if not isinstance(value, str):
        return None
    text = _trim(value)
    if not text:
        return None
    match = _BRACKETED.fullmatch(text)
    if match:
        return match.group(1) or None
    match = _V4_PORT.fullmatch(text)
    return match.group(1) if match else text


def client_ip_sql(expr: str) -> str:
    v = f"nullif({_trim_sql(expr)}, '')"
    return (f"CASE WHEN NOT contains({v}, ':') AND NOT contains({v}, '[') THEN {v} "
            f"WHEN regexp_full_match({v}, '{_BRACKETED.pattern}') "
            f"THEN nullif(regexp_extract({v}, '^\\[([^\\]]*)\\]', 1), '') "
            f"WHEN regexp_full_match({v}, '{_V4_PORT.pattern}') THEN split_part({v}, ':', 1) "
            f"ELSE {v} END")


def actor_id(user: Any) -> str | None:
    """One id per user whatever the export's casing: trimmed and lower-cased."""
    if not isinstance(user, str):
        return None
    return _trim(user).lower() or None


def actor_id_sql(expr: str) -> str:
    return f"nullif(lower({_trim_sql(expr)}), '')"


def actor_kind(user: Any, user_type: Any = None) -> str:
    """human | service-principal | unknown, from the id's shape and the UAL UserType."""
    ident = actor_id(user) or ""
    if ("nt authority\\" in ident or ident.startswith("serviceprincipal_")
            or ident == "app@sharepoint"
            or (type(user_type) in (int, str) and str(user_type) in SERVICE_USER_TYPES)):
        return "service-principal"
    return "human" if "@" in ident else "unknown"


def actor_kind_sql(user_expr: str, user_type_text: str) -> str:
    return actor_kind_of_id_sql(f"coalesce({actor_id_sql(user_expr)}, '')", user_type_text)


def actor_kind_of_id_sql(ident: str, user_type_text: str) -> str:
    """actor_kind_sql over the actor id (actor_id_sql's value, '' for none) already made."""
    types = ", ".join(f"'{t}'" for t in SERVICE_USER_TYPES)
    return (f"CASE WHEN contains({ident}, 'nt authority\\') "
            f"OR starts_with({ident}, 'serviceprincipal_') OR {ident} = 'app@sharepoint' "
            f"OR {user_type_text} IN ({types}) THEN 'service-principal' "
            f"WHEN contains({ident}, '@') THEN 'human' ELSE 'unknown' END")


def canonical_operation(value: Any) -> str:
    """Operation name without surrounding spaces and one trailing period."""
    if not isinstance(value, str):
        return ""
    text = _trim(value)
    return text[:-1] if text.endswith(".") else text


def canonical_operation_sql(expr: str) -> str:
    text = f"coalesce({_trim_sql(expr)}, '')"
    return f"CASE WHEN suffix({text}, '.') THEN left({text}, -1) ELSE {text} END"


def outcome(result_status: Any, operation: str = "") -> str | None:
    if operation == "UserLoginFailed":
        return "failure"
    if not isinstance(result_status, str):
        return None
    word = _trim(result_status).lower()
    if word in SUCCESS_WORDS:
        return "success"
    return "failure" if word in FAILURE_WORDS else None


def outcome_sql(status_expr: str, operation_expr: str) -> str:
    word = f"lower({_trim_sql(status_expr)})"
    return (f"CASE WHEN {operation_expr} = 'UserLoginFailed' THEN 'failure' "
            f"WHEN {word} IN {tuple(SUCCESS_WORDS)} THEN 'success' "
            f"WHEN {word} IN {tuple(FAILURE_WORDS)} THEN 'failure' END")


ERROR_NUMBER = "[0-9]{1,18}"
_ERROR_NUMBER = re.compile(ERROR_NUMBER)


def error_number(value: Any) -> int | None:
    """A sign-in's error number (UAL ErrorNumber: a JSON number, or its digits as text) as an
    integer; None when it is not one (a word, a fraction, a sign, more than 18 digits)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    text = _trim(str(value))
    return int(text) if _ERROR_NUMBER.fullmatch(text) else None


def error_number_sql(expr: str) -> str:
    """DuckDB twin of error_number over the value as text (json_extract_string)."""
    text = _trim_sql(expr)
    return (f"CASE WHEN regexp_full_match({text}, '{ERROR_NUMBER}') "
            f"THEN CAST({text} AS BIGINT) END")


# --- records -------------------------------------------------------------------------------

def pick(record: Mapping[str, Any], *names: str) -> Any:
    """The first present, non-empty value among `names` (PascalCase then camelCase spellings)."""
    for name in names:
        value = record.get(name)
        if value not in (None, ""):
            return value
    return None


def spellings(*pascal: str) -> tuple[str, ...]:
    """Each PascalCase key followed by its camelCase spelling (Graph)."""
    out: list[str] = []
    for name in pascal:
        out += [name, name[:1].lower() + name[1:]]
    return tuple(out)


def text_value(value: Any) -> str | None:
    """A property value as text: strings as they are, anything else as compact JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def name_value_map(items: Any, value_key: str = "Value") -> dict[str, Any]:
    """[{Name, Value}] -> {Name: Value}, matched by Name; a repeated Name keeps its first value."""
    out: dict[str, Any] = {}
    if not isinstance(items, list):
        return out
    for item in items:
        name = text_value(item.get("Name")) if isinstance(item, dict) else None
        if name is not None:
            out.setdefault(name, text_value(item.get(value_key)))
    return out


def modified_map(items: Any) -> dict[str, dict[str, Any]]:
    """[{Name, NewValue, OldValue}] -> {Name: {old, new}} (first of a repeated Name)."""
    out: dict[str, dict[str, Any]] = {}
    if not isinstance(items, list):
        return out
    for item in items:
        name = text_value(item.get("Name")) if isinstance(item, dict) else None
        if name is not None:
            out.setdefault(name, {"old": text_value(item.get("OldValue")),
                                  "new": text_value(item.get("NewValue"))})
    return out


def _first_by_name(list_expr: str) -> str:
    return (f"list_filter({list_expr}, lambda x, i: x.Name IS NOT NULL AND "
            f"list_position(list_transform({list_expr}, lambda y: y.Name), x.Name) = i)")


def name_value_map_sql(json_expr: str) -> str:
    items = f"from_json({json_expr}, '[{{\"Name\":\"VARCHAR\",\"Value\":\"VARCHAR\"}}]')"
    return (f"CASE WHEN json_type({json_expr}) = 'ARRAY' THEN to_json(map_from_entries("
            f"list_transform({_first_by_name(items)}, lambda x: (x.Name, x.Value)))) "
            f"ELSE '{{}}' END")


def modified_map_sql(json_expr: str) -> str:
    items = (f"from_json({json_expr}, "
             f"'[{{\"Name\":\"VARCHAR\",\"NewValue\":\"VARCHAR\",\"OldValue\":\"VARCHAR\"}}]')")
    return (f"CASE WHEN json_type({json_expr}) = 'ARRAY' THEN to_json(map_from_entries("
            f"list_transform({_first_by_name(items)}, lambda x: "
            f"(x.Name, {{'old': x.OldValue, 'new': x.NewValue}})))) ELSE '{{}}' END")
