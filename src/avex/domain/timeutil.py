"""Time inside avex is an integer count of microseconds since the Unix epoch (UTC).

Inputs are RFC 3339 with a zone (PROTOCOL.md §2.1), compared at full microsecond precision; outputs are
UTC with milliseconds, truncated: ``2026-11-25T12:00:00.123Z``.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US_PER_S = 1_000_000


class TimestampError(ValueError):
    """Text that is not an RFC 3339 timestamp with a zone."""


def parse_rfc3339(text: str) -> int:
    """Parse RFC 3339 text into epoch microseconds; fractions beyond 6 digits are truncated."""
    m = _RFC3339.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise TimestampError(f"not an RFC 3339 timestamp: {text!r}")
    year, month, day, hour, minute, second, frac, zone = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    if zone in ("Z", "z"):
        offset = timedelta(0)
    else:
        sign = 1 if zone[0] == "+" else -1
        zh, zm = int(zone[1:3]), int(zone[4:6])
        if zh > 23 or zm > 59:
            raise TimestampError(f"bad zone offset: {text!r}")
        offset = sign * timedelta(hours=zh, minutes=zm)
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro)
    except ValueError as exc:
        raise TimestampError(f"not a valid date or time: {text!r}") from exc
    try:
        utc = (local - offset).replace(tzinfo=UTC)
    except OverflowError as exc:
        raise TimestampError(f"out of range: {text!r}") from exc
    delta = utc - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US_PER_S + delta.microseconds


def format_ms(us: int) -> str:
    """Epoch microseconds as RFC 3339 UTC with milliseconds (truncated)."""
    dt = _EPOCH + timedelta(microseconds=us - us % 1000)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def now_us() -> int:
    """The wall clock in epoch microseconds (only the driver and the gateway read it)."""
    return time.time_ns() // 1000
