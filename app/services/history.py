"""The durable record of what happened: each check's status per cluster and the event log, written
in the transaction that made it happen. Building blocks: they take the caller's session and never
commit; a caller that commits events then nudges their readers (see `app/services/__init__.py`)."""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.check_status import (
    Decided,
    StatusState,
    Transition,
    after_decision,
    paused,
    resumed,
)
from app.domain.run_lifecycle import FailureReason, RunStatus, RunTrigger
from app.models import CheckStatus, Event, EventKind, Run

StatusKey = tuple[uuid.UUID, uuid.UUID]  # (check, cluster)
Change = Callable[[StatusState], tuple[StatusState, list[Transition]]]
ATTEMPTS = 10


class CheckChange(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"  # any edit: a pause or a resume too
    DELETED = "deleted"


class StatusContention(RuntimeError):
    """A check's status row kept changing under this transaction; the caller may retry it."""


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What the event log says about a run at one step of its life."""

    run_id: uuid.UUID
    check_id: uuid.UUID
    cluster_id: uuid.UUID
    status: RunStatus
    trigger: RunTrigger
    scheduled_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    failure_reason: FailureReason | None = None
    errors: tuple[str, ...] = ()

    @classmethod
    def of(cls, run: Run) -> RunFacts:
        return cls(
            run_id=run.id,
            check_id=run.check_id,
            cluster_id=run.cluster_id,
            status=run.status,
            trigger=run.trigger,
            scheduled_at=run.scheduled_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            failure_reason=run.failure_reason,
            errors=tuple(run.errors),
        )

    def payload(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "trigger": self.trigger.value,
            "scheduledAt": self.scheduled_at.isoformat(),
            "startedAt": self.started_at.isoformat() if self.started_at else None,
            "finishedAt": self.finished_at.isoformat() if self.finished_at else None,
            "failureReason": self.failure_reason.value if self.failure_reason else None,
        }


async def record_runs(
    session: AsyncSession, kind: EventKind, runs: Sequence[RunFacts], *, now: datetime
) -> None:
    """Log a lifecycle step (created, started, finalized) of each run."""
    await _append(
        session,
        [
            _event(kind, now, run.check_id, run.cluster_id, run.run_id, run.payload())
            for run in runs
        ],
    )


async def record_check_change(
    session: AsyncSession,
    change: CheckChange,
    *,
    check_id: uuid.UUID,
    namespace: str,
    name: str,
    version: int,
    now: datetime,
) -> None:
    """Log that a check was created, edited or deleted, for the pages that list checks."""
    payload = {"change": change.value, "namespace": namespace, "name": name, "version": version}
    await _append(session, [_event(EventKind.CHECK_CHANGED, now, check_id, None, None, payload)])


async def record_decisions(
    session: AsyncSession, decided: Sequence[RunFacts], *, now: datetime
) -> list[Transition]:
    """Log the decided runs and move their checks' statuses, flips logged too."""
    events = [
        _event(EventKind.RUN_DECIDED, now, run.check_id, run.cluster_id, run.run_id, run.payload())
        for run in decided
    ]
    by_key: dict[StatusKey, list[Decided]] = defaultdict(list)
    for run in decided:
        assert run.finished_at is not None
        by_key[(run.check_id, run.cluster_id)].append(
            Decided(run.run_id, run.status, run.started_at or run.scheduled_at, run.finished_at)
        )
    transitions: list[Transition] = []
    for key, runs in by_key.items():
        ordered = sorted(runs, key=lambda run: run.started_at)
        for transition in await _change(session, key, _deciding(ordered), now=now):
            transitions.append(transition)
            events.append(_status_event(key, transition, now))
    await _append(session, events)
    return transitions


async def set_paused(
    session: AsyncSession, check_id: uuid.UUID, *, is_paused: bool, now: datetime
) -> None:
    """Pause (or resume) the check's status in every cluster it has one in."""
    cluster_ids = (
        await session.exec(select(CheckStatus.cluster_id).where(CheckStatus.check_id == check_id))
    ).all()
    change = _one_step(
        (lambda state: paused(state, now)) if is_paused else (lambda state: resumed(state, now))
    )
    events = []
    for cluster_id in cluster_ids:
        for transition in await _change(session, (check_id, cluster_id), change, now=now):
            events.append(_status_event((check_id, cluster_id), transition, now))
    await _append(session, events)


async def sync_memberships(
    session: AsyncSession,
    check_id: uuid.UUID,
    cluster_ids: Iterable[uuid.UUID],
    *,
    is_paused: bool,
    now: datetime,
) -> None:
    """A status row (unknown, or paused) for each cluster the check runs in, and none for others."""
    wanted = set(cluster_ids)
    await session.exec(
        delete(CheckStatus).where(
            col(CheckStatus.check_id) == check_id, col(CheckStatus.cluster_id).not_in(wanted)
        )
    )
    await _add_statuses(session, check_id, wanted, is_paused=is_paused, now=now)


async def add_membership(
    session: AsyncSession,
    check_id: uuid.UUID,
    cluster_id: uuid.UUID,
    *,
    is_paused: bool,
    now: datetime,
) -> None:
    """A status row for the check in one more cluster; the check's other rows stay as they are."""
    await _add_statuses(session, check_id, {cluster_id}, is_paused=is_paused, now=now)


async def _add_statuses(
    session: AsyncSession,
    check_id: uuid.UUID,
    cluster_ids: set[uuid.UUID],
    *,
    is_paused: bool,
    now: datetime,
) -> None:
    if not cluster_ids:
        return
    state = StatusState(paused=is_paused)
    first, _ = paused(state, now) if is_paused else (StatusState(since=now), None)
    insert = _insert_ignoring_conflicts(session)
    await session.exec(
        insert(CheckStatus).on_conflict_do_nothing(),
        params=[_row((check_id, cluster_id), first, version=1) for cluster_id in cluster_ids],
    )


def _deciding(runs: list[Decided]) -> Change:
    def change(state: StatusState) -> tuple[StatusState, list[Transition]]:
        transitions = []
        for run in runs:
            state, transition = after_decision(state, run)
            if transition is not None:
                transitions.append(transition)
        return state, transitions

    return change


def _one_step(step: Callable[[StatusState], tuple[StatusState, Transition | None]]) -> Change:
    def change(state: StatusState) -> tuple[StatusState, list[Transition]]:
        updated, transition = step(state)
        return updated, [] if transition is None else [transition]

    return change


async def _change(
    session: AsyncSession, key: StatusKey, change: Change, *, now: datetime
) -> list[Transition]:
    """Apply `change` to the key's status with a compare-and-set on its version, re-reading and
    re-applying when another transaction changed it first."""
    for _ in range(ATTEMPTS):
        row = (
            await session.exec(
                select(CheckStatus)
                .where(col(CheckStatus.check_id) == key[0], col(CheckStatus.cluster_id) == key[1])
                .execution_options(populate_existing=True)
            )
        ).first()
        if row is None:
            created, transitions = change(StatusState())
            if created.since is None:
                return []  # nothing to say yet (a cancelled run of a check without a status)
            insert = _insert_ignoring_conflicts(session)
            result = await session.exec(
                insert(CheckStatus).values(**_row(key, created, version=1)).on_conflict_do_nothing()
            )
            if result.rowcount == 1:
                return transitions
            continue
        state = _state_of(row)
        updated, transitions = change(state)
        if updated == state:
            return []
        values = _row(key, updated, version=row.version + 1)
        result = await session.exec(
            sa.update(CheckStatus)
            .where(
                col(CheckStatus.check_id) == key[0],
                col(CheckStatus.cluster_id) == key[1],
                col(CheckStatus.version) == row.version,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            return transitions
    raise StatusContention(f"the status of check {key[0]} in cluster {key[1]} kept changing")


def _state_of(row: CheckStatus) -> StatusState:
    return StatusState(
        status=row.status,
        since=row.since,
        consecutive_failures=row.consecutive_failures,
        consecutive_successes=row.consecutive_successes,
        last_success_at=row.last_success_at,
        last_failure_at=row.last_failure_at,
        last_run_id=row.last_run_id,
        last_run_status=row.last_run_status,
        last_run_started_at=row.last_run_started_at,
        paused=row.paused,
    )


async def _append(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    if events:
        await session.exec(sa.insert(Event), params=events)


def _event(
    kind: EventKind,
    at: datetime,
    check_id: uuid.UUID,
    cluster_id: uuid.UUID | None,
    run_id: uuid.UUID | None,
    payload: dict[str, Any],
) -> dict[str, Any]:
    return {
        "at": at,
        "kind": kind,
        "check_id": check_id,
        "cluster_id": cluster_id,
        "run_id": run_id,
        "payload": payload,
    }


def _status_event(key: StatusKey, transition: Transition, now: datetime) -> dict[str, Any]:
    return _event(
        EventKind.STATUS_CHANGED,
        now,
        key[0],
        key[1],
        transition.run_id,
        {"from": transition.previous.value, "to": transition.current.value},
    )


def _row(key: StatusKey, state: StatusState, *, version: int) -> dict[str, Any]:
    assert state.since is not None
    return {
        "check_id": key[0],
        "cluster_id": key[1],
        "status": state.status,
        "since": state.since,
        "consecutive_failures": state.consecutive_failures,
        "consecutive_successes": state.consecutive_successes,
        "last_success_at": state.last_success_at,
        "last_failure_at": state.last_failure_at,
        "last_run_id": state.last_run_id,
        "last_run_status": state.last_run_status,
        "last_run_started_at": state.last_run_started_at,
        "paused": state.paused,
        "version": version,
    }


def _insert_ignoring_conflicts(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
