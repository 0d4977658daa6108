"""The loops a worker runs beside its jobs: the scheduler, the sweeps, a pod watch and a
health probe per cluster it holds the lease of, and the alerting loops (rule engine, tick,
delivery), each supervised. Any number of workers may run them at once: every decision they
make goes through a compare-and-set."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator

from app.runtime import Runtime
from app.services.cluster_leases import ClusterLeases
from workers.loops.alerting import run_alert_delivery, run_alert_engine, run_alert_tick
from workers.loops.deadline_sweep import run_deadline_sweep
from workers.loops.finalize_sweep import run_finalize_sweep
from workers.loops.pod_watchers import PodWatchers, run_pod_watchers
from workers.loops.scheduler import Launches, run_scheduler

SCHEDULER = "scheduler"
POD_WATCHERS = "pod-watchers"
FINALIZE_SWEEP = "finalize-sweep"
DEADLINE_SWEEP = "deadline-sweep"
ALERT_ENGINE = "alert-engine"
ALERT_TICK = "alert-tick"
ALERT_DELIVERY = "alert-delivery"
ALERT_LOOPS = (ALERT_ENGINE, ALERT_TICK, ALERT_DELIVERY)


@contextlib.asynccontextmanager
async def background_loops(runtime: Runtime) -> AsyncIterator[None]:
    loops, launches, watchers = runtime.loops, Launches(runtime), PodWatchers(runtime)
    leases = ClusterLeases(runtime.redis, seconds=runtime.settings.cluster_lease_seconds)
    loops.start(SCHEDULER, functools.partial(run_scheduler, runtime, launches))
    loops.start(POD_WATCHERS, functools.partial(run_pod_watchers, runtime, watchers, leases))
    loops.start(FINALIZE_SWEEP, functools.partial(run_finalize_sweep, runtime))
    loops.start(DEADLINE_SWEEP, functools.partial(run_deadline_sweep, runtime))
    loops.start(ALERT_ENGINE, functools.partial(run_alert_engine, runtime))
    loops.start(ALERT_TICK, functools.partial(run_alert_tick, runtime))
    loops.start(ALERT_DELIVERY, functools.partial(run_alert_delivery, runtime))
    try:
        yield
    finally:
        for name in (*ALERT_LOOPS, DEADLINE_SWEEP, FINALIZE_SWEEP, SCHEDULER):
            await loops.stop(name)
        await launches.drain(timeout=5)
        await loops.stop(POD_WATCHERS)
        await watchers.stop_all()
        await leases.release_all()
