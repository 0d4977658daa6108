"""A pod container's log: a capped byte buffer that keeps the tail, with waiters for `follow`."""

from __future__ import annotations

import asyncio

DEFAULT_LOG_LIMIT = 1024 * 1024


class LogBuffer:
    def __init__(self, limit: int = DEFAULT_LOG_LIMIT) -> None:
        self._data = bytearray()
        self._limit = limit
        self._dropped = 0
        self._changed = asyncio.Event()
        self.closed = False

    def append(self, chunk: bytes) -> None:
        self._data += chunk
        overflow = len(self._data) - self._limit
        if overflow > 0:
            del self._data[:overflow]
            self._dropped += overflow
        self._wake()

    def close(self) -> None:
        self.closed = True
        self._wake()

    @property
    def end_offset(self) -> int:
        """Absolute offset of the end of the log, counting bytes already dropped."""
        return self._dropped + len(self._data)

    def read_from(self, offset: int) -> bytes:
        start = max(offset - self._dropped, 0)
        return bytes(self._data[start:])

    def snapshot(self, tail_lines: int | None = None, limit_bytes: int | None = None) -> bytes:
        data = bytes(self._data)
        if tail_lines is not None:
            data = tail(data, tail_lines)
        if limit_bytes is not None:
            data = data[:limit_bytes]
        return data

    async def wait_for_change(self) -> None:
        await self._changed.wait()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()


def tail(data: bytes, lines: int) -> bytes:
    if lines <= 0:
        return b""
    body = data[:-1] if data.endswith(b"\n") else data
    cut = len(body)
    for _ in range(lines):
        cut = body.rfind(b"\n", 0, cut)
        if cut < 0:
            return data
    return data[cut + 1 :]
