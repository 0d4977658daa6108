"""Checking the values a user gives a template's settings; each error names its setting."""

from __future__ import annotations

import ipaddress
import math
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import NoReturn

from app.domain.catalog.model import CheckTemplate, Setting, SettingKind
from app.domain.duration import format_duration, parse_duration
from app.errors import InvalidInput

# Far above any real setting; it bounds what every run's pod carries.
MAX_VALUE_LENGTH = 4096
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?"
    r"(\.[A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?)*\.?$"
)
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
# What Go's strconv.ParseFloat and Python both read the same way (no `_`, `inf`, `nan`).
_DECIMAL = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_TRUE = frozenset({"1", "t", "true", "y", "yes", "on"})
_FALSE = frozenset({"0", "f", "false", "n", "no", "off"})


@dataclass(frozen=True)
class SettingValue:
    name: str
    value: str


def setting_field(name: str) -> str:
    """The field path an error about a setting names, as a form keys its inputs."""
    return f"settings.{name}"


def resolve_settings(template: CheckTemplate, given: Sequence[SettingValue]) -> dict[str, str]:
    """Every variable to set, in the template's order: given values (normalized), else defaults.
    A setting left empty with no default is not set at all."""
    values: dict[str, str] = {}
    for item in given:
        if template.setting(item.name) is None:
            known = ", ".join(setting.name for setting in template.settings)
            raise InvalidInput(
                f"{setting_field(item.name)[:90]}: template {template.id!r} has no setting "
                f"{item.name[:80]!r} (it has {known})",
                field=setting_field(item.name),
            )
        if item.name in values:
            raise InvalidInput(
                f"{setting_field(item.name)}: given more than once", field=setting_field(item.name)
            )
        values[item.name] = item.value
    resolved: dict[str, str] = {}
    for setting in template.settings:
        raw = values.get(setting.name, setting.default)
        if raw is None or not raw.strip():
            if setting.required:
                raise InvalidInput(
                    f"{setting_field(setting.name)}: required ({setting.label})",
                    field=setting_field(setting.name),
                )
            continue
        resolved[setting.name] = normalized_value(setting, raw)
    return resolved


def normalized_value(setting: Setting, raw: str) -> str:
    """The value as the checker should read it, or InvalidInput naming the setting."""
    text = raw.strip()
    if len(text) > MAX_VALUE_LENGTH:
        _refuse(setting, f"{len(text)} characters; at most {MAX_VALUE_LENGTH}")
    if "\x00" in text:
        _refuse(setting, "must not contain NUL characters")
    match setting.kind:
        case SettingKind.STRING:
            return text
        case SettingKind.URL:
            return _url(setting, text)
        case SettingKind.HOST:
            return _host(setting, text)
        case SettingKind.ADDRESS:
            return _address(setting, text)
        case SettingKind.PORT:
            return str(_integer(setting, text, minimum=1, maximum=65535))
        case SettingKind.INT:
            return str(_integer(setting, text, minimum=setting.minimum, maximum=setting.maximum))
        case SettingKind.NUMBER:
            return _number(setting, text)
        case SettingKind.DURATION:
            return _duration(setting, text)
        case SettingKind.BOOL:
            return _bool(setting, text)
        case SettingKind.ENUM:
            return _choice(setting, text)


def _refuse(setting: Setting, problem: str) -> NoReturn:
    field = setting_field(setting.name)
    raise InvalidInput(f"{field}: {problem}", field=field)


def _url(setting: Setting, text: str) -> str:
    try:
        parts = urllib.parse.urlsplit(text)
        valid = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError:
        valid = False
    if not valid or any(character.isspace() for character in text):
        _refuse(setting, f"{text[:80]!r} is not an http:// or https:// URL with a host")
    return text


def _host(setting: Setting, text: str) -> str:
    if not _is_host(text):
        _refuse(setting, f"{text[:80]!r} is not a host name or an IP address")
    return text


def _is_host(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return bool(_HOSTNAME.match(text))
    return True


def _address(setting: Setting, text: str) -> str:
    """host:port; when the setting lists schemes in `choices`, prefixed by one as scheme://."""
    scheme, separator, address = text.partition("://")
    if setting.choices and (not separator or scheme.lower() not in setting.choices):
        schemes = " or ".join(f"{choice}://" for choice in setting.choices)
        _refuse(setting, f"{text[:80]!r} must start with {schemes}")
    if not setting.choices:
        address = text
    host, port = None, None
    try:
        parts = urllib.parse.urlsplit(f"//{address}")
        host, port = parts.hostname, parts.port
        extra = bool(parts.path or parts.query or parts.fragment or parts.username)
    except ValueError:
        extra = True
    if not host or not port or extra or not _is_host(host):
        _refuse(setting, f"{text[:80]!r} is not host:port (port 1-65535)")
    return text


def _integer(setting: Setting, text: str, *, minimum: float | None, maximum: float | None) -> int:
    if not _INTEGER.match(text):
        _refuse(setting, f"{text[:40]!r} is not a whole number")
    value = int(text)
    if minimum is not None and value < minimum:
        _refuse(setting, f"{value} is below the minimum of {minimum:g}")
    if maximum is not None and value > maximum:
        _refuse(setting, f"{value} is above the maximum of {maximum:g}")
    return value


def _number(setting: Setting, text: str) -> str:
    if not _DECIMAL.match(text) or not math.isfinite(value := float(text)):
        _refuse(setting, f"{text[:40]!r} is not a number")
    if setting.minimum is not None and value < setting.minimum:
        _refuse(setting, f"{value:g} is below the minimum of {setting.minimum:g}")
    if setting.maximum is not None and value > setting.maximum:
        _refuse(setting, f"{value:g} is above the maximum of {setting.maximum:g}")
    return text


def _duration(setting: Setting, text: str) -> str:
    if not text.isascii():  # Python reads other scripts' digits; the checker would not
        _refuse(setting, f"{text[:40]!r} is not a duration: use Go syntax such as 30s or 1m30s")
    try:
        value = parse_duration(text, field=setting_field(setting.name))
    except InvalidInput as error:
        _refuse(setting, error.message)
    if value < timedelta(0):
        _refuse(setting, f"must not be negative, got {format_duration(value)}")
    return text


def _bool(setting: Setting, text: str) -> str:
    lowered = text.lower()
    if lowered in _TRUE:
        return "true"
    if lowered in _FALSE:
        return "false"
    _refuse(setting, f"{text[:40]!r} is not a boolean (use true or false)")


def _choice(setting: Setting, text: str) -> str:
    if text not in setting.choices:
        _refuse(setting, f"{text[:40]!r} is not one of {', '.join(setting.choices)}")
    return text
