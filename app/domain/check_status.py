"""What a check is doing in one cluster, derived from its decided runs (pure).

The status follows the run that *started* last: when runs are decided out of order (a manual run
and a scheduled one overlapping, a late watcher decision), an older run's decision never
overwrites a newer one's. A transition is produced only when the status really changes.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from app.domain.run_lifecycle import RunStatus


class CheckHealth(enum.StrEnum):
    UNKNOWN = "unknown"  # no run decided yet
    PASSING = "passing"  # the last run succeeded
    FAILING = "failing"  # the checker reported a failure
    ERROR = "error"  # the check could not be executed (timeout, image pull, unschedulable, ...)
    PAUSED = "paused"  # not scheduled


def health_of(status: RunStatus) -> CheckHealth | None:
    """The health a decided run implies; None for a run that says nothing (cancelled)."""
    if status is RunStatus.SUCCEEDED:
        return CheckHealth.PASSING
    if status is RunStatus.FAILED:
        return CheckHealth.FAILING
    if status in (RunStatus.TIMED_OUT, RunStatus.ERROR):
        return CheckHealth.ERROR
    return None


@dataclass(frozen=True, slots=True)
class StatusState:
    status: CheckHealth = CheckHealth.UNKNOWN
    since: datetime | None = None
    consecutive_failures: int = 0  # runs in a row that did not succeed (failed or error)
    consecutive_successes: int = 0
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_run_id: uuid.UUID | None = None
    last_run_status: RunStatus | None = None
    last_run_started_at: datetime | None = None
    paused: bool = False


@dataclass(frozen=True, slots=True)
class Decided:
    """A decided run as the status sees it."""

    run_id: uuid.UUID
    status: RunStatus
    started_at: datetime  # when it started (its scheduled time if it never did)
    finished_at: datetime


@dataclass(frozen=True, slots=True)
class Transition:
    previous: CheckHealth
    current: CheckHealth
    at: datetime
    run_id: uuid.UUID | None


def after_decision(state: StatusState, run: Decided) -> tuple[StatusState, Transition | None]:
    """The status after a decided run; unchanged for a run older than the one it follows."""
    health = health_of(run.status)
    if health is None or (
        state.last_run_started_at is not None and run.started_at < state.last_run_started_at
    ):
        return state, None
    succeeded = health is CheckHealth.PASSING
    updated = replace(
        state,
        consecutive_failures=0 if succeeded else state.consecutive_failures + 1,
        consecutive_successes=state.consecutive_successes + 1 if succeeded else 0,
        last_success_at=run.finished_at if succeeded else state.last_success_at,
        last_failure_at=state.last_failure_at if succeeded else run.finished_at,
        last_run_id=run.run_id,
        last_run_status=run.status,
        last_run_started_at=run.started_at,
    )
    return _moved_to(
        updated, CheckHealth.PAUSED if state.paused else health, run.finished_at, run.run_id
    )


def paused(state: StatusState, now: datetime) -> tuple[StatusState, Transition | None]:
    return _moved_to(replace(state, paused=True), CheckHealth.PAUSED, now, None)


def resumed(state: StatusState, now: datetime) -> tuple[StatusState, Transition | None]:
    """Back to what its last run said (unknown before any run)."""
    health = None if state.last_run_status is None else health_of(state.last_run_status)
    return _moved_to(replace(state, paused=False), health or CheckHealth.UNKNOWN, now, None)


def _moved_to(
    state: StatusState, health: CheckHealth, at: datetime, run_id: uuid.UUID | None
) -> tuple[StatusState, Transition | None]:
    if health is state.status and state.since is not None:
        return state, None
    transition = (
        Transition(state.status, health, at, run_id) if health is not state.status else None
    )
    return replace(state, status=health, since=at), transition
