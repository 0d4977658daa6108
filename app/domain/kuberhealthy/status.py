"""Kuberhealthy's status JSON (v2 shape), from what Patrol knows of each check in each cluster."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.domain.check_status import CheckHealth, health_of
from app.domain.duration import format_duration
from app.domain.run_lifecycle import RunStatus

# Go's zero time, as Kuberhealthy writes a LastRun that never happened.
GO_ZERO_TIME = "0001-01-01T00:00:00Z"


@dataclass(frozen=True, kw_only=True)
class CheckState:
    """One check in one cluster, with its last decided run."""

    namespace: str
    name: str
    cluster: str
    one_shot: bool
    consecutive_failures: int = 0
    last_success_at: datetime | None = None
    last_run_id: uuid.UUID | None = None
    last_run_status: RunStatus | None = None
    last_run_started_at: datetime | None = None
    last_run_finished_at: datetime | None = None
    last_run_errors: tuple[str, ...] = ()
    last_run_reason: str | None = None
    node: str = ""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def ok(self) -> bool:
        """A check that has not run yet has nothing wrong with it, as in Kuberhealthy."""
        health = None if self.last_run_status is None else health_of(self.last_run_status)
        return health in (None, CheckHealth.PASSING)

    @property
    def errors(self) -> list[str]:
        if self.ok:
            return []
        if self.last_run_errors:
            return list(self.last_run_errors)
        # An execution error (no report): say so as Kuberhealthy v2 does.
        what = (
            "timed out waiting for checker pod to report in"
            if self.last_run_status is RunStatus.TIMED_OUT
            else f"the check could not run ({self.last_run_reason or 'error'})"
        )
        return [f"Check execution error: {self.key}: {what}"]

    @property
    def run_duration(self) -> timedelta | None:
        started, finished = self.last_run_started_at, self.last_run_finished_at
        return None if started is None or finished is None else finished - started


def status_document(
    states: list[CheckState], *, current_master: str, with_cluster_in_key: bool
) -> dict[str, Any]:
    """`{OK, Errors, CheckDetails, JobDetails, CurrentMaster, Metadata}`. Details are keyed
    `<namespace>/<name>`, or `<cluster>/<namespace>/<name>` when several clusters are shown."""
    checks: dict[str, Any] = {}
    jobs: dict[str, Any] = {}
    errors: list[str] = []
    for state in sorted(states, key=lambda s: (s.cluster, s.namespace, s.name)):
        key = f"{state.cluster}/{state.key}" if with_cluster_in_key else state.key
        (jobs if state.one_shot else checks)[key] = _details(state, current_master)
        errors.extend(state.errors)
    return {
        "OK": all(state.ok for state in states),
        "Errors": errors,
        "CheckDetails": checks,
        "JobDetails": jobs,
        "CurrentMaster": current_master,
        "Metadata": {},
    }


def go_duration(value: timedelta | None) -> str:
    return "" if value is None else format_duration(value)


def rfc3339(value: datetime | None) -> str:
    if value is None:
        return GO_ZERO_TIME
    text = value.isoformat().replace("+00:00", "Z")
    if "." in text:
        whole, fraction = text[:-1].split(".")
        text = f"{whole}.{fraction.rstrip('0')}Z" if fraction.rstrip("0") else f"{whole}Z"
    return text


def _details(state: CheckState, current_master: str) -> dict[str, Any]:
    return {
        "OK": state.ok,
        "Errors": state.errors,
        "RunDuration": go_duration(state.run_duration),
        "Namespace": state.namespace,
        "Node": state.node,
        "LastRun": rfc3339(state.last_run_started_at),
        "AuthoritativePod": current_master,
        "uuid": "" if state.last_run_id is None else str(state.last_run_id),
    }
