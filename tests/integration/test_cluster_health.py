"""A cluster's health as probes find it: each change between reachable and unreachable is recorded
once, with an event in the log, however many probes report it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import col, select

from app.db import SessionFactory
from app.models import Cluster, ClusterHealth, ConnectionKind, Event, EventKind
from app.models.columns import utcnow
from app.services.cluster_health import Probe, record_probe


async def add_cluster(session_factory: SessionFactory) -> Cluster:
    async with session_factory() as session:
        cluster = Cluster(name="b", connection_kind=ConnectionKind.LOCAL)
        session.add(cluster)
        await session.commit()
        await session.refresh(cluster)
        return cluster


async def record(session_factory: SessionFactory, cluster: Cluster, probe: Probe) -> bool:
    async with session_factory() as session:
        return await record_probe(session, cluster, probe)


async def test_flips_are_recorded_once_with_an_event_and_repeats_only_update_the_row(
    session_factory: SessionFactory,
) -> None:
    cluster = await add_cluster(session_factory)
    start = utcnow()

    def at(seconds: float, **found: str) -> Probe:
        return Probe(start + timedelta(seconds=seconds), **found)

    assert await record(session_factory, cluster, at(0, server_version="v1.37.0"))
    assert not await record(session_factory, cluster, at(1, server_version="v1.37.0"))
    down = await asyncio.gather(
        *(record(session_factory, cluster, at(2, error="503 unavailable")) for _ in range(3))
    )
    assert sorted(down) == [False, False, True]
    assert await record(session_factory, cluster, at(3, server_version="v1.37.1"))

    async with session_factory() as session:
        health = (await session.exec(select(ClusterHealth))).one()
        events = (await session.exec(select(Event).order_by(col(Event.id)))).all()
    assert health.reachable and health.server_version == "v1.37.1"
    assert health.last_error == "503 unavailable" and health.consecutive_failures == 0
    assert health.since == start + timedelta(seconds=3)
    assert health.last_contact_at == start + timedelta(seconds=3)
    assert [(e.kind, e.payload["from"], e.payload["to"]) for e in events] == [
        (EventKind.CLUSTER_HEALTH_CHANGED, "unknown", "reachable"),
        (EventKind.CLUSTER_HEALTH_CHANGED, "reachable", "unreachable"),
        (EventKind.CLUSTER_HEALTH_CHANGED, "unreachable", "reachable"),
    ]
    assert all(e.check_id is None and e.cluster_id == cluster.id for e in events)
