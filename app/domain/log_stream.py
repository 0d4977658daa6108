"""Turning a container's log, as it arrives in arbitrary pieces, into text a client can show: whole
lines (an unfinished one is held back, up to a bound), valid UTF-8, and no more bytes in all than
a budget allows."""

from __future__ import annotations

import codecs
import enum


class LogEndReason(enum.StrEnum):
    STORED = "stored"  # the run was finalized: its stored log was sent
    POD_ENDED = "pod ended"  # every followed container terminated and its log was sent
    POD_GONE = "pod gone"  # the pod was deleted (or never created) before its log was read
    LIMIT = "limit"  # the byte budget was spent


class LineAssembler:
    """One container's bytes in, text out: only complete lines, except that an unfinished line
    longer than `line_bytes` is let out in pieces (a log without newlines still streams)."""

    def __init__(self, line_bytes: int) -> None:
        self._line_bytes = line_bytes
        self._pending = bytearray()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, data: bytes) -> str:
        self._pending += data
        cut = self._pending.rfind(b"\n") + 1
        if len(self._pending) - cut > self._line_bytes:
            cut = len(self._pending) - (len(self._pending) - cut) % self._line_bytes
        ready = bytes(self._pending[:cut])
        del self._pending[:cut]
        return self._decoder.decode(ready)

    def flush(self) -> str:
        """What is held back, at the end of the log."""
        ready = bytes(self._pending)
        self._pending.clear()
        return self._decoder.decode(ready, final=True)


class ByteBudget:
    """How much text may still be sent, counted in UTF-8 bytes."""

    def __init__(self, limit: int) -> None:
        self.remaining = limit

    @property
    def spent(self) -> bool:
        return self.remaining <= 0

    def take(self, text: str) -> tuple[str, bool]:
        """The part of `text` within the budget, and whether it had to be cut."""
        encoded = text.encode()
        if len(encoded) <= self.remaining:
            self.remaining -= len(encoded)
            return text, False
        allowed = encoded[: self.remaining].decode("utf-8", errors="ignore")
        self.remaining = 0
        return allowed, True
