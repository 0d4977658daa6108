"""A template's settings, checked kind by kind: every refusal names its setting."""

from __future__ import annotations

import pytest

from app.domain.catalog import CheckTemplate, Setting, SettingKind, TemplateCategory
from app.domain.catalog.values import SettingValue, normalized_value, resolve_settings
from app.errors import InvalidInput


def setting(kind: SettingKind, **fields: object) -> Setting:
    return Setting(name="VALUE", label="Value", kind=kind, help="", **fields)  # type: ignore[arg-type]


def template(*settings: Setting) -> CheckTemplate:
    return CheckTemplate(
        id="t",
        title="T",
        description="",
        category=TemplateCategory.PATROL,
        image="i:1",
        runs_on_local_cluster=True,
        run_interval="1m",
        timeout="30s",
        settings=settings,
    )


def refusal(kind: SettingKind, value: str, **fields: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as raised:
        normalized_value(setting(kind, **fields), value)
    assert raised.value.field == "settings.VALUE"
    assert raised.value.message.startswith("settings.VALUE: ")
    return raised.value


@pytest.mark.parametrize(
    ("kind", "fields", "value", "expected"),
    [
        (SettingKind.STRING, {}, "  a b  ", "a b"),
        (SettingKind.URL, {}, "https://example.com/x?y=1", "https://example.com/x?y=1"),
        (SettingKind.URL, {}, "http://127.0.0.1:8080/healthz", "http://127.0.0.1:8080/healthz"),
        (SettingKind.HOST, {}, "kubernetes.default", "kubernetes.default"),
        (SettingKind.HOST, {}, "2001:db8::1", "2001:db8::1"),
        (SettingKind.ADDRESS, {}, "db.internal:5432", "db.internal:5432"),
        (SettingKind.ADDRESS, {}, "[2001:db8::1]:443", "[2001:db8::1]:443"),
        (
            SettingKind.ADDRESS,
            {"choices": ("tcp", "udp")},
            "udp://10.0.0.1:53",
            "udp://10.0.0.1:53",
        ),
        (SettingKind.PORT, {}, "443", "443"),
        (SettingKind.INT, {"minimum": 0}, "+7", "7"),
        (SettingKind.NUMBER, {"minimum": 0, "maximum": 1}, "0.75", "0.75"),
        (SettingKind.DURATION, {}, "1m30s", "1m30s"),
        (SettingKind.DURATION, {}, "0", "0"),
        (SettingKind.BOOL, {}, "TRUE", "true"),
        (SettingKind.BOOL, {}, "0", "false"),
        (SettingKind.ENUM, {"choices": ("GET", "POST")}, "POST", "POST"),
    ],
)
def test_accepts_and_normalizes_good_values(
    kind: SettingKind, fields: dict[str, object], value: str, expected: str
) -> None:
    assert normalized_value(setting(kind, **fields), value) == expected


@pytest.mark.parametrize(
    ("kind", "fields", "value", "says"),
    [
        (SettingKind.URL, {}, "example.com/healthz", "is not an http:// or https:// URL"),
        (SettingKind.URL, {}, "ftp://example.com/", "is not an http:// or https:// URL"),
        (SettingKind.URL, {}, "http:///path", "is not an http:// or https:// URL"),
        (SettingKind.URL, {}, "http://example.com:99999/", "is not an http:// or https:// URL"),
        (SettingKind.URL, {}, "http://[::1/", "is not an http:// or https:// URL"),
        (SettingKind.URL, {}, "http://exa mple.com/", "is not an http:// or https:// URL"),
        (SettingKind.HOST, {}, "not a host", "is not a host name or an IP address"),
        (SettingKind.HOST, {}, "-leading.example", "is not a host name or an IP address"),
        (SettingKind.ADDRESS, {}, "db.internal", "is not host:port"),
        (SettingKind.ADDRESS, {}, "db.internal:0", "is not host:port"),
        (SettingKind.ADDRESS, {}, "db.internal:70000", "is not host:port"),
        (SettingKind.ADDRESS, {}, "db.internal:5432/x", "is not host:port"),
        (SettingKind.ADDRESS, {}, "[::1:80", "is not host:port"),
        (SettingKind.ADDRESS, {}, "user@db.internal:5432", "is not host:port"),
        (SettingKind.ADDRESS, {"choices": ("tcp",)}, "db:5432", "must start with tcp://"),
        (SettingKind.ADDRESS, {"choices": ("tcp",)}, "http://db:5432", "must start with tcp://"),
        (SettingKind.PORT, {}, "0", "below the minimum of 1"),
        (SettingKind.PORT, {}, "65536", "above the maximum of 65535"),
        (SettingKind.PORT, {}, "http", "is not a whole number"),
        (SettingKind.INT, {"minimum": 1}, "0", "below the minimum of 1"),
        (SettingKind.INT, {"maximum": 100}, "101", "above the maximum of 100"),
        (SettingKind.INT, {}, "1.5", "is not a whole number"),
        (SettingKind.NUMBER, {"maximum": 1}, "1.5", "above the maximum of 1"),
        (SettingKind.NUMBER, {}, "nan", "is not a number"),
        (SettingKind.NUMBER, {}, "1_000", "is not a number"),
        (SettingKind.NUMBER, {}, "1e999", "is not a number"),
        (SettingKind.INT, {}, "\u0663", "is not a whole number"),
        (SettingKind.DURATION, {}, "5 minutes", "invalid duration"),
        (SettingKind.DURATION, {}, "-5s", "must not be negative"),
        (SettingKind.DURATION, {}, "\u0663s", "is not a duration"),
        (SettingKind.BOOL, {}, "maybe", "is not a boolean"),
        (SettingKind.ENUM, {"choices": ("GET", "POST")}, "get", "is not one of GET, POST"),
        (SettingKind.STRING, {}, "x" * 5000, "at most 4096"),
    ],
)
def test_refuses_bad_values_naming_the_setting(
    kind: SettingKind, fields: dict[str, object], value: str, says: str
) -> None:
    assert says in refusal(kind, value, **fields).message


def test_fills_defaults_and_leaves_optional_settings_unset() -> None:
    subject = template(
        Setting(name="URL", label="URL", kind=SettingKind.URL, required=True, help=""),
        Setting(name="COUNT", label="Count", kind=SettingKind.INT, default="1", help=""),
        Setting(name="EXTRA", label="Extra", kind=SettingKind.STRING, help=""),
    )
    given = [SettingValue("URL", "http://a.example/")]
    assert resolve_settings(subject, given) == {"URL": "http://a.example/", "COUNT": "1"}


def test_a_given_value_replaces_the_default_and_a_blank_optional_one_is_unset() -> None:
    subject = template(
        Setting(name="COUNT", label="Count", kind=SettingKind.INT, default="1", help=""),
    )
    assert resolve_settings(subject, [SettingValue("COUNT", "3")]) == {"COUNT": "3"}
    assert resolve_settings(subject, [SettingValue("COUNT", " ")]) == {}


@pytest.mark.parametrize(
    ("given", "field", "says"),
    [
        ([], "settings.URL", "required (Target URL)"),
        ([SettingValue("URL", "  ")], "settings.URL", "required"),
        (
            [SettingValue("URL", "http://a/"), SettingValue("NOPE", "1")],
            "settings.NOPE",
            "no setting",
        ),
        (
            [SettingValue("URL", "http://a/"), SettingValue("URL", "http://b/")],
            "settings.URL",
            "given more than once",
        ),
    ],
)
def test_refuses_missing_unknown_and_repeated_settings(
    given: list[SettingValue], field: str, says: str
) -> None:
    subject = template(
        Setting(name="URL", label="Target URL", kind=SettingKind.URL, required=True, help="")
    )
    with pytest.raises(InvalidInput) as raised:
        resolve_settings(subject, given)
    assert raised.value.field == field
    assert says in raised.value.message
