"""Workers split the clusters by leases in Redis: each takes at most its fair share, none is held
twice, and a worker that leaves hands its clusters to the others."""

from __future__ import annotations

import uuid
from collections import Counter

from redis.asyncio import Redis

from app.models import Cluster, ConnectionKind
from app.services.cluster_leases import ClusterLeases


def clusters(count: int) -> list[Cluster]:
    return [
        Cluster(id=uuid.uuid4(), name=f"c{number}", connection_kind=ConnectionKind.LOCAL)
        for number in range(count)
    ]


async def settle_rounds(
    workers: list[ClusterLeases], fleet: list[Cluster], rounds: int
) -> dict[str, frozenset[uuid.UUID]]:
    kept: dict[str, frozenset[uuid.UUID]] = {}
    for _ in range(rounds):
        for worker in workers:
            kept[worker.owner] = await worker.settle(fleet)
    return kept


async def test_three_workers_split_five_clusters_by_fair_shares_with_no_cluster_held_twice(
    redis: Redis,
) -> None:
    fleet = clusters(5)
    workers = [ClusterLeases(redis, seconds=30, owner=f"worker-{n}") for n in range(3)]

    kept = await settle_rounds(workers, fleet, rounds=3)

    held = Counter(cluster_id for ids in kept.values() for cluster_id in ids)
    assert set(held) == {cluster.id for cluster in fleet}
    assert set(held.values()) == {1}
    assert max(len(ids) for ids in kept.values()) == 2
    for worker in workers:
        for cluster_id in kept[worker.owner]:
            assert await worker.holder(cluster_id) == worker.owner


async def test_a_worker_that_leaves_hands_its_clusters_to_the_others(redis: Redis) -> None:
    fleet = clusters(4)
    leaving, staying = (ClusterLeases(redis, seconds=30, owner=name) for name in ("a", "b"))
    await settle_rounds([leaving, staying], fleet, rounds=3)
    assert len(leaving.held) == len(staying.held) == 2

    await leaving.release_all()
    kept = await settle_rounds([staying], fleet, rounds=1)

    assert kept["b"] == {cluster.id for cluster in fleet}
