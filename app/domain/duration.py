"""Go-style durations (`30s`, `2m`, `1h30m`, `1.5h`, `250ms`) as Kuberhealthy users write them."""

from __future__ import annotations

import math
import re
from datetime import timedelta

from app.errors import InvalidInput

_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_TERM = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
# Go's Duration is an int64 count of nanoseconds: at most about 292 years either way.
_GO_MAX_SECONDS = (2**63 - 1) / 1e9


def parse_duration(text: str, *, field: str = "duration") -> timedelta:
    """Parse a Go duration string; reject anything Go's time.ParseDuration would reject."""
    raw = text.strip()
    sign = 1.0
    if raw[:1] in ("+", "-"):
        sign = -1.0 if raw[0] == "-" else 1.0
        raw = raw[1:]
    if raw == "0":
        return timedelta(0)
    position, seconds = 0, 0.0
    while position < len(raw):
        match = _TERM.match(raw, position)
        if match is None:
            break
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if not raw or position != len(raw):
        raise InvalidInput(
            f"invalid duration {_quoted(text)}: use Go duration syntax such as 30s, 2m or 1h30m",
            field=field,
        )
    if not math.isfinite(seconds) or seconds > _GO_MAX_SECONDS:
        raise InvalidInput(
            f"invalid duration {_quoted(text)}: longer than Go's maximum of about 292 years",
            field=field,
        )
    return timedelta(seconds=sign * seconds)


def _quoted(text: str, limit: int = 40) -> str:
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


def format_duration(value: timedelta) -> str:
    """Render like Go's Duration.String() for whole and fractional seconds (`1h30m0s`, `22.5s`)."""
    total = value.total_seconds()
    if total == 0:
        return "0s"
    sign = "-" if total < 0 else ""
    total = abs(total)
    if total < 1:
        return f"{sign}{_trim(total * 1000)}ms"
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    text = ""
    if hours:
        text += f"{int(hours)}h"
    if hours or minutes:
        text += f"{int(minutes)}m"
    return f"{sign}{text}{_trim(seconds)}s"


def _trim(number: float) -> str:
    return f"{number:.9f}".rstrip("0").rstrip(".")
