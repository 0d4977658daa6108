from __future__ import annotations

import pytest

from app.checkers._budget import Budget
from app.checkers._env import ConfigError
from app.checkers.dns import DnsCheckSettings, evaluate


def test_passes_when_the_name_resolves_to_the_expected_address() -> None:
    settings = DnsCheckSettings.from_env(
        {"HOSTNAME": "localhost", "DNS_RECORD_TYPE": "a", "EXPECTED_ADDRESSES": "127.0.0.1"}
    )
    assert evaluate(settings, Budget.unlimited()).ok


def test_passes_for_any_address_when_none_is_expected() -> None:
    assert evaluate(DnsCheckSettings.from_env({"HOSTNAME": "localhost"}), Budget.unlimited()).ok


def test_fails_when_an_expected_address_is_missing() -> None:
    settings = DnsCheckSettings.from_env(
        {
            "HOSTNAME": "localhost",
            "DNS_RECORD_TYPE": "A",
            "EXPECTED_ADDRESSES": "127.0.0.1, 10.9.9.9",
        }
    )

    [error] = evaluate(settings, Budget.unlimited()).errors

    assert error == "A lookup of localhost returned 127.0.0.1; missing expected 10.9.9.9"


def test_fails_with_the_resolver_error_when_resolution_fails() -> None:
    # An IPv4 literal has no AAAA answer, and asking needs no network.
    settings = DnsCheckSettings.from_env({"HOSTNAME": "127.0.0.1", "DNS_RECORD_TYPE": "AAAA"})

    [error] = evaluate(settings, Budget.unlimited()).errors

    assert error.startswith("AAAA lookup of 127.0.0.1 failed: [Errno ")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "HOSTNAME is not set"),
        ({"HOSTNAME": "x", "DNS_RECORD_TYPE": "MX"}, "DNS_RECORD_TYPE='MX' is not A or AAAA"),
        ({"HOSTNAME": "x", "EXPECTED_ADDRESSES": "10.0.0.1,ten"}, "EXPECTED_ADDRESSES has 'ten'"),
    ],
)
def test_a_misconfiguration_names_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        DnsCheckSettings.from_env(environ)
