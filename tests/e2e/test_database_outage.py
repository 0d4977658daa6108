"""A database outage longer than the pool timeout stops no loop for good: the pod watch fails,
backs off, restarts with a fresh list and decides what happened meanwhile; scheduling and
deciding resume when the database is back."""

from __future__ import annotations

from app.models import FailureReason, Run, RunStatus
from app.runtime import Runtime
from tests.fixtures.outage import database_outage
from tests.fixtures.stack import PatrolStack, eventually, patrol_settings, shell_checker


def restarts(runtime: Runtime, loop: str) -> int:
    return next(health.restarts for health in runtime.loops.health() if health.name == loop)


@patrol_settings(
    database_timeout_seconds=1, loop_max_backoff_seconds=1, database_background_pool_size=2
)
async def test_pod_watches_outlive_a_database_outage_longer_than_the_pool_timeout(
    api_stack: PatrolStack,
) -> None:
    await api_stack.start_worker()
    worker = api_stack.worker_runtimes[0]
    check = await api_stack.add_check(
        "deleted-meanwhile", shell_checker("sleep 300"), timeout="120s", run_interval="1h"
    )

    async def running_with_its_ip() -> Run | None:
        runs = await api_stack.runs(check.id)
        return runs[0] if runs and runs[0].pod_ip is not None else None

    run = await eventually(running_with_its_ip, timeout=30)
    assert run.pod_namespace is not None and run.pod_name is not None
    await eventually(lambda: _watching(worker), timeout=20)
    failures_before = restarts(worker, "watch:local")

    async with database_outage(api_stack.database):
        await api_stack.runtime.kube.client(api_stack.cluster).delete_pod(
            run.pod_namespace, run.pod_name
        )

        async def watch_failed() -> bool:
            return restarts(worker, "watch:local") > failures_before

        # The watch cannot record the deletion: it waits out the timeout, fails and restarts.
        await eventually(watch_failed, timeout=30)

    (ended,) = await api_stack.finalized_runs(check.id, 1, timeout=30)
    assert ended.status is RunStatus.ERROR
    assert ended.failure_reason is FailureReason.POD_DELETED

    later = await api_stack.add_check(
        "after-the-outage", shell_checker("exit 3"), timeout="60s", run_interval="1h"
    )
    (decided,) = await api_stack.finalized_runs(later.id, 1, timeout=30)
    assert decided.status is RunStatus.ERROR
    assert decided.failure_reason is FailureReason.EXITED_WITHOUT_REPORT


async def _watching(runtime: Runtime) -> bool:
    return "watch:local" in runtime.loops
