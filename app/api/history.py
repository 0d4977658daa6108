"""Resolvers of run history: parse the window, call the rollup services, wrap the answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from app.api.context import Info
from app.api.history_types import DurationSeriesType, StatusSummaryType, UptimeType
from app.api.inputs import CheckFilterInput, parse_id
from app.api.selection import selects
from app.domain.history_window import Span, UptimeWindow, WindowError, resolve_span, with_step
from app.domain.rollup import RollupStep
from app.errors import InvalidInput
from app.models.columns import utcnow
from app.services import dashboard, uptime


def _span(window: UptimeWindow | None, start: datetime | None, end: datetime | None) -> Span:
    try:
        return resolve_span(window, start, end, utcnow())
    except WindowError as error:
        raise InvalidInput(str(error), field="window") from None


def _cluster(cluster_id: str | None) -> uuid.UUID | None:
    return None if cluster_id is None else parse_id(cluster_id, field="clusterId")


async def check_uptime(
    info: Info,
    check_id: uuid.UUID,
    window: UptimeWindow | None,
    start: datetime | None,
    end: datetime | None,
    cluster_id: str | None,
) -> UptimeType:
    span = _span(window, start, end)
    answer = await info.context.loaders.uptime.load((check_id, span, _cluster(cluster_id)))
    return UptimeType.from_uptime(answer)


async def check_durations(
    info: Info,
    check_id: uuid.UUID,
    window: UptimeWindow | None,
    start: datetime | None,
    end: datetime | None,
    step: RollupStep | None,
    cluster_id: str | None,
) -> DurationSeriesType:
    try:
        span = with_step(_span(window, start, end), step, utcnow())
    except WindowError as error:
        raise InvalidInput(str(error), field="step") from None
    async with info.context.session_factory() as session:
        points = await uptime.series(session, check_id, span, _cluster(cluster_id))
    return DurationSeriesType.from_points(span.start, span.end, span.step, points)


async def status_summary(info: Info, where: CheckFilterInput | None) -> StatusSummaryType:
    check_filter = (where or CheckFilterInput()).to_filter()
    async with info.context.session_factory() as session:
        summary = await dashboard.status_summary(session, check_filter, now=utcnow())
    return StatusSummaryType.from_summary(
        summary, with_clusters=selects(info, "checks", "clusters")
    )
