"""DNS resolution check: `python -m app.checkers.dns`.

HOSTNAME (required; as in Kuberhealthy's dns-resolution-check. Kubernetes sets HOSTNAME to the pod's
own name when the check does not, so always set it), DNS_RECORD_TYPE A|AAAA (default: either),
EXPECTED_ADDRESSES (optional comma-separated addresses that must all be among the answers).
Resolution goes through the pod's own resolver (getaddrinfo, /etc/resolv.conf): choosing a
NAMESERVER is not supported.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from app.checkers._budget import Budget
from app.checkers._env import ConfigError, read_deadline, read_optional_str, read_str
from app.checkers._result import CheckResult
from app.checkers._run import configure_logging, run_checker

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
LOOKUP_TIMEOUT = timedelta(seconds=30)
_FAMILIES = {"A": socket.AF_INET, "AAAA": socket.AF_INET6}


@dataclass(frozen=True)
class DnsCheckSettings:
    hostname: str
    record_type: str | None = None
    expected_addresses: frozenset[IPAddress] = frozenset()

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> DnsCheckSettings:
        record_type = read_optional_str(environ, "DNS_RECORD_TYPE")
        if record_type is not None:
            record_type = record_type.upper()
            if record_type not in _FAMILIES:
                raise ConfigError(f"DNS_RECORD_TYPE={record_type!r} is not A or AAAA")
        expected: set[IPAddress] = set()
        for item in (read_optional_str(environ, "EXPECTED_ADDRESSES") or "").split(","):
            if item.strip():
                try:
                    expected.add(ipaddress.ip_address(item.strip()))
                except ValueError:
                    raise ConfigError(
                        f"EXPECTED_ADDRESSES has {item.strip()!r}, not an IP address"
                    ) from None
        return cls(read_str(environ, "HOSTNAME"), record_type, frozenset(expected))


def evaluate(settings: DnsCheckSettings, budget: Budget) -> CheckResult:
    timeout = budget.timeout(LOOKUP_TIMEOUT)
    what = f"{settings.record_type or 'A/AAAA'} lookup of {settings.hostname}"
    try:
        addresses = resolve(settings.hostname, settings.record_type, timeout)
    except TimeoutError:
        return CheckResult.failed(f"{what} did not finish within {timeout.total_seconds():g}s")
    except OSError as error:
        return CheckResult.failed(f"{what} failed: {error}")
    logger.info("%s: %s", what, ", ".join(sorted(map(str, addresses))) or "no addresses")
    if not addresses:
        return CheckResult.failed(f"{what} returned no addresses")
    missing = settings.expected_addresses - addresses
    if missing:
        return CheckResult.failed(
            f"{what} returned {', '.join(sorted(map(str, addresses)))}; "
            f"missing expected {', '.join(sorted(map(str, missing)))}"
        )
    return CheckResult.passed()


def resolve(hostname: str, record_type: str | None, timeout: timedelta) -> frozenset[IPAddress]:
    """Addresses for `hostname`. getaddrinfo cannot be cancelled: it runs in a thread we abandon."""
    family = _FAMILIES[record_type] if record_type else socket.AF_UNSPEC
    outcome: list[frozenset[IPAddress] | OSError] = []

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(hostname, None, family, socket.SOCK_STREAM)
            outcome.append(frozenset(ipaddress.ip_address(info[4][0]) for info in infos))
        except OSError as error:
            outcome.append(error)

    worker = threading.Thread(target=lookup, name="dns-lookup", daemon=True)
    worker.start()
    worker.join(timeout.total_seconds())
    if not outcome:
        raise TimeoutError(f"lookup of {hostname} timed out")
    result = outcome[0]
    if isinstance(result, OSError):
        raise result
    return result


def check_from_env(environ: Mapping[str, str]) -> CheckResult:
    return evaluate(
        DnsCheckSettings.from_env(environ), Budget.until_deadline(read_deadline(environ))
    )


def main() -> None:
    configure_logging()
    raise SystemExit(run_checker("dns-check", check_from_env))


if __name__ == "__main__":
    main()
