"""Reporting a check result to Patrol (or Kuberhealthy) the way checker pods are expected to.

`report_success()` / `report_failure(errors)` POST `{"OK": ..., "Errors": [...]}` to
KH_REPORTING_URL with the `kh-run-uuid` header. 400 and 410 are final; 5xx, 408, 429 and connection
errors are retried with capped, jittered exponential backoff for about 30 s or until
KH_CHECK_RUN_DEADLINE, whichever comes first.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from http.client import HTTPException

from app.checkers._env import ConfigError, read_deadline

logger = logging.getLogger(__name__)

_RETRYABLE_CLIENT_STATUSES = frozenset({408, 429})
_MAX_MESSAGE_BYTES = 4096


class ReportError(Exception):
    """The result could not be delivered."""


class ReportingNotConfigured(ReportError):
    """KH_REPORTING_URL or KH_RUN_UUID is missing or malformed."""


class ReportRejected(ReportError):
    """The server refused the report for good (400 and other non-retryable answers)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"report rejected with HTTP {status}: {message or '(no message)'}")
        self.status = status
        self.message = message


class ReportTooLate(ReportRejected):
    """The run's deadline had passed when the report arrived (410 Gone)."""


class ReportNotDelivered(ReportError):
    """Every attempt failed with a transient error until the retry budget or deadline ran out."""


class ReportingEndpointUnavailable(ReportError):
    """The reporting endpoint did not answer 200 to GET within the wait."""


@dataclass(frozen=True)
class RetryPolicy:
    budget: timedelta = timedelta(seconds=30)
    initial_backoff: timedelta = timedelta(milliseconds=500)
    max_backoff: timedelta = timedelta(seconds=5)
    request_timeout: timedelta = timedelta(seconds=10)
    jitter: float = 0.25  # each backoff is shortened by up to this fraction, at random

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        base = min(
            self.max_backoff.total_seconds(),
            self.initial_backoff.total_seconds() * 2.0 ** min(attempt - 1, 30),
        )
        return base * (1.0 - random.uniform(0.0, self.jitter))


DEFAULT_RETRY_POLICY = RetryPolicy()


@dataclass(frozen=True)
class ReportTarget:
    url: str
    run_uuid: str
    deadline: float | None = None  # unix seconds

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ReportTarget:
        env = os.environ if environ is None else environ
        url = env.get("KH_REPORTING_URL", "").strip()
        run_uuid = env.get("KH_RUN_UUID", "").strip()
        missing = [
            name
            for name, value in (("KH_REPORTING_URL", url), ("KH_RUN_UUID", run_uuid))
            if not value
        ]
        if missing:
            raise ReportingNotConfigured(
                f"{' and '.join(missing)} not set: "
                "this checker must run as a Patrol or Kuberhealthy check pod"
            )
        if not url.startswith(("http://", "https://")):
            raise ReportingNotConfigured(f"KH_REPORTING_URL={url!r} is not an http(s) URL")
        try:
            deadline = read_deadline(env)
        except ConfigError as error:
            raise ReportingNotConfigured(str(error)) from None
        return cls(url=url, run_uuid=run_uuid, deadline=deadline)


def report_success(
    *, environ: Mapping[str, str] | None = None, policy: RetryPolicy = DEFAULT_RETRY_POLICY
) -> None:
    send_report(ReportTarget.from_env(environ), ok=True, errors=(), policy=policy)


def report_failure(
    errors: Sequence[str],
    *,
    environ: Mapping[str, str] | None = None,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
) -> None:
    if isinstance(errors, str):
        raise TypeError("report_failure takes a sequence of error messages, not a single string")
    if not errors or any(not str(error).strip() for error in errors):
        # Kuberhealthy answers 400 to a failure without error text; say why before sending.
        raise ValueError("report_failure needs at least one non-blank error message")
    send_report(ReportTarget.from_env(environ), ok=False, errors=errors, policy=policy)


def send_report(
    target: ReportTarget,
    *,
    ok: bool,
    errors: Sequence[str],
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
) -> None:
    body = json.dumps({"OK": ok, "Errors": [str(error) for error in errors]}).encode()
    request_headers = {"Content-Type": "application/json", "kh-run-uuid": target.run_uuid}
    give_up_at = _give_up_at(target, policy)
    attempt = 0
    while True:
        attempt += 1
        timeout = _attempt_timeout(give_up_at, policy)
        request = urllib.request.Request(
            target.url, data=body, headers=request_headers, method="POST"
        )
        try:
            status, message = _exchange(request, timeout)
        except (OSError, HTTPException) as error:
            problem = f"could not reach {_without_query(target.url)}: {error}"
        else:
            if 200 <= status < 300:
                logger.info("reported OK=%s to %s", ok, _without_query(target.url))
                return
            if status == 410:
                raise ReportTooLate(status, message)
            if 300 <= status < 500 and status not in _RETRYABLE_CLIENT_STATUSES:
                raise ReportRejected(status, message)
            problem = (
                f"HTTP {status} from {_without_query(target.url)}: {message or '(no message)'}"
            )
        pause = policy.backoff(attempt)
        if time.time() + pause >= give_up_at:
            raise ReportNotDelivered(f"gave up after {attempt} attempt(s); last error: {problem}")
        logger.warning("report attempt %d failed (%s); retrying in %.1fs", attempt, problem, pause)
        time.sleep(pause)


def wait_for_reporting_endpoint(
    timeout: timedelta | float,
    *,
    environ: Mapping[str, str] | None = None,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
) -> None:
    """GET KH_REPORTING_URL until it answers 200, as several official checks do before starting."""
    target = ReportTarget.from_env(environ)
    wait = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
    give_up_at = time.time() + wait
    if target.deadline is not None:
        give_up_at = min(give_up_at, target.deadline)
    attempt = 0
    while True:
        attempt += 1
        request = urllib.request.Request(
            target.url, headers={"kh-run-uuid": target.run_uuid}, method="GET"
        )
        try:
            status, message = _exchange(request, _attempt_timeout(give_up_at, policy))
        except (OSError, HTTPException) as error:
            problem = str(error)
        else:
            if status == 200:
                return
            problem = f"HTTP {status}: {message or '(no message)'}"
        pause = policy.backoff(attempt)
        if time.time() + pause >= give_up_at:
            raise ReportingEndpointUnavailable(
                f"{_without_query(target.url)} did not answer 200 within {wait:g}s; "
                f"last error: {problem}"
            )
        time.sleep(pause)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # Following a redirect would turn the POST into a GET and silently drop the report.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _exchange(request: urllib.request.Request, timeout: float) -> tuple[int, str]:
    try:
        with _opener.open(request, timeout=timeout) as response:
            return int(response.status), _message(response.read(_MAX_MESSAGE_BYTES))
    except urllib.error.HTTPError as error:
        if error.fp is None:
            return error.code, str(error.reason)
        with error:
            return error.code, _message(error.read(_MAX_MESSAGE_BYTES))


def _without_query(url: str) -> str:
    # The query string may carry a token meant for the server only, so keep it out of pod logs.
    return url.partition("?")[0]


def _message(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").strip()


def _give_up_at(target: ReportTarget, policy: RetryPolicy) -> float:
    give_up_at = time.time() + policy.budget.total_seconds()
    if target.deadline is not None:
        give_up_at = min(give_up_at, target.deadline)
    return give_up_at


def _attempt_timeout(give_up_at: float, policy: RetryPolicy) -> float:
    # Always allow a short attempt, even past the deadline: the server decides lateness.
    return max(0.5, min(policy.request_timeout.total_seconds(), give_up_at - time.time()))
