"""A database outage longer than the pool timeout stops no loop for good: the pod watch fails,
backs off, restarts with a fresh list and decides what happened meanwhile; scheduling and
deciding resume when the database is back, and a report sent during the outage still counts."""

from __future__ import annotations

from pathlib import Path

from app.models import FailureReason, Run, RunStatus
from app.models.columns import utcnow
from app.runtime import Runtime
from tests.e2e.checkers import REPORT_TO_INJECTED_URL, gated_checker, python_script
from tests.e2e.invariants import assert_history_consistent
from tests.fixtures.database import postgres_url_or_skip
from tests.fixtures.logs import LogFile
from tests.fixtures.outage import database_outage, terminate_own_connections
from tests.fixtures.stack import (
    PatrolStack,
    eventually,
    patrol_settings,
    shell_checker,
)


def restarts(runtime: Runtime, loop: str) -> int:
    return next(health.restarts for health in runtime.loops.health() if health.name == loop)


@patrol_settings(
    database_timeout_seconds=1, loop_max_backoff_seconds=1, database_background_pool_size=2
)
async def test_pod_watches_outlive_a_database_outage_longer_than_the_pool_timeout(
    api_stack: PatrolStack, json_logs: LogFile
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


@patrol_settings(
    database_timeout_seconds=1, loop_max_backoff_seconds=1, database_background_pool_size=2
)
async def test_runs_resume_after_a_database_outage_and_a_report_sent_during_it_counts(
    stack: PatrolStack, tmp_path: Path, json_logs: LogFile
) -> None:
    gate = tmp_path / "gate"
    reporting = await stack.add_check(
        "reports-during-the-outage",
        gated_checker(gate, report=True),
        timeout="60s",
        run_interval="1h",
    )
    steady = await stack.add_check(
        "steady", python_script(REPORT_TO_INJECTED_URL), run_interval="2s", timeout="2s"
    )

    async def running() -> Run | None:
        runs = await stack.runs(reporting.id)
        return runs[0] if runs and runs[0].pod_ip is not None else None

    run = await eventually(running, timeout=30)
    await stack.finalized_runs(steady.id, 1, timeout=30)
    worker = stack.worker_runtimes[0]
    scheduler_failures = restarts(worker, "scheduler")

    async with database_outage(stack.database):
        gate.touch()

        async def scheduler_failed() -> bool:
            return restarts(worker, "scheduler") > scheduler_failures

        # Longer than the pool timeout: monitoring's loops fail and wait to be restarted.
        await eventually(scheduler_failed, timeout=30)
    resumed = utcnow()

    (decided,) = await stack.finalized_runs(reporting.id, 1, timeout=30)
    assert decided.id == run.id
    assert decided.status is RunStatus.SUCCEEDED, decided.errors

    async def steady_again() -> list[Run] | None:
        runs = [run for run in await stack.runs(steady.id) if run.scheduled_at > resumed]
        done = [run for run in runs if run.status is RunStatus.SUCCEEDED]
        return done if len(done) >= 2 else None

    await eventually(steady_again, timeout=30)
    await assert_history_consistent(stack, markers=[str(gate)])


async def test_connections_the_server_ends_are_replaced_and_runs_go_on(
    stack: PatrolStack, tmp_path: Path, json_logs: LogFile
) -> None:
    postgres_url_or_skip()
    gate = tmp_path / "gate"
    reporting = await stack.add_check(
        "in-flight", gated_checker(gate, report=True), timeout="60s", run_interval="1h"
    )
    steady = await stack.add_check(
        "steady", python_script(REPORT_TO_INJECTED_URL), run_interval="2s", timeout="2s"
    )

    async def running() -> Run | None:
        runs = await stack.runs(reporting.id)
        return runs[0] if runs and runs[0].pod_ip is not None else None

    run = await eventually(running, timeout=30)
    await stack.finalized_runs(steady.id, 1, timeout=30)

    assert await terminate_own_connections(stack.database) > 0
    ended = utcnow()
    gate.touch()

    (decided,) = await stack.finalized_runs(reporting.id, 1, timeout=30)
    assert decided.id == run.id
    assert decided.status is RunStatus.SUCCEEDED, decided.errors

    async def steady_again() -> list[Run] | None:
        runs = [run for run in await stack.runs(steady.id) if run.scheduled_at > ended]
        done = [run for run in runs if run.status is RunStatus.SUCCEEDED]
        return done if len(done) >= 2 else None

    await eventually(steady_again, timeout=30)
    await assert_history_consistent(stack, markers=[str(gate)])
