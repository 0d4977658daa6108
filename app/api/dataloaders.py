"""Per-request DataLoaders: each batch of keys costs one query, in its own short session."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.dataloader import DataLoader

from app.db import SessionFactory
from app.domain.history_window import Span
from app.models import (
    AlertComment,
    AlertTransition,
    Check,
    CheckStatus,
    Cluster,
    ClusterHealth,
    Run,
    RunEvent,
    RunLog,
)
from app.services import lookups
from app.services.alerting import alert_history, channel_config
from app.services.uptime import Uptime, uptimes

V = TypeVar("V")
# A check's uptime over a span, in one cluster or (None) all of them.
UptimeKey = tuple[uuid.UUID, Span, uuid.UUID | None]
Lookup = Callable[[AsyncSession, Sequence[uuid.UUID]], Awaitable[Mapping[uuid.UUID, V]]]


@dataclass(frozen=True)
class Loaders:
    cluster_by_id: DataLoader[uuid.UUID, Cluster | None]
    check_by_id: DataLoader[uuid.UUID, Check | None]
    clusters_by_check_id: DataLoader[uuid.UUID, list[Cluster]]
    latest_run_by_check_id: DataLoader[uuid.UUID, Run | None]
    run_by_id: DataLoader[uuid.UUID, Run | None]
    statuses_by_check_id: DataLoader[uuid.UUID, list[CheckStatus]]
    statuses_by_cluster_id: DataLoader[uuid.UUID, list[CheckStatus]]
    health_by_cluster_id: DataLoader[uuid.UUID, ClusterHealth | None]
    logs_by_run_id: DataLoader[uuid.UUID, list[RunLog]]
    events_by_run_id: DataLoader[uuid.UUID, list[RunEvent]]
    transitions_by_alert_id: DataLoader[uuid.UUID, list[AlertTransition]]
    comments_by_alert_id: DataLoader[uuid.UUID, list[AlertComment]]
    deliveries_by_alert_id: DataLoader[uuid.UUID, list[alert_history.NotificationView]]
    channel_by_id: DataLoader[uuid.UUID, channel_config.ChannelView | None]
    uptime: DataLoader[UptimeKey, Uptime]

    @classmethod
    def create(cls, session_factory: SessionFactory) -> Loaders:
        return cls(
            cluster_by_id=_optional(session_factory, lookups.clusters_by_id),
            check_by_id=_optional(session_factory, lookups.checks_by_id),
            clusters_by_check_id=_grouped(session_factory, lookups.clusters_by_check_id),
            latest_run_by_check_id=_optional(session_factory, lookups.latest_run_by_check_id),
            run_by_id=_optional(session_factory, lookups.runs_by_id),
            statuses_by_check_id=_grouped(session_factory, lookups.statuses_by_check_id),
            statuses_by_cluster_id=_grouped(session_factory, lookups.statuses_by_cluster_id),
            health_by_cluster_id=_optional(session_factory, lookups.health_by_cluster_id),
            logs_by_run_id=_grouped(session_factory, lookups.logs_by_run_id),
            events_by_run_id=_grouped(session_factory, lookups.events_by_run_id),
            transitions_by_alert_id=_grouped(
                session_factory, alert_history.transitions_by_alert_id
            ),
            comments_by_alert_id=_grouped(session_factory, alert_history.comments_by_alert_id),
            deliveries_by_alert_id=_grouped(
                session_factory, alert_history.notifications_by_alert_id
            ),
            channel_by_id=_optional(session_factory, channel_config.channels_by_id),
            uptime=_uptime(session_factory),
        )


def _optional(
    session_factory: SessionFactory, lookup: Lookup[V]
) -> DataLoader[uuid.UUID, V | None]:
    async def load(keys: list[uuid.UUID]) -> list[V | None]:
        async with session_factory() as session:
            found = await lookup(session, keys)
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


def _grouped(
    session_factory: SessionFactory, lookup: Lookup[list[V]]
) -> DataLoader[uuid.UUID, list[V]]:
    async def load(keys: list[uuid.UUID]) -> list[list[V]]:
        async with session_factory() as session:
            found = await lookup(session, keys)
        return [list(found.get(key, ())) for key in keys]

    return DataLoader(load_fn=load)


def _uptime(session_factory: SessionFactory) -> DataLoader[UptimeKey, Uptime]:
    """Many checks asked about the same window cost two statements, not two per check."""

    async def load(keys: list[UptimeKey]) -> list[Uptime]:
        wanted: dict[tuple[Span, uuid.UUID | None], set[uuid.UUID]] = {}
        for check_id, span, cluster_id in keys:
            wanted.setdefault((span, cluster_id), set()).add(check_id)
        found: dict[UptimeKey, Uptime] = {}
        async with session_factory() as session:
            for (span, cluster_id), check_ids in wanted.items():
                answers = await uptimes(session, sorted(check_ids), span, cluster_id)
                for check_id, answer in answers.items():
                    found[(check_id, span, cluster_id)] = answer
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)
