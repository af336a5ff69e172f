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
        s = s or "0"
        zone = None
        if half:
            if not 1 <= int(h) <= 12:
                return None
            h = str(int(h) % 12 + (12 if half.lower() == "pm" else 0))
    try:
        stamp = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s),
                         int((frac or "").ljust(6, "0")[:6]))
    except ValueError:
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
