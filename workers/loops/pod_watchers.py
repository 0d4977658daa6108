"""Cluster keeping: for each cluster whose lease this worker holds, a pod watch loop
(`watch:<cluster name>`, one watch per namespace Patrol uses there) and a health probe loop
(`health:<cluster name>`), each supervised on its own, so that a cluster whose credentials or
API fail is retried with backoff while every other cluster is watched as usual."""

from __future__ import annotations

import contextlib
import functools
import uuid
from datetime import datetime

from app.models import Cluster
from app.runtime import Runtime
from app.services.cluster_health import probe_cluster, record_probe
from app.services.cluster_leases import ClusterLeases
from app.services.dispatch import schedule_changes
from app.services.lookups import all_clusters, namespaces_in_use
from app.services.observe import Changed, PodObserver, Relisted, pod_changes
from app.services.ports import ClusterApiError
from app.supervision import LoopControl

CLUSTER_REFRESH_SECONDS = 10.0


def watch_loop_name(cluster: Cluster) -> str:
    return f"watch:{cluster.name}"


def health_loop_name(cluster: Cluster) -> str:
    return f"health:{cluster.name}"


# What a keeper was started for: a change of any of it restarts the cluster's loops.
KeeperVersion = tuple[datetime, tuple[str, ...]]


class PodWatchers:
    """The watch and health loops this process runs, by cluster; it outlives restarts of the
    loop that keeps it matched to the database, so a database outage stops no watch."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._watching: dict[uuid.UUID, tuple[KeeperVersion, list[str]]] = {}

    @property
    def kept(self) -> frozenset[uuid.UUID]:
        return frozenset(self._watching)

    async def match(
        self, clusters: list[Cluster], namespaces: dict[uuid.UUID, list[str]] | None = None
    ) -> None:
        namespaces = namespaces or {}
        current = {cluster.id: cluster for cluster in clusters}
        for cluster_id, (version, names) in list(self._watching.items()):
            cluster = current.get(cluster_id)
            wanted = (
                (cluster.updated_at, tuple(namespaces.get(cluster_id, ()))) if cluster else None
            )
            if wanted != version:
                for name in names:
                    await self._runtime.loops.stop(name)
                del self._watching[cluster_id]
        for cluster in clusters:
            if cluster.id in self._watching:
                continue
            in_use = tuple(namespaces.get(cluster.id, ()))
            runtime = self._runtime
            observer = PodObserver(runtime.session_factory, runtime.queue, runtime.event_nudges)
            watch, health = watch_loop_name(cluster), health_loop_name(cluster)
            loops = self._runtime.loops
            loops.start(
                watch,
                functools.partial(watch_cluster, self._runtime, cluster, in_use, observer),
                essential=False,
                expected_errors=(ClusterApiError,),
                cluster=cluster.name,
            )
            loops.start(
                health,
                functools.partial(probe_health, self._runtime, cluster),
                essential=False,
                cluster=cluster.name,
            )
            self._watching[cluster.id] = ((cluster.updated_at, in_use), [watch, health])

    async def stop_all(self) -> None:
        for _, names in self._watching.values():
            for name in names:
                await self._runtime.loops.stop(name)
        self._watching.clear()


async def run_pod_watchers(
    runtime: Runtime, watchers: PodWatchers, leases: ClusterLeases, control: LoopControl
) -> None:
    """Keep the clusters whose leases this worker holds, and only those. A check's edit (which
    may bring a new namespace to watch) nudges it, so the watch does not miss the first run."""
    renew_every = min(CLUSTER_REFRESH_SECONDS, runtime.settings.cluster_lease_seconds / 3)
    async with schedule_changes(runtime.redis) as nudged:
        while True:
            async with runtime.session_factory() as session:
                clusters = await all_clusters(session)
                kept_ids = await leases.settle(clusters)
                kept = [cluster for cluster in clusters if cluster.id in kept_ids]
                # The default namespace always: most checks run there, watched from the start.
                namespaces = {
                    cluster.id: sorted(
                        {cluster.default_namespace, *await namespaces_in_use(session, cluster.id)}
                    )
                    for cluster in kept
                }
            await watchers.match(kept, namespaces)
            control.beat()
            await nudged.wait(renew_every)
            control.beat()


async def watch_cluster(
    runtime: Runtime,
    cluster: Cluster,
    namespaces: tuple[str, ...],
    observer: PodObserver,
    control: LoopControl,
) -> None:
    changes = pod_changes(runtime, cluster, namespaces, quiet_after=control.quiet_interval)
    async with contextlib.aclosing(changes):
        async for change in changes:
            async with control.stretch():
                if isinstance(change, Relisted):
                    await observer.relisted(change.pods, change.namespace)
                elif isinstance(change, Changed):
                    await observer.changed(change.type, change.pod)
            control.beat()


async def probe_health(runtime: Runtime, cluster: Cluster, control: LoopControl) -> None:
    while True:
        probe = await probe_cluster(runtime, cluster)
        async with runtime.session_factory() as session:
            await record_probe(session, cluster, probe)
        control.beat()
        await control.pause(runtime.settings.cluster_probe_interval_seconds)
