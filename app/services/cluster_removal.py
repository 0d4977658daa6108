"""Removing a cluster from Patrol: first reap Patrol's pods there, then delete it (its check
memberships and runs go with it). A use case: it owns its transactions and holds none across a
Kubernetes call."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError
from sqlmodel import col, func, select

from app.adapters.kube import KubeError, KubeGateway
from app.db import SessionFactory, is_deadlock
from app.domain.manifest import PATROL_POD_SELECTOR
from app.errors import ClusterUnreachable
from app.logging import get_logger
from app.metrics import PODS_REAPED
from app.models import Cluster, Run
from app.services.clusters import delete_cluster, get_cluster
from app.services.lookups import namespaces_in_use

log = get_logger(__name__)
DELETE_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Removal:
    cluster: Cluster
    pods_reaped: int
    # Why reaping failed, when the removal went ahead anyway (forced, or no run needed it).
    reap_error: str | None


async def remove_cluster(
    session_factory: SessionFactory,
    kube: KubeGateway | None,
    cluster_id: uuid.UUID,
    *,
    force: bool,
) -> Removal:
    """Refuses (ClusterUnreachable) when the pods cannot be reaped while runs there may still
    have pods, unless `force`: then the pods are left behind."""
    async with session_factory() as session:
        cluster = await get_cluster(session, cluster_id)
        namespaces = {cluster.default_namespace, *await namespaces_in_use(session, cluster.id)}
        unfinished = (
            await session.exec(
                select(func.count())
                .select_from(Run)
                .where(Run.cluster_id == cluster.id, col(Run.finalized_at).is_(None))
            )
        ).one()
    reaped, problem = 0, None
    if kube is None:
        problem = "this process cannot reach clusters"
    else:
        try:
            reaped = await _reap_all(kube, cluster, sorted(namespaces))
        except KubeError as error:
            problem = str(error)
    if problem is not None and unfinished and not force:
        raise ClusterUnreachable(
            f"cluster {cluster.name}: Patrol's pods there could not be removed ({problem}); "
            f"{unfinished} run(s) there may still have pods. Try again once it is reachable, or "
            "delete it with force: true and remove them by hand (label app.kubernetes.io/"
            "managed-by=patrol)",
            field="id",
        )
    removed = await _delete(session_factory, cluster_id)
    log.info(
        "cluster removed", cluster=cluster.name, pods_reaped=reaped, reap_error=problem, force=force
    )
    return Removal(removed, reaped, problem)


async def _delete(session_factory: SessionFactory, cluster_id: uuid.UUID) -> Cluster:
    """Deleting a cluster cascades to its runs and statuses, which a run being decided there at
    that moment holds in the other order: PostgreSQL then aborts one of the two as a deadlock."""
    for attempt in range(1, DELETE_ATTEMPTS + 1):
        try:
            async with session_factory.begin() as session:
                return await delete_cluster(session, cluster_id)
        except DBAPIError as error:
            if not is_deadlock(error) or attempt == DELETE_ATTEMPTS:
                raise
            log.info("cluster deletion deadlocked; retrying", attempt=attempt)
            await asyncio.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


async def _reap_all(kube: KubeGateway, cluster: Cluster, namespaces: list[str]) -> int:
    client = kube.client(cluster)
    reaped = 0
    for namespace in namespaces:
        pods, _ = await client.list_pods(namespace, PATROL_POD_SELECTOR)
        for pod in pods:
            if await client.delete_pod(namespace, pod["metadata"]["name"]):
                PODS_REAPED.inc()
                reaped += 1
    return reaped
