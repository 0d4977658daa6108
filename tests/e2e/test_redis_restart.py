"""Redis restarted mid-run (a redis-server of the machine's own, and Patrol's embedded one): its
queued jobs and open connections are lost, the run in flight is still decided once and
finalized, and scheduling resumes by itself."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.models import Run, RunStatus
from tests.e2e.checkers import REPORT_TO_INJECTED_URL, gated_checker, python_script
from tests.e2e.invariants import assert_history_consistent
from tests.fixtures.logs import LogFile
from tests.fixtures.redis import RestartableRedis
from tests.fixtures.stack import PatrolStack, eventually


@pytest.fixture
def redis_url(restartable_redis: RestartableRedis) -> str:
    """This module's stacks use a Redis the test may restart."""
    return restartable_redis.url


async def test_a_run_in_flight_across_a_redis_restart_is_decided_once_and_scheduling_resumes(
    stack: PatrolStack, restartable_redis: RestartableRedis, tmp_path: Path, json_logs: LogFile
) -> None:
    gate = tmp_path / "gate"
    in_flight = await stack.add_check(
        "in-flight", gated_checker(gate, report=True), timeout="60s", run_interval="1h"
    )

    async def running() -> Run | None:
        runs = await stack.runs(in_flight.id)
        return runs[0] if runs and runs[0].pod_ip is not None else None

    run = await eventually(running, timeout=30)
    await asyncio.to_thread(restartable_redis.restart)
    gate.touch()

    (decided,) = await stack.finalized_runs(in_flight.id, 1, timeout=30)
    assert decided.id == run.id
    assert decided.status is RunStatus.SUCCEEDED, decided.errors
    steady = await stack.add_check(
        "after-the-restart", python_script(REPORT_TO_INJECTED_URL), run_interval="2s", timeout="2s"
    )
    runs = await stack.finalized_runs(steady.id, 2, timeout=30)
    assert [run.status for run in runs] == [RunStatus.SUCCEEDED] * 2, [run.errors for run in runs]
    await assert_history_consistent(stack, markers=[str(gate)])
