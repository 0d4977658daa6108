"""Subscription resolvers: live updates from the event log (app/services/event_fanout.py), over
graphql-transport-ws and the legacy graphql-ws protocol."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime
from typing import Annotated, TypeAlias

import strawberry

import app.api.enums  # noqa: F401  (registers the enums before they are used)
from app.api.access import guarded_subscription
from app.api.context import Info
from app.api.inputs import (
    CheckChangeFilterInput,
    CheckStatusFilterInput,
    RunFilterInput,
    parse_id,
)
from app.api.shared_results import SharedPayload
from app.domain.access import Role
from app.domain.check_status import CheckHealth
from app.domain.log_stream import LogEndReason
from app.errors import PatrolError
from app.models import FailureReason, RunStatus, RunTrigger
from app.services.event_fanout import EventSelector, Update, parse_position
from app.services.history import CheckChange
from app.services.live_logs import LogChunk, LogEnd, LogUnavailable
from app.services.live_updates import (
    CheckChanged,
    RunStep,
    RunUpdate,
    StatusChange,
    check_changes,
    run_updates,
    status_changes,
)

EVENT_ID = (
    "Where this update stands in the event log (opaque): subscribe with `after` set to it to "
    "get, once, everything after it that the subscription selects."
)
AFTER = (
    "The `eventId` of the last update received: what the subscription selects after it is "
    "replayed from the log first, then it goes live. Without it, only what happens from now."
)


class LiveUpdatesUnavailable(PatrolError):
    code = "UNAVAILABLE"


@strawberry.type(name="RunUpdate", description="A step in a run's life, as it happened.")
class RunUpdateType(SharedPayload):
    event_id: str = strawberry.field(description=EVENT_ID)
    step: RunStep
    at: datetime = strawberry.field(description="When the step was recorded.")
    run_id: strawberry.ID
    check_id: strawberry.ID
    cluster_id: strawberry.ID
    status: RunStatus = strawberry.field(description="The run's status after this step.")
    trigger: RunTrigger
    scheduled_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    failure_reason: FailureReason | None

    @classmethod
    def _made(cls, update: Update) -> RunUpdateType:
        run = update.event.view(RunUpdate.of)
        return cls(
            event_id=update.cursor,
            step=run.step,
            at=run.at,
            run_id=strawberry.ID(str(run.run_id)),
            check_id=strawberry.ID(str(run.check_id)),
            cluster_id=strawberry.ID(str(run.cluster_id)),
            status=run.status,
            trigger=run.trigger,
            scheduled_at=run.scheduled_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            failure_reason=run.failure_reason,
        )


@strawberry.type(
    name="CheckStatusChange", description="A check's status flipped in one of its clusters."
)
class CheckStatusChangeType(SharedPayload):
    event_id: str = strawberry.field(description=EVENT_ID)
    at: datetime
    check_id: strawberry.ID
    cluster_id: strawberry.ID
    previous: CheckHealth
    status: CheckHealth
    run_id: strawberry.ID | None = strawberry.field(
        description="The run whose decision flipped it; null for a pause or a resume."
    )

    @classmethod
    def _made(cls, update: Update) -> CheckStatusChangeType:
        change = update.event.view(StatusChange.of)
        return cls(
            event_id=update.cursor,
            at=change.at,
            check_id=strawberry.ID(str(change.check_id)),
            cluster_id=strawberry.ID(str(change.cluster_id)),
            previous=change.previous,
            status=change.status,
            run_id=None if change.run_id is None else strawberry.ID(str(change.run_id)),
        )


@strawberry.type(
    name="CheckChange",
    description="A check was created, edited or deleted: what it is (or was) called then.",
)
class CheckChangeType(SharedPayload):
    event_id: str = strawberry.field(description=EVENT_ID)
    at: datetime
    check_id: strawberry.ID
    change: CheckChange
    namespace: str
    name: str
    version: int = strawberry.field(
        description="The check's version after the change (its last one, for DELETED)."
    )

    @classmethod
    def _made(cls, update: Update) -> CheckChangeType:
        changed = update.event.view(CheckChanged.of)
        return cls(
            event_id=update.cursor,
            at=changed.at,
            check_id=strawberry.ID(str(changed.check_id)),
            change=changed.change,
            namespace=changed.namespace,
            name=changed.name,
            version=changed.version,
        )


@strawberry.type(
    name="RunLogChunk",
    description="Log text one container wrote: whole lines (a very long line in pieces).",
)
class RunLogChunkType:
    container: str
    text: str
    at: datetime = strawberry.field(
        description="When Patrol read it from the cluster, or stored it for a finalized run."
    )


@strawberry.type(
    name="RunLogEnd", description="The last event of a runLogs subscription: why it ended."
)
class RunLogEndType:
    reason: LogEndReason
    at: datetime


RunLogEvent: TypeAlias = Annotated[
    RunLogChunkType | RunLogEndType,
    strawberry.union("RunLogEvent", description="Log text as it comes, then one end."),
]


@strawberry.type
class Subscription:
    @guarded_subscription(
        Role.VIEWER,
        "Each run as it is created, started, decided and finalized; `filter` selects runs as "
        "it does for `runs`. A client too slow to keep up gets a SUBSCRIBER_TOO_SLOW error, "
        "whose `extensions.after` resumes it.",
    )
    async def run_updates(
        self,
        info: Info,
        filter: RunFilterInput | None = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> AsyncGenerator[RunUpdateType, None]:
        selector = run_updates((filter or RunFilterInput()).to_filter())
        # Closed at once when the client stops, not whenever the garbage collector gets to it.
        async with aclosing(_follow(info, selector, after)) as updates:
            async for update in updates:
                yield RunUpdateType.of(update)

    @guarded_subscription(
        Role.VIEWER,
        "Each flip of a check's status in one of its clusters (one per actual change). A "
        "client too slow to keep up gets a SUBSCRIBER_TOO_SLOW error, whose `extensions.after` "
        "resumes it.",
    )
    async def check_status_changed(
        self,
        info: Info,
        filter: CheckStatusFilterInput | None = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> AsyncGenerator[CheckStatusChangeType, None]:
        selector = status_changes((filter or CheckStatusFilterInput()).to_filter())
        # Closed at once when the client stops, not whenever the garbage collector gets to it.
        async with aclosing(_follow(info, selector, after)) as updates:
            async for update in updates:
                yield CheckStatusChangeType.of(update)

    @guarded_subscription(
        Role.VIEWER,
        "Each check as it is created, edited (paused and resumed included) or deleted, from any "
        "client; `filter` selects one check or one namespace. A client too slow to keep up gets "
        "a SUBSCRIBER_TOO_SLOW error, whose `extensions.after` resumes it.",
    )
    async def check_changes(
        self,
        info: Info,
        filter: CheckChangeFilterInput | None = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> AsyncGenerator[CheckChangeType, None]:
        selector = check_changes((filter or CheckChangeFilterInput()).to_filter())
        # Closed at once when the client stops, not whenever the garbage collector gets to it.
        async with aclosing(_follow(info, selector, after)) as updates:
            async for update in updates:
                yield CheckChangeType.of(update)

    @guarded_subscription(
        Role.VIEWER,
        "A run's log: for a finalized run, the log Patrol stored (then STORED); for a run in "
        "progress, its pod's log followed through the cluster's Kubernetes API as it is written "
        "(then POD_ENDED, or POD_GONE). `container` selects one container; without it, all of "
        "them. At most PATROL_LIVE_LOG_MAX_BYTES are sent (then LIMIT). Errors: NOT_FOUND (no "
        "such run), BAD_USER_INPUT (no such container), LOG_UNAVAILABLE (the cluster did not "
        "answer).",
    )
    async def run_logs(
        self, info: Info, run_id: strawberry.ID, container: str | None = None
    ) -> AsyncGenerator[RunLogEvent, None]:
        live_logs = info.context.live_logs
        if live_logs is None:
            raise LogUnavailable("this process serves no run logs")
        async with aclosing(live_logs.follow(parse_id(run_id, field="runId"), container)) as items:
            async for item in items:
                if isinstance(item, LogChunk):
                    yield RunLogChunkType(container=item.container, text=item.text, at=item.at)
                elif isinstance(item, LogEnd):
                    yield RunLogEndType(reason=item.reason, at=item.at)


def _follow(info: Info, selector: EventSelector, after: str | None) -> AsyncGenerator[Update, None]:
    live = info.context.live
    if live is None:
        raise LiveUpdatesUnavailable("this process serves no live updates")
    position = None if after is None else parse_position(after)
    return live.follow(selector, after=position)
