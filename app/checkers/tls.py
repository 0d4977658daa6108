"""TLS certificate expiry check with ssl-expiry-check's settings: `python -m app.checkers.tls`.

DOMAIN_NAME (required), PORT (default 443), DAYS (default 60): fail when the certificate expires in
fewer days. INSECURE (default false) skips chain and hostname verification but still checks expiry.
SERVER_NAME (optional) overrides the SNI and verified name. Verification uses the system trust
store; SSL_CERT_FILE points it at another CA bundle.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.checkers._budget import Budget
from app.checkers._env import read_bool, read_deadline, read_int, read_optional_str, read_str
from app.checkers._result import CheckResult
from app.checkers._run import configure_logging, run_checker
from app.checkers._x509 import certificate_not_after

logger = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = timedelta(seconds=10)


@dataclass(frozen=True)
class TlsCheckSettings:
    domain: str
    port: int = 443
    min_days: int = 60
    insecure: bool = False
    server_name: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> TlsCheckSettings:
        return cls(
            domain=read_str(environ, "DOMAIN_NAME"),
            port=read_int(environ, "PORT", 443, minimum=1, maximum=65535),
            min_days=read_int(environ, "DAYS", 60, minimum=0),
            insecure=read_bool(environ, "INSECURE", False),
            server_name=read_optional_str(environ, "SERVER_NAME"),
        )

    @property
    def target(self) -> str:
        return f"{self.domain}:{self.port}"


def evaluate(settings: TlsCheckSettings, budget: Budget) -> CheckResult:
    timeout = budget.timeout(HANDSHAKE_TIMEOUT)
    try:
        der = fetch_certificate(settings, _context(settings.insecure), timeout)
    except ssl.SSLCertVerificationError as error:
        return CheckResult.failed(
            f"certificate of {settings.target} failed verification: {error.verify_message}"
        )
    except TimeoutError:
        return CheckResult.failed(
            f"TLS handshake with {settings.target} timed out after {timeout.total_seconds():g}s"
        )
    except OSError as error:
        return CheckResult.failed(f"TLS handshake with {settings.target} failed: {error}")
    try:
        not_after = certificate_not_after(der)
    except ValueError as error:
        return CheckResult.failed(f"certificate of {settings.target} could not be read: {error}")
    logger.info("certificate of %s is valid until %s", settings.target, not_after.isoformat())
    return judge_expiry(settings, not_after, datetime.now(UTC))


def judge_expiry(settings: TlsCheckSettings, not_after: datetime, now: datetime) -> CheckResult:
    until = not_after.strftime("%Y-%m-%d %H:%M:%S UTC")
    if not_after <= now:
        return CheckResult.failed(f"certificate of {settings.target} expired on {until}")
    left = not_after - now
    if left < timedelta(days=settings.min_days):
        return CheckResult.failed(
            f"certificate of {settings.target} expires in {left.days} days (on {until}), "
            f"less than DAYS={settings.min_days}"
        )
    return CheckResult.passed()


def fetch_certificate(
    settings: TlsCheckSettings, context: ssl.SSLContext, timeout: timedelta
) -> bytes:
    """The peer's leaf certificate in DER, after a full handshake under `context`."""
    server_name = settings.server_name or settings.domain
    address = (settings.domain, settings.port)
    with (
        socket.create_connection(address, timeout=timeout.total_seconds()) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if der is None:
        raise ssl.SSLError(f"{settings.target} sent no certificate")
    return der


def _context(insecure: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def check_from_env(environ: Mapping[str, str]) -> CheckResult:
    return evaluate(
        TlsCheckSettings.from_env(environ), Budget.until_deadline(read_deadline(environ))
    )


def main() -> None:
    configure_logging()
    raise SystemExit(run_checker("tls-check", check_from_env))


if __name__ == "__main__":
    main()
