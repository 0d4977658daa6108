"""Pod watches: one supervised loop per registered cluster (`watch:<cluster name>`), started and
stopped as clusters come and go, so that a cluster whose credentials or API fail is retried with
backoff while every other cluster is watched as usual."""

from __future__ import annotations

import contextlib
import functools
import uuid
from datetime import datetime

from app.models import Cluster
from app.runtime import Runtime
from app.services.lookups import all_clusters
from app.services.observe import Changed, PodObserver, Relisted, pod_changes
from app.supervision import LoopControl

CLUSTER_REFRESH_SECONDS = 10.0


def watch_loop_name(cluster: Cluster) -> str:
    return f"watch:{cluster.name}"


class PodWatchers:
    """The watch loops this process runs, by cluster; it outlives restarts of the loop that
    keeps it matched to the database, so a database outage stops no watch."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._watching: dict[uuid.UUID, tuple[datetime, str]] = {}

    async def match(self, clusters: list[Cluster]) -> None:
        current = {cluster.id: cluster for cluster in clusters}
        for cluster_id, (version, name) in list(self._watching.items()):
            cluster = current.get(cluster_id)
            if cluster is None or cluster.updated_at != version:
                await self._runtime.loops.stop(name)
                del self._watching[cluster_id]
        for cluster in clusters:
            if cluster.id not in self._watching:
                runtime = self._runtime
                observer = PodObserver(runtime.session_factory, runtime.queue, runtime.event_nudges)
                name = watch_loop_name(cluster)
                self._runtime.loops.start(
                    name,
                    functools.partial(watch_cluster, self._runtime, cluster, observer),
                    essential=False,
                    cluster=cluster.name,
                )
                self._watching[cluster.id] = (cluster.updated_at, name)

    async def stop_all(self) -> None:
        for _, name in self._watching.values():
            await self._runtime.loops.stop(name)
        self._watching.clear()


async def run_pod_watchers(runtime: Runtime, watchers: PodWatchers, control: LoopControl) -> None:
    """Keep one watch per registered cluster."""
    while True:
        async with runtime.session_factory() as session:
            clusters = await all_clusters(session)
        await watchers.match(clusters)
        control.beat()
        await control.pause(CLUSTER_REFRESH_SECONDS)


async def watch_cluster(
    runtime: Runtime, cluster: Cluster, observer: PodObserver, control: LoopControl
) -> None:
    changes = pod_changes(runtime, cluster, quiet_after=control.quiet_interval)
    async with contextlib.aclosing(changes):
        async for change in changes:
            async with control.stretch():
                if isinstance(change, Relisted):
                    await observer.relisted(change.pods)
                elif isinstance(change, Changed):
                    await observer.changed(change.type, change.pod)
            control.beat()
