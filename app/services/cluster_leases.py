"""Which clusters this worker keeps (watches and probes): those whose lease it holds. Each worker
takes up to its fair share (clusters / live workers, rounded up), so N workers split the fleet
instead of each watching every cluster; a worker that dies stops renewing, and the others take its
clusters when its leases expire. Leases only spread the work: every decision a watch makes is a
compare-and-set in the database, so two keepers of one cluster for a moment do no harm."""

from __future__ import annotations

import math
import os
import random
import socket
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.adapters.leases import Leases
from app.logging import get_logger
from app.models import Cluster

log = get_logger(__name__)
GROUP = "cluster-keepers"


def lease_name(cluster_id: uuid.UUID) -> str:
    return f"cluster:{cluster_id}"


class ClusterLeases:
    def __init__(self, redis: Redis, *, seconds: float, owner: str | None = None) -> None:
        owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._leases = Leases(redis, owner, seconds=seconds)
        self._held: set[uuid.UUID] = set()

    @property
    def owner(self) -> str:
        return self._leases.owner

    @property
    def held(self) -> frozenset[uuid.UUID]:
        return frozenset(self._held)

    async def settle(self, clusters: list[Cluster]) -> frozenset[uuid.UUID]:
        """Renew, take or give up leases; returns the clusters this worker now keeps. When Redis
        cannot be reached, it keeps what it held: watching twice beats watching nothing."""
        try:
            live = await self._leases.announce(GROUP)
            share = math.ceil(len(clusters) / max(live, 1))
            kept: set[uuid.UUID] = set()
            # Renew ours first, then try the others in an order of our own, so that workers
            # starting together do not all race for the same cluster.
            others = [cluster for cluster in clusters if cluster.id not in self._held]
            random.shuffle(others)
            ours = [cluster for cluster in clusters if cluster.id in self._held]
            for cluster in [*ours, *others]:
                name = lease_name(cluster.id)
                if len(kept) >= share:
                    if cluster.id in self._held:
                        await self._leases.release(name)  # over our share: hand it on
                    continue
                if await self._leases.hold(name):
                    kept.add(cluster.id)
            for gone in self._held - {cluster.id for cluster in clusters}:
                await self._leases.release(lease_name(gone))
        except (RedisError, OSError) as error:
            log.warning(
                "cluster leases could not be renewed; keeping the clusters held", error=str(error)
            )
            return frozenset(self._held & {cluster.id for cluster in clusters})
        self._held = kept
        return frozenset(kept)

    async def release_all(self) -> None:
        try:
            for cluster_id in self._held:
                await self._leases.release(lease_name(cluster_id))
            await self._leases.withdraw(GROUP)
        except (RedisError, OSError):
            pass  # they expire on their own
        self._held.clear()

    async def holder(self, cluster_id: uuid.UUID) -> str | None:
        return await self._leases.holder(lease_name(cluster_id))
