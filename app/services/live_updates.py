"""What the live subscriptions select from the event log, and what its events say: a step in a
run's life (`runUpdates`, with the filters of `runs`), a check's status flipping in one cluster
(`checkStatusChanged`), or a check created, edited or deleted (`checkChanges`)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from app.domain.check_status import CheckHealth
from app.domain.run_lifecycle import FailureReason, RunStatus, RunTrigger
from app.models import EventKind
from app.services.event_fanout import EventSelector, LoggedEvent
from app.services.history import CheckChange
from app.services.listing import RunFilter


class RunStep(enum.StrEnum):
    CREATED = "created"
    STARTED = "started"
    DECIDED = "decided"
    FINALIZED = "finalized"


RUN_STEPS = {
    EventKind.RUN_CREATED: RunStep.CREATED,
    EventKind.RUN_STARTED: RunStep.STARTED,
    EventKind.RUN_DECIDED: RunStep.DECIDED,
    EventKind.RUN_FINALIZED: RunStep.FINALIZED,
}


@dataclass(frozen=True, slots=True)
class RunUpdate:
    """A run as it stood at one step of its life (see `history.RunFacts.payload`)."""

    step: RunStep
    at: datetime
    run_id: uuid.UUID
    check_id: uuid.UUID
    cluster_id: uuid.UUID
    status: RunStatus
    trigger: RunTrigger
    scheduled_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    failure_reason: FailureReason | None

    @classmethod
    def of(cls, event: LoggedEvent) -> RunUpdate:
        # Run events always name their check, cluster and run.
        assert event.run_id is not None and event.cluster_id is not None
        assert event.check_id is not None
        payload = event.payload
        reason = payload.get("failureReason")
        return cls(
            step=RUN_STEPS[event.kind],
            at=event.at,
            run_id=event.run_id,
            check_id=event.check_id,
            cluster_id=event.cluster_id,
            status=RunStatus(payload["status"]),
            trigger=RunTrigger(payload["trigger"]),
            scheduled_at=datetime.fromisoformat(payload["scheduledAt"]),
            started_at=_instant(payload.get("startedAt")),
            finished_at=_instant(payload.get("finishedAt")),
            failure_reason=FailureReason(reason) if reason else None,
        )


def run_updates(where: RunFilter) -> EventSelector:
    """The steps of the runs that `runs(filter: where)` would list."""

    def admitted(event: LoggedEvent) -> bool:
        update = event.view(RunUpdate.of)
        return where.admits(
            check_id=update.check_id,
            cluster_id=update.cluster_id,
            status=update.status,
            trigger=update.trigger,
            scheduled_at=update.scheduled_at,
        )

    narrowed_by_columns_only = (
        not where.statuses and where.trigger is None and where.since is None and where.until is None
    )
    return EventSelector(
        kinds=frozenset(RUN_STEPS),
        check_id=where.check_id,
        cluster_id=where.cluster_id,
        refine=None if narrowed_by_columns_only else admitted,
    )


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A check's status flipped in one cluster (one event per flip)."""

    at: datetime
    check_id: uuid.UUID
    cluster_id: uuid.UUID
    previous: CheckHealth
    status: CheckHealth
    # The run whose decision flipped it; None for a pause or a resume.
    run_id: uuid.UUID | None

    @classmethod
    def of(cls, event: LoggedEvent) -> StatusChange:
        assert event.cluster_id is not None and event.check_id is not None
        return cls(
            at=event.at,
            check_id=event.check_id,
            cluster_id=event.cluster_id,
            previous=CheckHealth(event.payload["from"]),
            status=CheckHealth(event.payload["to"]),
            run_id=event.run_id,
        )


@dataclass(frozen=True, kw_only=True)
class StatusChangeFilter:
    check_id: uuid.UUID | None = None
    cluster_id: uuid.UUID | None = None
    # The status flipped to; any when empty.
    statuses: list[CheckHealth] = field(default_factory=list)


def status_changes(where: StatusChangeFilter) -> EventSelector:
    statuses = frozenset(where.statuses)

    def admitted(event: LoggedEvent) -> bool:
        return event.view(StatusChange.of).status in statuses

    return EventSelector(
        kinds=frozenset({EventKind.STATUS_CHANGED}),
        check_id=where.check_id,
        cluster_id=where.cluster_id,
        refine=admitted if statuses else None,
    )


@dataclass(frozen=True, slots=True)
class CheckChanged:
    """A check as it stood once created or edited, or as it was when deleted."""

    at: datetime
    check_id: uuid.UUID
    change: CheckChange
    namespace: str
    name: str
    version: int

    @classmethod
    def of(cls, event: LoggedEvent) -> CheckChanged:
        assert event.check_id is not None
        payload = event.payload
        return cls(
            at=event.at,
            check_id=event.check_id,
            change=CheckChange(payload["change"]),
            namespace=payload["namespace"],
            name=payload["name"],
            version=payload["version"],
        )


@dataclass(frozen=True, kw_only=True)
class CheckChangeFilter:
    check_id: uuid.UUID | None = None
    namespace: str | None = None


def check_changes(where: CheckChangeFilter) -> EventSelector:
    def admitted(event: LoggedEvent) -> bool:
        return event.view(CheckChanged.of).namespace == where.namespace

    return EventSelector(
        kinds=frozenset({EventKind.CHECK_CHANGED}),
        check_id=where.check_id,
        refine=None if where.namespace is None else admitted,
    )


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
