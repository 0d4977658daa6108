"""GraphQL for alerts: the list and one alert (viewer), acknowledging and commenting (editor)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

import app.api.enums  # noqa: F401  (registers the enums before they are used)
from app.api.access import guarded_field, guarded_mutation
from app.api.alerting.alert_types import AlertType
from app.api.context import Info
from app.api.inputs import parse_id
from app.api.pagination import decode_cursor, encode_cursor, page_size
from app.api.types import Connection, Edge, PageInfo
from app.domain.access import Role
from app.domain.alerting.rules import Severity
from app.domain.alerting.state import AlertStatus
from app.errors import InvalidInput, NotFound
from app.models.columns import utcnow
from app.services.alerting import actions, alert_history


@strawberry.input
class AlertFilterInput:
    status: list[AlertStatus] | None = None
    severity: list[Severity] | None = None
    rule_id: strawberry.ID | None = None
    check_id: strawberry.ID | None = None
    cluster_id: strawberry.ID | None = None
    since: datetime | None = strawberry.field(default=None, description="Fired at or after.")
    until: datetime | None = strawberry.field(default=None, description="Fired strictly before.")

    def to_filter(self) -> alert_history.AlertFilter:
        for name, instant in (("since", self.since), ("until", self.until)):
            if instant is not None and instant.tzinfo is None:
                raise InvalidInput(
                    f"filter.{name}: include a UTC offset, e.g. 2024-01-01T00:00:00Z",
                    field=f"filter.{name}",
                )
        return alert_history.AlertFilter(
            # Deduplicated: a list of enum values is then no longer than the enum.
            statuses=tuple(dict.fromkeys(self.status or ())),
            severities=tuple(dict.fromkeys(self.severity or ())),
            rule_id=_optional_id(self.rule_id, "filter.ruleId"),
            check_id=_optional_id(self.check_id, "filter.checkId"),
            cluster_id=_optional_id(self.cluster_id, "filter.clusterId"),
            since=self.since,
            until=self.until,
        )


@strawberry.type
class AlertQuery:
    @guarded_field(Role.VIEWER, "Alerts, newest fired first.")
    async def alerts(
        self,
        info: Info,
        filter: AlertFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AlertType]:
        limit = page_size(first)
        where = (filter or AlertFilterInput()).to_filter()
        key = None if after is None else _alert_key(after)
        async with info.context.session_factory() as session:
            rows = await alert_history.list_alerts(session, where, limit=limit + 1, after=key)

        async def count() -> int:
            async with info.context.session_factory() as session:
                return await alert_history.count_alerts(session, where)

        edges = [
            Edge(cursor=_alert_cursor(row.fired_at, row.id), node=AlertType.from_model(row))
            for row in rows[:limit]
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > limit,
                has_previous_page=False,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            count=count,
        )

    @guarded_field(Role.VIEWER, "One alert with its transitions, comments and deliveries.")
    async def alert(self, info: Info, id: strawberry.ID) -> AlertType | None:
        alert_id = parse_id(id)
        async with info.context.session_factory() as session:
            row = await alert_history.get_alert(session, alert_id)
        return None if row is None else AlertType.from_model(row)


@strawberry.type
class AlertMutation:
    @guarded_mutation(
        Role.EDITOR, "Acknowledges a firing alert: reminders stop. A resolved one is unchanged."
    )
    async def acknowledge_alert(
        self, info: Info, id: strawberry.ID, comment: str = ""
    ) -> AlertType:
        alert_id = parse_id(id)
        async with info.context.session_factory.begin() as session:
            acted = await actions.acknowledge_alert(
                session, alert_id, actor=_actor(info), at=utcnow(), comment=comment
            )
        _appended(info, acted)
        return await _reloaded(info, alert_id)

    @guarded_mutation(Role.EDITOR, "Adds a comment to an alert; comments are never sent.")
    async def comment_alert(self, info: Info, id: strawberry.ID, text: str) -> AlertType:
        alert_id = parse_id(id)
        async with info.context.session_factory.begin() as session:
            acted = await actions.comment_on_alert(
                session, alert_id, actor=_actor(info), at=utcnow(), text=text
            )
        _appended(info, acted)
        return await _reloaded(info, alert_id)


async def _reloaded(info: Info, alert_id: uuid.UUID) -> AlertType:
    async with info.context.session_factory() as session:
        row = await alert_history.get_alert(session, alert_id)
    if row is None:
        raise NotFound(f"no alert {alert_id}", field="id")
    return AlertType.from_model(row)


def _appended(info: Info, acted: actions.AlertAction) -> None:
    """After the commit: the transition's ALERT_CHANGED event is in the log, wake its readers."""
    if acted.transition is not None:
        info.context.dispatcher.events_appended()


def _actor(info: Info) -> str:
    principal = info.context.principal
    assert principal is not None  # the role rule let it through
    return principal.name


def _optional_id(value: strawberry.ID | None, field: str) -> uuid.UUID | None:
    return None if value is None else parse_id(value, field=field)


def _alert_cursor(fired_at: datetime, alert_id: uuid.UUID) -> str:
    return encode_cursor("alert", [fired_at.isoformat(), str(alert_id)])


def _alert_key(cursor: str) -> alert_history.AlertPlace:
    fired_at, alert_id = decode_cursor("alert", cursor, arity=2)
    try:
        instant = datetime.fromisoformat(str(fired_at))
        if instant.tzinfo is None:
            raise ValueError("naive")
        return alert_history.AlertPlace(instant, uuid.UUID(str(alert_id)))
    except ValueError:
        raise InvalidInput(
            f"after: {cursor!r} is not a valid alert cursor", field="after"
        ) from None
