"""Fault injection for tests: failing and slow API requests. Thread-safe, so tests may steer a
cluster that serves from another thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from app.localcluster.errors import status_body

_REASONS: dict[int, tuple[str, str]] = {
    429: ("TooManyRequests", "Too many requests, please try again later."),
    500: ("InternalError", "Internal error occurred: injected fault"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    504: ("Timeout", "Timeout: request did not complete within the allotted timeout"),
}


@dataclass
class _Rule:
    remaining: int
    path_contains: str | None
    status: int | None = None
    delay: float = 0.0

    def applies_to(self, path: str) -> bool:
        return self.remaining > 0 and (self.path_contains is None or self.path_contains in path)


@dataclass(frozen=True)
class FaultDecision:
    delay: float = 0.0
    status: int | None = None


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []

    def fail_requests(
        self, count: int = 1, status: int = 503, path_contains: str | None = None
    ) -> None:
        """The next `count` API requests (whose path contains `path_contains`) get `status`."""
        with self._lock:
            self._rules.append(_Rule(count, path_contains, status=status))

    def delay_requests(
        self, seconds: float, count: int = 1, path_contains: str | None = None
    ) -> None:
        """The next `count` matching API requests wait `seconds` before being served."""
        with self._lock:
            self._rules.append(_Rule(count, path_contains, delay=seconds))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, path: str) -> FaultDecision:
        delay = 0.0
        status: int | None = None
        with self._lock:
            for rule in self._rules:
                if not rule.applies_to(path):
                    continue
                if rule.status is not None and status is None:
                    status = rule.status
                    rule.remaining -= 1
                elif rule.status is None and delay == 0.0:
                    delay = rule.delay
                    rule.remaining -= 1
            self._rules = [rule for rule in self._rules if rule.remaining > 0]
        return FaultDecision(delay, status)


def fault_status(code: int) -> dict[str, object]:
    reason, message = _REASONS.get(code, ("InternalError", f"injected fault (HTTP {code})"))
    return status_body(code, reason, message)
