from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta

import pytest

from app.checkers._budget import Budget
from app.checkers._env import ConfigError
from app.checkers._result import CheckResult
from app.checkers._x509 import certificate_not_after
from app.checkers.tls import TlsCheckSettings, evaluate, judge_expiry

from .certs import CertPair, openssl_end_date
from .servers import closed_port, tls_server


def settings_for(port: int, **overrides: str) -> TlsCheckSettings:
    return TlsCheckSettings.from_env({"DOMAIN_NAME": "localhost", "PORT": str(port)} | overrides)


@pytest.mark.parametrize("name", ["valid", "far"])  # UTCTime and GeneralizedTime expiries
def test_the_expiry_read_from_der_matches_openssl(
    certificates: dict[str, CertPair], name: str
) -> None:
    der = ssl.PEM_cert_to_DER_cert(certificates[name].cert.read_text())

    not_after = certificate_not_after(der)

    assert not_after.strftime("%b %e %H:%M:%S %Y GMT") == openssl_end_date(certificates[name])


def test_malformed_der_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        certificate_not_after(b"\x30\x82\x01")


def test_insecure_mode_passes_a_self_signed_certificate_far_from_expiry(
    certificates: dict[str, CertPair],
) -> None:
    pair = certificates["valid"]
    with tls_server(str(pair.cert), str(pair.key)) as server:
        result = evaluate(settings_for(server.port, INSECURE="true"), Budget.unlimited())

    assert result == CheckResult.passed()


def test_an_untrusted_certificate_fails_verification(certificates: dict[str, CertPair]) -> None:
    pair = certificates["valid"]
    with tls_server(str(pair.cert), str(pair.key)) as server:
        [error] = evaluate(settings_for(server.port), Budget.unlimited()).errors

    assert error.startswith(f"certificate of localhost:{server.port} failed verification: ")
    assert "self-signed" in error or "self signed" in error


def test_a_trusted_certificate_passes_verification(
    certificates: dict[str, CertPair], monkeypatch: pytest.MonkeyPatch
) -> None:
    pair = certificates["valid"]
    monkeypatch.setenv("SSL_CERT_FILE", str(pair.cert))
    with tls_server(str(pair.cert), str(pair.key)) as server:
        assert evaluate(settings_for(server.port), Budget.unlimited()).ok


def test_a_server_name_the_certificate_does_not_cover_fails_verification(
    certificates: dict[str, CertPair], monkeypatch: pytest.MonkeyPatch
) -> None:
    pair = certificates["valid"]
    monkeypatch.setenv("SSL_CERT_FILE", str(pair.cert))
    with tls_server(str(pair.cert), str(pair.key)) as server:
        settings = settings_for(server.port, SERVER_NAME="payments.example.com")
        [error] = evaluate(settings, Budget.unlimited()).errors

    assert "failed verification" in error
    assert "mismatch" in error.lower()


def test_a_certificate_expiring_within_the_days_fails_even_when_insecure(
    certificates: dict[str, CertPair],
) -> None:
    pair = certificates["expiring"]
    with tls_server(str(pair.cert), str(pair.key)) as server:
        settings = settings_for(server.port, INSECURE="true", DAYS="30")
        [error] = evaluate(settings, Budget.unlimited()).errors

    assert error.startswith(f"certificate of localhost:{server.port} expires in 9 days (on ")
    assert error.endswith("less than DAYS=30")


def test_a_refused_connection_fails_the_handshake() -> None:
    port = closed_port()

    [error] = evaluate(settings_for(port), Budget.unlimited()).errors

    assert error.startswith(f"TLS handshake with localhost:{port} failed: ")


def test_an_expired_certificate_says_when_it_expired() -> None:
    settings = TlsCheckSettings(domain="example.com")
    now = datetime(2030, 1, 2, tzinfo=UTC)

    result = judge_expiry(settings, datetime(2030, 1, 1, 12, tzinfo=UTC), now)

    assert result == CheckResult.failed(
        "certificate of example.com:443 expired on 2030-01-01 12:00:00 UTC"
    )


def test_a_certificate_exactly_the_minimum_days_away_passes() -> None:
    settings = TlsCheckSettings(domain="example.com", min_days=60)
    now = datetime(2030, 1, 1, tzinfo=UTC)

    assert judge_expiry(settings, now + timedelta(days=60), now).ok
    assert not judge_expiry(settings, now + timedelta(days=60) - timedelta(seconds=1), now).ok


def test_defaults_follow_kuberhealthy_and_bad_values_name_the_variable() -> None:
    assert TlsCheckSettings.from_env({"DOMAIN_NAME": "example.com"}) == TlsCheckSettings(
        domain="example.com", port=443, min_days=60, insecure=False, server_name=None
    )
    with pytest.raises(ConfigError, match="DOMAIN_NAME is not set"):
        TlsCheckSettings.from_env({})
    with pytest.raises(ConfigError, match="PORT=0 is below the minimum of 1"):
        TlsCheckSettings.from_env({"DOMAIN_NAME": "example.com", "PORT": "0"})
