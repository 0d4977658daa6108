"""The life of a run, in one place: its states, the events that may move it, which of two racing
events wins, and the grace periods that settle races (pure: no I/O, no clock).

```
pending ──started──▶ running ──report OK──────────▶ succeeded ┐
   │                    ├──report not OK──────────▶ failed    │
   │                    ├──deadline passed────────▶ timed_out ├─ finalize: logs, events, pod gone
   │                    ├──pod cannot run / died──▶ error     │   (sets finalized_at)
   └─launch failed / cancelled─────────────────────▶ error / cancelled ┘
```

Every decision is a compare-and-set in the database: "move this run from one of `Rule.from_states`
to the outcome, if the deadline guard holds". Whoever's update changes the row has decided the run;
everyone else lost the race and does nothing. `apply` is the same rule on a snapshot, for tests and
for explaining a refusal.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


class RunTrigger(enum.StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    API = "api"


class RunStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    ERROR = "error"
    CANCELLED = "cancelled"

    @classmethod
    def in_flight(cls) -> tuple[RunStatus, ...]:
        return (cls.PENDING, cls.RUNNING)

    @property
    def is_terminal(self) -> bool:
        return self not in RunStatus.in_flight()


class FailureReason(enum.StrEnum):
    """Why a run did not succeed: the check said so, or Patrol could not execute it."""

    CHECK_FAILED = "check_failed"
    TIMED_OUT = "timed_out"
    IMAGE_PULL = "image_pull"
    UNSCHEDULABLE = "unschedulable"
    EXITED_WITHOUT_REPORT = "exited_without_report"
    POD_DELETED = "pod_deleted"
    API_REJECTED = "api_rejected"
    LAUNCH_FAILED = "launch_failed"
    CANCELLED = "cancelled"


# The grace periods that settle races, with the race each one settles.

EXIT_GRACE = timedelta(seconds=3)
"""A pod that ended may have sent its report a moment before: wait this long after seeing it end
before deciding `exited_without_report`, so that a report still in flight wins."""

FINALIZE_DELAY = timedelta(seconds=1)
"""A checker that reported usually exits a moment later and writes its last log lines then: a run
is handed to finalize this long after its decision."""

STILL_RUNNING_GRACE = timedelta(seconds=10)
"""Finalize waits (retrying) for a checker that reported but is still running, up to this long
after the decision, before taking its logs anyway and deleting the pod."""

FINALIZE_STALLED = timedelta(seconds=15)
"""A healthy finalize is done within `STILL_RUNNING_GRACE` of the decision. One not done this long
after it was lost with a killed worker, whose claim on the job keeps the queue from running it
again for minutes: the finalize sweep then hands the run to a new finalize job, one per period
(see `finalize_generation`). Two finalizes of a run are harmless: the first to store wins."""


def finalize_generation(decided_at: datetime, now: datetime) -> int:
    """Which finalize job a run is on: 0 at first, one more for each `FINALIZE_STALLED` since
    its decision."""
    return max(0, (now - decided_at) // FINALIZE_STALLED)


PENDING_GRACE = timedelta(seconds=30)
"""A run still pending this long after its creation lost its launch (a killed process, a lost
Redis): the reconciler launches it again (launches are idempotent)."""

REAP_AFTER_DEADLINE = timedelta(minutes=5)
"""The reaper deletes a Patrol pod whose run is this far past its deadline even if the run was
never finalized: a decided run is finalized within seconds, so nothing needs the pod any more."""


@dataclass(frozen=True, slots=True)
class Outcome:
    status: RunStatus
    errors: tuple[str, ...] = ()
    failure_reason: FailureReason | None = None

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.SUCCEEDED


def succeeded() -> Outcome:
    return Outcome(RunStatus.SUCCEEDED)


def check_failed(errors: Sequence[str]) -> Outcome:
    return Outcome(RunStatus.FAILED, tuple(errors), FailureReason.CHECK_FAILED)


def execution_error(reason: FailureReason, message: str) -> Outcome:
    return Outcome(RunStatus.ERROR, (message,), reason)


def timed_out(namespace: str, check_name: str) -> Outcome:
    """Kuberhealthy's own wording, which dashboards and alert rules already match on."""
    return Outcome(
        RunStatus.TIMED_OUT,
        (
            f"Check execution error: {namespace}/{check_name}: "
            "timed out waiting for checker pod to report in",
        ),
        FailureReason.TIMED_OUT,
    )


def cancelled(message: str) -> Outcome:
    return Outcome(RunStatus.CANCELLED, (message,), FailureReason.CANCELLED)


def exited_without_report(exit_code: int | None, reason: str | None) -> Outcome:
    detail = f" (exit code {exit_code}, {reason})" if exit_code is not None else ""
    return execution_error(
        FailureReason.EXITED_WITHOUT_REPORT, f"the checker pod exited without reporting{detail}"
    )


def pod_deleted() -> Outcome:
    return execution_error(
        FailureReason.POD_DELETED, "the checker pod was deleted before it reported"
    )


class DeadlineGuard(enum.Enum):
    """How a decision relates to the run's deadline, checked in the same compare-and-set."""

    NONE = "none"
    NOT_PAST = "not past"  # a report counts only until the deadline (inclusive)
    PAST = "past"  # only the deadline sweep decides a run whose deadline has passed


@dataclass(frozen=True, slots=True)
class Rule:
    """Which runs a decision may move, as the compare-and-set checks it."""

    from_states: frozenset[RunStatus]
    deadline: DeadlineGuard = DeadlineGuard.NONE

    def allows(self, status: RunStatus, deadline_at: datetime | None, now: datetime) -> bool:
        if status not in self.from_states:
            return False
        if self.deadline is DeadlineGuard.NOT_PAST:
            return deadline_at is not None and now <= deadline_at
        if self.deadline is DeadlineGuard.PAST:
            return deadline_at is not None and now > deadline_at
        return True


IN_FLIGHT = frozenset(RunStatus.in_flight())
START = Rule(frozenset({RunStatus.PENDING}))
"""A launch moves a pending run to running (with its deadline); a second launch finds it running."""
REPORT = Rule(IN_FLIGHT, DeadlineGuard.NOT_PAST)
"""A checker's report decides a run until its deadline; the first report wins."""
DEADLINE = Rule(frozenset({RunStatus.RUNNING}), DeadlineGuard.PAST)
"""The deadline sweep times out a running run whose deadline has passed."""
EXECUTION = Rule(IN_FLIGHT)
"""What Patrol saw of the pod (it cannot run, it was deleted, it exited without reporting) or of
the launch (the API refused it) decides a run still in flight, deadline or not."""
CANCEL = Rule(IN_FLIGHT)


class Refusal(enum.Enum):
    """Why a report did not decide its run; the report endpoint maps these to HTTP."""

    UNKNOWN_RUN = "unknown run"
    NOT_STARTED = "not started"
    ALREADY_DECIDED = "already decided"
    TOO_LATE = "too late"


def report_refusal(
    status: RunStatus | None, deadline_at: datetime | None, now: datetime
) -> Refusal:
    """Why a report for a run in this state is not accepted (it lost the compare-and-set)."""
    if status is None:
        return Refusal.UNKNOWN_RUN
    past_deadline = deadline_at is not None and now > deadline_at
    if status is RunStatus.TIMED_OUT or (past_deadline and not status.is_terminal):
        return Refusal.TOO_LATE
    if status.is_terminal:
        return Refusal.ALREADY_DECIDED
    return Refusal.NOT_STARTED


def exit_decision_due(exited_at: datetime, now: datetime) -> bool:
    """Whether a pod seen ended at `exited_at` has had its grace for a report in flight."""
    return now >= exited_at + EXIT_GRACE


def should_wait_for_exit(
    status: RunStatus, pod_phase: str | None, decided_at: datetime | None, now: datetime
) -> bool:
    """Finalize waits for a checker that reported and is still running (its last log lines)."""
    return (
        status in (RunStatus.SUCCEEDED, RunStatus.FAILED)
        and pod_phase in ("Pending", "Running")
        and decided_at is not None
        and now - decided_at < STILL_RUNNING_GRACE
    )


@dataclass(frozen=True, slots=True)
class RunSnapshot:
    """The parts of a run the rules read and write."""

    status: RunStatus = RunStatus.PENDING
    deadline_at: datetime | None = None
    errors: tuple[str, ...] = ()
    failure_reason: FailureReason | None = None
    finished_at: datetime | None = None


def start(run: RunSnapshot, *, now: datetime, timeout: timedelta) -> RunSnapshot | None:
    """The run after its launch started it; None when it was not pending."""
    if not START.allows(run.status, run.deadline_at, now):
        return None
    return replace(run, status=RunStatus.RUNNING, deadline_at=now + timeout)


def decide(run: RunSnapshot, rule: Rule, outcome: Outcome, *, now: datetime) -> RunSnapshot | None:
    """The run after `outcome` decided it under `rule`; None when the decision lost the race."""
    if not rule.allows(run.status, run.deadline_at, now):
        return None
    return replace(
        run,
        status=outcome.status,
        errors=outcome.errors,
        failure_reason=outcome.failure_reason,
        finished_at=now,
    )
