"""Which run a checker's report is for, and whether the report proves it (pure: the caller checks
secrets and looks pods up by IP).

A report proves its run by the per-run secret in KH_REPORTING_URL, or, for clients that drop the
query string, by coming from the run's pod IP, if that address is not one any local process could
claim. A run id alone (the `kh-run-uuid` header) proves nothing: run ids are listed by the API.
"""

from __future__ import annotations

import enum
import ipaddress
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from app.domain.manifest import RUN_ID_QUERY_PARAMETER, RUN_SECRET_QUERY_PARAMETER

RUN_ID_HEADER = "kh-run-uuid"

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
SecretCheck = Callable[[uuid.UUID, str], bool]


class IpFallback(enum.StrEnum):
    """Which source addresses may identify a run by its pod IP (PATROL_REPORT_IP_FALLBACK)."""

    AUTO = "auto"  # only addresses no local process can claim
    OFF = "off"
    LOOPBACK = "loopback"  # loopback too: for tests and local experiments only


@dataclass(frozen=True, slots=True)
class ReportClaims:
    """What a report says about itself; none of it is proven yet."""

    header_run_id: str | None
    url_run_id: str | None
    url_secret: str | None = field(repr=False)
    source: str | None


@dataclass(frozen=True, slots=True)
class Unidentified:
    """The report does not prove which run it is for. `claimed_run_id` is the run it named, if any."""

    reason: str
    claimed_run_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class PodIpLookup:
    """The report can only be identified by the undecided run whose pod has `address`."""

    address: str
    header_run_id: uuid.UUID | None

    def settle(self, found: uuid.UUID | None) -> uuid.UUID | Unidentified:
        """The outcome once the caller has looked up the run whose pod has this address."""
        if found is None:
            if self.header_run_id is not None:
                return _header_alone(
                    self.header_run_id, f"no running checker pod has IP {self.address}"
                )
            return Unidentified(
                "cannot tell which run this report is for: the reporting URL names no run and "
                f"no running checker pod has IP {self.address}"
            )
        if self.header_run_id is not None and found != self.header_run_id:
            return Unidentified(
                f"the {RUN_ID_HEADER} header names another run than the reporting pod's",
                self.header_run_id,
            )
        return found


def examine(
    claims: ReportClaims, *, ip_fallback: IpFallback, secret_is_valid: SecretCheck
) -> uuid.UUID | Unidentified | PodIpLookup:
    """The run the report proves it is for, a refusal, or the pod-IP lookup still needed."""
    try:
        header_run_id = _run_id(claims.header_run_id, f"{RUN_ID_HEADER} header")
        url_run_id = _run_id(claims.url_run_id, f"the reporting URL's {RUN_ID_QUERY_PARAMETER}")
    except ValueError as error:
        return Unidentified(str(error))
    if url_run_id is not None:
        return _by_url(url_run_id, claims.url_secret, header_run_id, secret_is_valid)
    if claims.url_secret:
        return Unidentified(
            f"the reporting URL carries a {RUN_SECRET_QUERY_PARAMETER} but no "
            f"{RUN_ID_QUERY_PARAMETER}: post to KH_REPORTING_URL exactly as given",
            header_run_id,
        )
    address = fallback_address(claims.source)
    refusal = ip_fallback_refusal(ip_fallback, address)
    if refusal is None:
        return PodIpLookup(str(address), header_run_id)
    if header_run_id is not None:
        return _header_alone(header_run_id, refusal)
    return Unidentified(
        f"cannot tell which run this report is for: the reporting URL names no run and {refusal}"
    )


def fallback_address(source: str | None) -> IpAddress | None:
    """The source as an IP address; IPv4 seen through a dual-stack socket is unwrapped, so that
    `::ffff:127.0.0.1` is treated as the loopback address it is."""
    if not source:
        return None
    try:
        address = ipaddress.ip_address(source.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def ip_fallback_refusal(policy: IpFallback, address: IpAddress | None) -> str | None:
    """Why `address` may not identify a run by its pod IP under `policy`; None if it may."""
    if address is None:
        return "the request has no IP source address"
    if policy is IpFallback.OFF:
        return "the pod-IP fallback is off (PATROL_REPORT_IP_FALLBACK=off)"
    # Link-local addresses are reused on every node (e.g. a CNI's gateway), so they name no pod.
    if address.is_unspecified or address.is_link_local or address.is_multicast:
        return f"{address} cannot be a checker pod's address"
    if address.is_loopback and policy is not IpFallback.LOOPBACK:
        return (
            f"the pod-IP fallback does not trust loopback address {address}, which any local "
            "process can claim (PATROL_REPORT_IP_FALLBACK=loopback allows it, for tests only)"
        )
    return None


def _by_url(
    run_id: uuid.UUID,
    secret: str | None,
    header_run_id: uuid.UUID | None,
    secret_is_valid: SecretCheck,
) -> uuid.UUID | Unidentified:
    if not secret:
        return Unidentified(
            f"the reporting URL names run {run_id} without its {RUN_SECRET_QUERY_PARAMETER}: "
            "post to KH_REPORTING_URL exactly as given",
            run_id,
        )
    if not secret_is_valid(run_id, secret):
        return Unidentified(
            f"the reporting URL's {RUN_SECRET_QUERY_PARAMETER} is not the one of run {run_id}",
            run_id,
        )
    if header_run_id is not None and header_run_id != run_id:
        return Unidentified(
            f"the {RUN_ID_HEADER} header names another run than the reporting URL", run_id
        )
    return run_id


def _header_alone(run_id: uuid.UUID, why_not_by_ip: str) -> Unidentified:
    return Unidentified(
        f"a {RUN_ID_HEADER} header alone does not prove which run a report is for: post to "
        f"KH_REPORTING_URL exactly as given (it carries the run's secret); {why_not_by_ip}",
        run_id,
    )


def _run_id(value: str | None, where: str) -> uuid.UUID | None:
    if value is None or not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise ValueError(f"{where} {value[:64]!r} is not a run UUID") from None
