"""Reading checker settings from environment variables, with errors that name the variable."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

_TRUE = frozenset({"1", "t", "true", "y", "yes", "on"})
_FALSE = frozenset({"0", "f", "false", "n", "no", "off"})
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_TERM = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


class ConfigError(ValueError):
    """A checker setting is missing or malformed; the message names the variable."""


def read_str(environ: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = environ.get(name, "").strip()
    if value:
        return value
    if default is None:
        raise ConfigError(f"{name} is not set")
    return default


def read_optional_str(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def read_int(
    environ: Mapping[str, str],
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={value} is below the minimum of {minimum}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name}={value} is above the maximum of {maximum}")
    return value


def read_bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true or false)")


def read_duration(environ: Mapping[str, str], name: str, default: timedelta) -> timedelta:
    """A bare number means seconds; otherwise Go duration syntax such as `500ms`, `5s`, `1m30s`."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    seconds = parse_duration_seconds(raw)
    if seconds is None:
        raise ConfigError(
            f"{name}={raw!r} is not a duration (use seconds or Go syntax such as 5s, 1m30s)"
        )
    return timedelta(seconds=seconds)


def parse_duration_seconds(text: str) -> float | None:
    """Non-negative seconds from `12`, `1.5`, `250ms` or `1h30m`; None when the text is not one."""
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        return number if number >= 0 and number != float("inf") else None
    position, seconds = 0, 0.0
    while position < len(text):
        match = _DURATION_TERM.match(text, position)
        if match is None:
            return None
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    return seconds if text else None


def read_deadline(environ: Mapping[str, str]) -> float | None:
    """KH_CHECK_RUN_DEADLINE as unix seconds, or None when the run has no deadline."""
    raw = environ.get("KH_CHECK_RUN_DEADLINE", "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"KH_CHECK_RUN_DEADLINE={raw!r} is not unix seconds") from None
