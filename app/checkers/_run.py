"""The shared `main()` of every built-in checker: read settings, run the check, report, exit."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping

from app.checkers._env import ConfigError
from app.checkers._result import CheckResult
from app.checkers.client import (
    DEFAULT_RETRY_POLICY,
    ReportError,
    ReportTarget,
    RetryPolicy,
    send_report,
)

logger = logging.getLogger("app.checkers")

Check = Callable[[Mapping[str, str]], CheckResult]


def run_checker(
    name: str,
    check: Check,
    *,
    environ: Mapping[str, str] | None = None,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
) -> int:
    """Run `check` on the environment and report the result; exit code 1 means reporting failed."""
    env = os.environ if environ is None else environ
    try:
        target = ReportTarget.from_env(env)
    except ReportError as error:
        logger.error("%s: cannot report: %s", name, error)
        return 1
    result = _run_safely(name, check, env)
    if result.ok:
        logger.info("%s: check passed", name)
    for message in result.errors:
        logger.error("%s: %s", name, message)
    try:
        send_report(target, ok=result.ok, errors=result.errors, policy=policy)
    except ReportError as error:
        logger.error("%s: reporting failed: %s", name, error)
        return 1
    return 0


def configure_logging() -> None:
    # Checker pods' stdout is the run log Patrol captures.
    logging.basicConfig(
        stream=sys.stdout,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        force=True,
    )


def _run_safely(name: str, check: Check, environ: Mapping[str, str]) -> CheckResult:
    try:
        return check(environ)
    except ConfigError as error:
        return CheckResult.failed(f"{name}: invalid configuration: {error}")
    except Exception as error:  # a crashing checker must still report why
        logger.exception("%s: checker crashed", name)
        return CheckResult.failed(f"{name}: checker crashed: {type(error).__name__}: {error}")
