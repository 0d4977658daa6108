"""Where the local cluster may listen: loopback only, unless exposing it is asked for explicitly.
Its kubelet runs pod commands on this machine, so reaching it is close to having a shell here."""

from __future__ import annotations

import ipaddress
import socket


class NotLoopback(ValueError):
    def __init__(self, host: str) -> None:
        super().__init__(
            f"{host!r} is not a loopback address; pass expose=True to listen on it anyway"
        )
        self.host = host


def require_loopback(host: str, *, expose: bool) -> str:
    """The address to bind for `host`: `host` itself, or the loopback address it resolves to (so
    a name cannot resolve differently between this check and the bind)."""
    if expose:
        return host
    address = loopback_address(host)
    if address is None:
        raise NotLoopback(host)
    return address


def loopback_address(host: str) -> str | None:
    if not host:
        return None  # an empty host binds every interface
    try:
        return host if _is_loopback(ipaddress.ip_address(host)) else None
    except ValueError:
        pass
    try:
        resolved = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None
    addresses = [ipaddress.ip_address(entry[4][0]) for entry in resolved]
    if addresses and all(_is_loopback(address) for address in addresses):
        return str(addresses[0])
    return None


def _is_loopback(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback
