from __future__ import annotations

import pytest

from app.checkers._budget import Budget
from app.checkers._env import ConfigError
from app.checkers._result import CheckResult
from app.checkers.tcp import TcpCheckSettings, evaluate, parse_target

from .servers import closed_port, listening_port


def test_passes_when_the_target_accepts_a_connection() -> None:
    with listening_port() as port:
        settings = TcpCheckSettings.from_env({"CONNECTION_TARGET": f"127.0.0.1:{port}"})
        assert evaluate(settings, Budget.unlimited()) == CheckResult.passed()


def test_fails_with_the_reason_when_the_connection_is_refused() -> None:
    port = closed_port()
    settings = TcpCheckSettings.from_env({"CONNECTION_TARGET": f"tcp://127.0.0.1:{port}"})

    [error] = evaluate(settings, Budget.unlimited()).errors

    assert error.startswith(f"tcp connection to 127.0.0.1:{port} failed: ")
    assert "refused" in error.lower()


def test_expecting_unreachable_passes_when_the_connection_fails() -> None:
    settings = TcpCheckSettings.from_env(
        {
            "CONNECTION_TARGET": f"127.0.0.1:{closed_port()}",
            "CONNECTION_TARGET_UNREACHABLE": "true",
        }
    )
    assert evaluate(settings, Budget.unlimited()).ok


def test_expecting_unreachable_fails_when_the_connection_succeeds() -> None:
    with listening_port() as port:
        settings = TcpCheckSettings.from_env(
            {"CONNECTION_TARGET": f"127.0.0.1:{port}", "CONNECTION_TARGET_UNREACHABLE": "1"}
        )
        [error] = evaluate(settings, Budget.unlimited()).errors

    assert "CONNECTION_TARGET_UNREACHABLE=true expects it to fail" in error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("db.internal:5432", ("db.internal", 5432)),
        ("tcp://db.internal:5432", ("db.internal", 5432)),
        ("[::1]:80", ("::1", 80)),
    ],
)
def test_targets_are_host_and_port_with_an_optional_tcp_scheme(
    text: str, expected: tuple[str, int]
) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "CONNECTION_TARGET is not set"),
        ({"CONNECTION_TARGET": "db.internal"}, "is not host:port"),
        ({"CONNECTION_TARGET": "db:99999"}, "is not host:port"),
        ({"CONNECTION_TARGET": "udp://dns:53"}, "only tcp:// targets are supported"),
        ({"CONNECTION_TARGET": "db:1", "CONNECTION_TIMEOUT": "soon"}, "CONNECTION_TIMEOUT"),
    ],
)
def test_a_misconfiguration_names_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TcpCheckSettings.from_env(environ)
