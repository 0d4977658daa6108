"""Cluster health: probe a cluster's API (GET /version) and record what it found. A change between
reachable and unreachable is recorded once (a compare-and-set on the health row) and appended to
the event log as CLUSTER_HEALTH_CHANGED in the same transaction, so alerting can follow it."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.adapters.kube import KubeError, KubeGateway
from app.db import SessionFactory
from app.logging import get_logger
from app.models import Cluster, ClusterHealth, Event, EventKind
from app.models.columns import utcnow
from app.services.ports import Execution

log = get_logger(__name__)
ATTEMPTS = 5
MAX_ERROR_LENGTH = 500
# A registration waits this long at most for the cluster to answer.
REGISTRATION_PROBE_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class Probe:
    """What one probe found."""

    at: datetime
    server_version: str | None = None
    error: str | None = None

    @property
    def reachable(self) -> bool:
        return self.error is None


def _state(reachable: bool | None) -> str:
    return "unknown" if reachable is None else "reachable" if reachable else "unreachable"


async def probe_cluster(runtime: Execution, cluster: Cluster) -> Probe:
    return await probe_with(
        runtime.kube, cluster, timeout=runtime.settings.cluster_probe_timeout_seconds
    )


async def probe_on_registration(
    session_factory: SessionFactory, kube: KubeGateway | None, cluster: Cluster
) -> None:
    """Probe a cluster just registered or reconnected, so that its health (and any problem
    reaching it: a clear warning, not a refusal) shows in the mutation's answer. A use case."""
    if kube is None:
        return
    probe = await probe_with(kube, cluster, timeout=REGISTRATION_PROBE_SECONDS)
    async with session_factory() as session:
        await record_probe(session, cluster, probe)


async def probe_with(kube: KubeGateway, cluster: Cluster, *, timeout: float) -> Probe:
    """Never raises for the cluster's sake: a failure is the probe's finding."""
    try:
        async with asyncio.timeout(timeout):
            version = await kube.server_version(cluster, timeout=timeout)
    except TimeoutError:
        return Probe(utcnow(), error=f"no answer within {timeout:g}s")
    except KubeError as error:
        # KubeError messages never quote credentials (see app/adapters/kube.py).
        return Probe(utcnow(), error=str(error)[:MAX_ERROR_LENGTH] or type(error).__name__)
    return Probe(utcnow(), server_version=version)


async def record_probe(session: AsyncSession, cluster: Cluster, probe: Probe) -> bool:
    """Store the probe's finding; True when it changed the cluster's reachability (then the
    change is in the event log too). A use case: it commits."""
    for _ in range(ATTEMPTS):
        row = (
            await session.exec(
                select(ClusterHealth)
                .where(ClusterHealth.cluster_id == cluster.id)
                .execution_options(populate_existing=True)
            )
        ).first()
        previous = None if row is None else row.reachable
        flipped = previous != probe.reachable
        values = _values(row, probe, flipped)
        if row is None:
            written = await _insert(session, cluster.id, values)
        else:
            written = await _update(session, cluster.id, row.version, values)
        if not written:
            await session.rollback()
            continue
        if flipped:
            session.add(_event(cluster, previous, probe))
        await session.commit()
        if flipped:
            # Losing a cluster is news for an operator; finding it (again) is not a warning.
            report = log.info if probe.reachable else log.warning
            report(
                "cluster health changed",
                cluster=cluster.name,
                previous=_state(previous),
                current=_state(probe.reachable),
                error=probe.error,
            )
        return flipped
    return False


def _values(row: ClusterHealth | None, probe: Probe, flipped: bool) -> dict[str, Any]:
    failures = 0 if probe.reachable else (row.consecutive_failures if row else 0) + 1
    return {
        "reachable": probe.reachable,
        "since": probe.at if flipped or row is None else row.since,
        "checked_at": probe.at,
        "last_contact_at": probe.at if probe.reachable else (row.last_contact_at if row else None),
        "server_version": probe.server_version or (row.server_version if row else None),
        "last_error": probe.error if probe.error else (row.last_error if row else None),
        "consecutive_failures": failures,
    }


async def _insert(session: AsyncSession, cluster_id: uuid.UUID, values: dict[str, Any]) -> bool:
    exists = (
        await session.exec(
            select(ClusterHealth.cluster_id).where(ClusterHealth.cluster_id == cluster_id)
        )
    ).first()
    if exists is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(ClusterHealth(cluster_id=cluster_id, version=1, **values))
    except sa.exc.IntegrityError:
        return False  # another probe wrote first, or the cluster was just removed
    return True


async def _update(
    session: AsyncSession, cluster_id: uuid.UUID, version: int, values: dict[str, Any]
) -> bool:
    result = await session.exec(
        sa.update(ClusterHealth)
        .where(col(ClusterHealth.cluster_id) == cluster_id, col(ClusterHealth.version) == version)
        .values(version=version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def _event(cluster: Cluster, previous: bool | None, probe: Probe) -> Event:
    return Event(
        at=probe.at,
        kind=EventKind.CLUSTER_HEALTH_CHANGED,
        check_id=None,
        cluster_id=cluster.id,
        payload={
            "cluster": cluster.name,
            "from": _state(previous),
            "to": _state(probe.reachable),
            "error": probe.error,
            "serverVersion": probe.server_version,
        },
    )
