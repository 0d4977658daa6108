"""HTTP check with Kuberhealthy http-check's settings: `python -m app.checkers.http`.

CHECK_URL (required, http:// or https://), COUNT requests (default 1; 0 also means 1 here, where
Kuberhealthy made no request and passed), SECONDS between requests (default 0; seconds or a Go
duration), PASSING_PERCENT of requests that must succeed (default 100; 0 means 100 as in
Kuberhealthy), REQUEST_TYPE GET|POST|PUT|DELETE|PATCH (default GET), REQUEST_BODY sent with every
method but GET (default `{}`), EXPECTED_STATUS_CODE (default 200). Redirects are followed.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from http.client import HTTPException

from app.checkers._budget import Budget
from app.checkers._env import ConfigError, read_deadline, read_duration, read_int, read_str
from app.checkers._result import CheckResult
from app.checkers._run import configure_logging, run_checker

logger = logging.getLogger(__name__)

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
REQUEST_TIMEOUT = timedelta(seconds=30)
USER_AGENT = "patrol-http-check/1"


@dataclass(frozen=True)
class HttpCheckSettings:
    url: str
    count: int = 1
    delay: timedelta = timedelta(0)
    passing_percent: int = 100
    method: str = "GET"
    body: str | None = None
    expected_status: int = 200

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> HttpCheckSettings:
        url = read_str(environ, "CHECK_URL")
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"CHECK_URL={redact(url)!r} must be an http:// or https:// URL with a host"
            )
        method = read_str(environ, "REQUEST_TYPE", "GET").upper()
        if method not in METHODS:
            raise ConfigError(f"REQUEST_TYPE={method!r} is not one of {', '.join(METHODS)}")
        return cls(
            url=url,
            count=max(1, read_int(environ, "COUNT", 1, minimum=0)),
            delay=read_duration(environ, "SECONDS", timedelta(0)),
            passing_percent=read_int(environ, "PASSING_PERCENT", 100, minimum=0, maximum=100)
            or 100,
            method=method,
            body=None if method == "GET" else read_str(environ, "REQUEST_BODY", "{}"),
            expected_status=read_int(
                environ, "EXPECTED_STATUS_CODE", 200, minimum=100, maximum=599
            ),
        )

    @property
    def label(self) -> str:
        return f"{self.method} {redact(self.url)}"


@dataclass(frozen=True)
class Attempt:
    ok: bool
    detail: str


def evaluate(settings: HttpCheckSettings, budget: Budget) -> CheckResult:
    attempts: list[Attempt] = []
    for number in range(1, settings.count + 1):
        if number > 1 and not _pause(settings.delay, budget):
            break
        if budget.exhausted():
            break
        timeout = budget.timeout(REQUEST_TIMEOUT, share=settings.count - number + 1)
        attempt = request_once(settings, timeout)
        attempts.append(attempt)
        logger.info("request %d/%d: %s: %s", number, settings.count, settings.label, attempt.detail)
    return judge(settings, attempts)


def request_once(settings: HttpCheckSettings, timeout: timedelta) -> Attempt:
    headers = {"User-Agent": USER_AGENT}
    data = None
    if settings.body is not None:
        data = settings.body.encode()
        headers["Content-Type"] = _content_type(settings.body)
    request = urllib.request.Request(
        settings.url, data=data, headers=headers, method=settings.method
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout.total_seconds()) as response:
            status = int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        status = error.code
    except urllib.error.URLError as error:
        return Attempt(ok=False, detail=f"connection failed: {error.reason}")
    except TimeoutError:
        return Attempt(ok=False, detail=f"no response within {timeout.total_seconds():g}s")
    except (OSError, HTTPException) as error:
        return Attempt(ok=False, detail=f"connection failed: {type(error).__name__}: {error}")
    if status != settings.expected_status:
        return Attempt(ok=False, detail=f"got status {status}, expected {settings.expected_status}")
    return Attempt(ok=True, detail=f"got status {status}")


def judge(settings: HttpCheckSettings, attempts: Sequence[Attempt]) -> CheckResult:
    """Requests the deadline left no time for count as failed."""
    passed = sum(attempt.ok for attempt in attempts)
    failed = settings.count - passed
    if passed * 100 >= settings.passing_percent * settings.count:
        return CheckResult.passed()
    last_error = next((attempt.detail for attempt in reversed(attempts) if not attempt.ok), None)
    if len(attempts) < settings.count:
        skipped = f"{settings.count - len(attempts)} not attempted before the run deadline"
        last_error = f"{last_error}; {skipped}" if last_error else skipped
    return CheckResult.failed(
        f"{settings.label}: {failed}/{settings.count} requests failed, "
        f"passing percent {settings.passing_percent} not met; last error: {last_error}"
    )


def redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:xxxxx@{parts.netloc.rpartition('@')[2]}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def check_from_env(environ: Mapping[str, str]) -> CheckResult:
    return evaluate(
        HttpCheckSettings.from_env(environ), Budget.until_deadline(read_deadline(environ))
    )


def main() -> None:
    configure_logging()
    raise SystemExit(run_checker("http-check", check_from_env))


def _pause(delay: timedelta, budget: Budget) -> bool:
    remaining = budget.remaining()
    if remaining is not None and remaining <= delay:
        return False
    time.sleep(delay.total_seconds())
    return True


def _content_type(body: str) -> str:
    try:
        json.loads(body)
    except ValueError:
        return "text/plain; charset=utf-8"
    return "application/json"


if __name__ == "__main__":
    main()
