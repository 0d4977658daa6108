"""Pod IPs on the loopback range, which Linux routes entirely to lo (127.0.0.0/8)."""

from __future__ import annotations

_PREFIX = "127.42"
_SIZE = 256 * 256


class PodIPAllocator:
    """Hands out 127.42.x.y addresses round-robin, so a freed address is not reused at once."""

    def __init__(self) -> None:
        self._next = 0
        self._in_use: set[str] = set()

    def allocate(self) -> str:
        for _ in range(_SIZE):
            offset = self._next
            self._next = (self._next + 1) % _SIZE
            third, fourth = divmod(offset, 256)
            if fourth in (0, 1, 255):
                continue
            candidate = f"{_PREFIX}.{third}.{fourth}"
            if candidate not in self._in_use:
                self._in_use.add(candidate)
                return candidate
        raise RuntimeError("pod IP range exhausted")

    def release(self, ip: str) -> None:
        self._in_use.discard(ip)
