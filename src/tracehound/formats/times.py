"""Times as every parser family writes them: UTC ISO 8601 with `Z`, or None.

`utc_time` reads the spellings exports use (ISO 8601 with or without a zone, US-locale
`M/D/YYYY h:mm[:ss] AM`). It takes a zone-less time as UTC: right for exports whose
documentation says so (the unified audit log). Agent session logs say no such thing, so
their parsers use `zoned_time`, which keeps a zone-less time null unless the user named the
zone (`--tz`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

ISO_TIME = (r"^[ \t\r\n]*(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2}):(\d{2})"
            r"(?:[.,](\d{1,9}))?[ \t\r\n]*(Z|z|[+-]\d{2}:?\d{2})?[ \t\r\n]*$")
US_TIME = (r"^[ \t\r\n]*(\d{1,2})/(\d{1,2})/(\d{4})[ \t]+(\d{1,2}):(\d{2})(?::(\d{2}))?"
           r"(?:[.](\d{1,9}))?[ \t]*([AaPp][Mm])?[ \t\r\n]*$")
_ISO = re.compile(ISO_TIME)
_US = re.compile(US_TIME)


def utc_time(value: Any) -> str | None:
    """UTC ISO 8601 with Z (fraction only when non-zero), or None when unreadable."""
    if not isinstance(value, str):
        return None
    match = _ISO.match(value)
    if match:
        y, mo, d, h, mi, s, frac, zone = match.groups()
    else:
        match = _US.match(value)
        if not match:
            return None
        mo, d, y, h, mi, s, frac, half = match.groups()
        zone = None
        h = _hour24(h, half)
    stamp = _naive(y, mo, d, h, mi, s, frac)
    if stamp is None:
        return None
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "+" else 1
        digits = zone[1:].replace(":", "")
        try:
            stamp += sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        except OverflowError:
            return None
    if not 1 <= stamp.year <= 9999:
        return None
    return format_utc(stamp)


def _hour24(hour: str, half: str | None) -> str | None:
    """The hour of a 12-hour clock (`half` AM / PM) on the 24-hour clock; None if impossible."""
    if not half:
        return hour
    if not 1 <= int(hour) <= 12:
        return None
    return str(int(hour) % 12 + (12 if half.lower() == "pm" else 0))


def _naive(y: str, mo: str, d: str, h: str | None, mi: str, s: str | None,
           frac: str | None) -> datetime | None:
    """The naive datetime of matched fields, or None when they name no real moment."""
    if h is None:
        return None
    try:
        return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0),
                        int((frac or "").ljust(6, "0")[:6]))
    except ValueError:
        return None


def parse_utc(text: str) -> datetime:
    """A time this package wrote (`...Z`, see utc_time) back as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def format_utc(stamp: datetime) -> str:
    text = f"{stamp.year:04d}-" + stamp.strftime("%m-%dT%H:%M:%S")
    if stamp.microsecond:
        text += "." + f"{stamp.microsecond:06d}".rstrip("0")
    return text + "Z"


def has_zone(value: str) -> bool:
    """True when an ISO text time names its zone (`Z` or an offset)."""
    match = _ISO.match(value)
    return bool(match and match.group(8))


def zoned_time(value: Any, tz: str | None = None) -> tuple[str | None, bool]:
    """(UTC ISO time or None, True when the text carried no zone).

    A time that names its zone is converted; one that does not is read in `tz` (an IANA
    name such as `Europe/Berlin`, from `--tz`) and stays None without it: a log's local
    time is never taken as UTC. The caller reports one parse issue per file for zone-less
    times it could not place.
    """
    if not isinstance(value, str):
        return None, False
    match = _ISO.match(value)
    if match is None or match.group(8):
        return utc_time(value), False
    if not tz:
        return None, True
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    y, mo, d, h, mi, s, frac, _ = match.groups()
    try:
        local = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s),
                         int((frac or "").ljust(6, "0")[:6]), tzinfo=ZoneInfo(tz))
        stamp = local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    except (ValueError, ZoneInfoNotFoundError, OverflowError):
        return None, True
    return format_utc(stamp), True


# --- exports that write dates the way a locale does (Log Analytics CSV, portal exports) -----

SLASHED_TIME = (r"^[ \t]*(\d{1,2})[/.](\d{1,2})[/.](\d{4}),?[ \tT]+(\d{1,2}):(\d{2})(?::(\d{2}))?"
                r"(?:[.,](\d{1,9}))?[ \t]*([AaPp][Mm])?[ \t]*$")
_SLASHED = re.compile(SLASHED_TIME)
DAY_FIRST, MONTH_FIRST, MIXED = "day-first", "month-first", "mixed"


def slashed_fields(value: Any) -> tuple[int, int] | None:
    """The first two numbers of a `21/04/2025, 09:45:54` style time, or None for other text."""
    match = _SLASHED.match(value) if isinstance(value, str) else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def date_order(values: Any) -> str | None:
    """DAY_FIRST or MONTH_FIRST when some value's first or second number is above 12 (and none
    says the opposite), MIXED when values say both, None when no value decides."""
    seen = set()
    for value in values:
        fields = slashed_fields(value)
        if fields is None:
            continue
        if fields[0] > 12:
            seen.add(DAY_FIRST)
        elif fields[1] > 12:
            seen.add(MONTH_FIRST)
    if len(seen) > 1:
        return MIXED
    return next(iter(seen), None)


def needs_order(value: Any) -> bool:
    """True for a slashed time whose day and month could be read either way (`03/04/2025`)."""
    fields = slashed_fields(value)
    return fields is not None and fields[0] <= 12 and fields[1] <= 12 and fields[0] != fields[1]


def naive_time(value: Any, order: str | None) -> datetime | None:
    """A time that names no zone as a naive datetime: ISO 8601 without zone, or a slashed date
    read in `order` (needed only when the date could be read either way); None otherwise."""
    if not isinstance(value, str):
        return None
    match = _ISO.match(value)
    if match:
        if match.group(8):
            return None
        y, mo, d, h, mi, s, frac, _ = match.groups()
    else:
        match = _SLASHED.match(value)
        if not match:
            return None
        first, second, y, h, mi, s, frac, half = match.groups()
        if order not in (DAY_FIRST, MONTH_FIRST) and needs_order(value):
            return None
        d, mo = (first, second) if order == DAY_FIRST or int(first) > 12 else (second, first)
        h = _hour24(h, half)
    return _naive(y, mo, d, h, mi, s, frac)


def place_time(stamp: datetime, zone: str | None) -> str | None:
    """A naive time read in `zone` (`UTC`, an offset `+02:00`, or an IANA name) as UTC ISO."""
    if not zone:
        return None
    if zone.upper() in ("UTC", "Z", "GMT"):
        return format_utc(stamp)
    offset = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?", zone.strip(), re.IGNORECASE)
    try:
        if offset:
            sign = -1 if offset.group(1) == "+" else 1
            return format_utc(stamp + sign * timedelta(hours=int(offset.group(2)),
                                                       minutes=int(offset.group(3) or 0)))
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            local = stamp.replace(tzinfo=ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            return None
        return format_utc(local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None))
    except (OverflowError, ValueError):
        return None
