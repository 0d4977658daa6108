"""TCP connection check with network-connection-check's settings: `python -m app.checkers.tcp`.

CONNECTION_TARGET (required): `host:port`, `tcp://host:port` or `[v6-address]:port`.
CONNECTION_TARGET_UNREACHABLE (default false): when true the check passes only if the connection
fails (Kuberhealthy's image passed either way in that mode). CONNECTION_TIMEOUT (default 5s; seconds
or a Go duration), shortened to fit KH_CHECK_RUN_DEADLINE.
"""

from __future__ import annotations

import logging
import socket
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from app.checkers._budget import Budget
from app.checkers._env import ConfigError, read_bool, read_deadline, read_duration, read_str
from app.checkers._result import CheckResult
from app.checkers._run import configure_logging, run_checker

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TcpCheckSettings:
    host: str
    port: int
    expect_unreachable: bool = False
    timeout: timedelta = timedelta(seconds=5)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> TcpCheckSettings:
        host, port = parse_target(read_str(environ, "CONNECTION_TARGET"))
        return cls(
            host=host,
            port=port,
            expect_unreachable=read_bool(environ, "CONNECTION_TARGET_UNREACHABLE", False),
            timeout=read_duration(environ, "CONNECTION_TIMEOUT", timedelta(seconds=5)),
        )

    @property
    def target(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_target(text: str) -> tuple[str, int]:
    scheme, separator, address = text.partition("://")
    if not separator:
        scheme, address = "tcp", text
    if scheme.lower() != "tcp":
        raise ConfigError(f"CONNECTION_TARGET={text!r}: only tcp:// targets are supported")
    try:
        parts = urllib.parse.urlsplit(f"//{address}")
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None or parts.path:
        raise ConfigError(f"CONNECTION_TARGET={text!r} is not host:port")
    return host, port


def evaluate(settings: TcpCheckSettings, budget: Budget) -> CheckResult:
    timeout = budget.timeout(settings.timeout)
    try:
        with socket.create_connection(
            (settings.host, settings.port), timeout=timeout.total_seconds()
        ):
            pass
    except OSError as error:
        reason = "timed out" if isinstance(error, TimeoutError) else str(error)
        logger.info("connection to %s failed: %s", settings.target, reason)
        if settings.expect_unreachable:
            return CheckResult.passed()
        return CheckResult.failed(f"tcp connection to {settings.target} failed: {reason}")
    logger.info("connected to %s", settings.target)
    if settings.expect_unreachable:
        return CheckResult.failed(
            f"tcp connection to {settings.target} succeeded, "
            "but CONNECTION_TARGET_UNREACHABLE=true expects it to fail"
        )
    return CheckResult.passed()


def check_from_env(environ: Mapping[str, str]) -> CheckResult:
    return evaluate(
        TcpCheckSettings.from_env(environ), Budget.until_deadline(read_deadline(environ))
    )


def main() -> None:
    configure_logging()
    raise SystemExit(run_checker("tcp-check", check_from_env))


if __name__ == "__main__":
    main()
