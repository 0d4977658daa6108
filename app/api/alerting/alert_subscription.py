"""The alertUpdates subscription: each alert transition as it is recorded, on the live updates'
fan-out (one Redis subscription per API process, replay from an opaque `after`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime
from typing import Annotated

import strawberry

import app.api.enums  # noqa: F401  (registers the enums before they are used)
from app.api.access import guarded_subscription
from app.api.context import Info
from app.api.inputs import parse_id
from app.api.shared_results import SharedPayload
from app.api.subscriptions import AFTER, EVENT_ID, LiveUpdatesUnavailable
from app.domain.access import Role
from app.domain.alerting.rules import Severity
from app.domain.alerting.state import AlertStatus, TransitionKind
from app.services.alerting.alert_updates import AlertChange, AlertChangeFilter, alert_updates
from app.services.event_fanout import Update, parse_position


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.input
class AlertUpdateFilterInput:
    rule_id: strawberry.ID | None = None
    check_id: strawberry.ID | None = None
    cluster_id: strawberry.ID | None = None
    status: list[AlertStatus] | None = strawberry.field(
        default=None, description="The status after the transition."
    )
    severity: list[Severity] | None = None

    def to_filter(self) -> AlertChangeFilter:
        return AlertChangeFilter(
            rule_id=None if self.rule_id is None else parse_id(self.rule_id, field="filter.ruleId"),
            check_id=None
            if self.check_id is None
            else parse_id(self.check_id, field="filter.checkId"),
            cluster_id=None
            if self.cluster_id is None
            else parse_id(self.cluster_id, field="filter.clusterId"),
            statuses=frozenset(self.status or ()),
            severities=frozenset(self.severity or ()),
        )


@strawberry.type(name="AlertUpdate", description="An alert transition, as it was recorded.")
class AlertUpdateType(SharedPayload):
    event_id: str = strawberry.field(description=EVENT_ID)
    at: datetime
    alert_id: strawberry.ID
    transition_id: strawberry.ID
    rule_id: strawberry.ID
    check_id: strawberry.ID
    cluster_id: strawberry.ID | None
    kind: TransitionKind
    status: AlertStatus = strawberry.field(description="The alert's status after it.")
    severity: Severity
    silenced_by: strawberry.ID | None
    notified: bool = strawberry.field(description="Whether notifications were queued for it.")

    @classmethod
    def _made(cls, update: Update) -> AlertUpdateType:
        change = update.event.view(AlertChange.of)
        return cls(
            event_id=update.cursor,
            at=change.at,
            alert_id=_id(change.alert_id),
            transition_id=_id(change.transition_id),
            rule_id=_id(change.rule_id),
            check_id=_id(change.check_id),
            cluster_id=None if change.cluster_id is None else _id(change.cluster_id),
            kind=change.kind,
            status=change.status,
            severity=change.severity,
            silenced_by=None if change.silenced_by is None else _id(change.silenced_by),
            notified=change.notified,
        )


@strawberry.type
class AlertSubscription:
    @guarded_subscription(
        Role.VIEWER,
        "Each alert transition (firing, reminder, acknowledged, commented, resolved) as it is "
        "recorded, silenced ones included. A client too slow to keep up gets a "
        "SUBSCRIBER_TOO_SLOW error, whose `extensions.after` resumes it.",
    )
    async def alert_updates(
        self,
        info: Info,
        filter: AlertUpdateFilterInput | None = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> AsyncGenerator[AlertUpdateType, None]:
        selector = alert_updates((filter or AlertUpdateFilterInput()).to_filter())
        live = info.context.live
        if live is None:
            raise LiveUpdatesUnavailable("this process serves no live updates")
        position = None if after is None else parse_position(after)
        async with aclosing(live.follow(selector, after=position)) as updates:
            async for update in updates:
                yield AlertUpdateType.of(update)
