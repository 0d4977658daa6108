"""Fault injection for tests: failing and slow API requests. Thread-safe, so tests may steer a
cluster that serves from another thread. Rules are validated whole when made, so a bad one never
reaches the request path."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import TypeGuard

from app.localcluster.errors import shown, status_body

MAX_DELAY_SECONDS = 300.0
THROTTLED_RETRY_AFTER_SECONDS = 1
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

_REASONS: dict[int, tuple[str, str]] = {
    429: ("TooManyRequests", "Too many requests, please try again later."),
    500: ("InternalError", "Internal error occurred: injected fault"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    504: ("Timeout", "Timeout: request did not complete within the allotted timeout"),
}


class InvalidFault(ValueError):
    """A fault rule that cannot be applied; the message lists every problem."""


@dataclass(frozen=True)
class FailRequests:
    """The next `count` API requests (whose path contains `path_contains`, with `method` if
    given) get `status`."""

    count: int = 1
    status: int = 503
    path_contains: str | None = None
    method: str | None = None

    def __post_init__(self) -> None:
        problems = _count_problems(self.count)
        if not _is_int(self.status) or not 400 <= self.status <= 599:
            problems.append(f"status must be an integer from 400 to 599, got {shown(self.status)}")
        _raise_if_any(
            [*problems, *_path_problems(self.path_contains), *_method_problems(self.method)]
        )


@dataclass(frozen=True)
class DelayRequests:
    """The next `count` matching API requests wait `seconds` before being served."""

    seconds: float
    count: int = 1
    path_contains: str | None = None
    method: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if not _is_number(self.seconds) or not 0 < self.seconds <= MAX_DELAY_SECONDS:
            problems.append(
                f"seconds must be a number above 0 and at most {MAX_DELAY_SECONDS:g}, "
                f"got {shown(self.seconds)}"
            )
        _raise_if_any(
            [
                *problems,
                *_count_problems(self.count),
                *_path_problems(self.path_contains),
                *_method_problems(self.method),
            ]
        )


FaultRule = FailRequests | DelayRequests


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true is no count


def _is_number(value: object) -> TypeGuard[float]:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _count_problems(count: object) -> list[str]:
    if _is_int(count) and count > 0:
        return []
    return [f"count must be a positive integer, got {shown(count)}"]


def _path_problems(path_contains: object) -> list[str]:
    if path_contains is None or isinstance(path_contains, str):
        return []
    return [f"path_contains must be a string, got {shown(path_contains)}"]


def _method_problems(method: object) -> list[str]:
    if method is None or method in METHODS:
        return []
    return [f"method must be one of {', '.join(METHODS)}, got {shown(method)}"]


def _raise_if_any(problems: list[str]) -> None:
    if problems:
        raise InvalidFault("; ".join(problems))


@dataclass
class _Rule:
    remaining: int
    path_contains: str | None
    method: str | None
    status: int | None = None
    delay: float = 0.0

    def applies_to(self, path: str, method: str | None) -> bool:
        return (
            self.remaining > 0
            and (self.path_contains is None or self.path_contains in path)
            and (self.method is None or self.method == method)
        )


@dataclass(frozen=True)
class FaultDecision:
    delay: float = 0.0
    status: int | None = None


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []

    def add(self, rule: FaultRule) -> None:
        if isinstance(rule, FailRequests):
            active = _Rule(rule.count, rule.path_contains, rule.method, status=rule.status)
        else:
            active = _Rule(rule.count, rule.path_contains, rule.method, delay=float(rule.seconds))
        with self._lock:
            self._rules.append(active)

    def fail_requests(
        self,
        count: int = 1,
        status: int = 503,
        path_contains: str | None = None,
        method: str | None = None,
    ) -> None:
        """The next `count` API requests (whose path contains `path_contains`, with `method` if
        given) get `status`."""
        self.add(FailRequests(count, status, path_contains, method))

    def delay_requests(
        self,
        seconds: float,
        count: int = 1,
        path_contains: str | None = None,
        method: str | None = None,
    ) -> None:
        """The next `count` matching API requests wait `seconds` before being served."""
        self.add(DelayRequests(seconds, count, path_contains, method))

    def armed(self) -> int:
        """How many rules still wait for requests to hit: 0 once every one has been taken (a
        delayed request is then being held)."""
        with self._lock:
            return len(self._rules)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, path: str, method: str | None = None) -> FaultDecision:
        delay = 0.0
        status: int | None = None
        with self._lock:
            for rule in self._rules:
                if not rule.applies_to(path, method):
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
    if code == 429:
        details = {"retryAfterSeconds": THROTTLED_RETRY_AFTER_SECONDS}
        return status_body(code, reason, message, details)
    return status_body(code, reason, message)


def fault_headers(code: int) -> dict[str, str]:
    """A throttled request is told when to come back, as the API server's priority and
    fairness does."""
    return {"Retry-After": str(THROTTLED_RETRY_AFTER_SECONDS)} if code == 429 else {}
