"""With two worker processes, each cluster is kept (watched and probed) by one of them: they split
the fleet by leases in Redis; when one is killed with SIGKILL, the other takes its clusters once
their leases expire."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter

from app.localcluster.server import LocalCluster
from app.models import ConnectionKind
from app.services.cluster_leases import lease_name
from app.services.clusters import ClusterDraft, create_cluster
from app.services.lookups import all_clusters
from tests.fixtures.stack import PatrolStack, eventually

LEASE_SECONDS = 3
CLUSTERS = 4


async def add_local_clusters(stack: PatrolStack, count: int) -> None:
    for number in range(count):
        extra = LocalCluster()
        await extra.start()
        stack.exit_stack.push_async_callback(extra.stop)
        async with stack.runtime.session_factory() as session:
            await create_cluster(
                session,
                ClusterDraft(
                    name=f"extra-{number}",
                    connection_kind=ConnectionKind.TOKEN,
                    api_url=extra.url,
                    token=extra.token,
                ),
                stack.runtime.keyring,
            )
            await session.commit()


async def holders(stack: PatrolStack) -> dict[str, str | None]:
    """Cluster name → the owner of its lease (`host:pid:random`)."""
    async with stack.runtime.session_factory() as session:
        clusters = await all_clusters(session)
    found: dict[str, str | None] = {}
    for cluster in clusters:
        value = await stack.runtime.redis.get("patrol:lease:" + lease_name(cluster.id))
        found[cluster.name] = None if value is None else value.decode()
    return found


def pid_of(owner: str) -> int:
    return int(owner.split(":")[1])


async def test_two_workers_split_the_clusters_and_one_takes_over_when_the_other_is_killed(
    api_stack: PatrolStack,
) -> None:
    await add_local_clusters(api_stack, CLUSTERS - 1)
    environment = {
        **os.environ,
        **api_stack.process_environment(),
        "PATROL_CLUSTER_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.cli",
            "worker",
            env=environment,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:

        async def split_evenly() -> Counter[int] | None:
            held = await holders(api_stack)
            if None in held.values():
                return None
            by_worker = Counter(pid_of(owner) for owner in held.values() if owner)
            return by_worker if sorted(by_worker.values()) == [2, 2] else None

        split = await eventually(split_evenly, timeout=45)
        assert set(split) == {worker.pid for worker in workers}

        doomed, survivor = workers
        doomed.send_signal(signal.SIGKILL)
        await doomed.wait()
        killed_at = time.monotonic()

        async def all_with_survivor() -> bool:
            held = await holders(api_stack)
            return all(owner and pid_of(owner) == survivor.pid for owner in held.values())

        await eventually(all_with_survivor, timeout=LEASE_SECONDS * 6)
        takeover = time.monotonic() - killed_at
        print(f"takeover after SIGKILL: {takeover:.2f}s (lease {LEASE_SECONDS}s)")
        # The lease must expire, then the survivor's next renewal pass (every lease / 3) takes it.
        assert takeover < LEASE_SECONDS * 3
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.send_signal(signal.SIGKILL)
                await worker.wait()
