"""A pod watch whose resourceVersion has expired (410 Gone, "too old resource version") lists
the pods afresh and goes on deciding runs, without failing its loop."""

from __future__ import annotations

from pathlib import Path

from app.models import FailureReason, Run, RunStatus
from app.runtime import Runtime
from tests.e2e.checkers import gated_checker
from tests.e2e.invariants import assert_history_consistent
from tests.fixtures.logs import LogFile
from tests.fixtures.stack import PatrolStack, eventually, patrol_settings

WATCH = "watch:local"


def watch_restarts(runtime: Runtime) -> int:
    return next(health.restarts for health in runtime.loops.health() if health.name == WATCH)


# The reaper lists pods too: keep it from taking the delay meant for the watch.
@patrol_settings(reconcile_interval_seconds=60)
async def test_an_expired_watch_relists_and_decides_a_pod_that_ended_meanwhile(
    stack: PatrolStack, tmp_path: Path, json_logs: LogFile
) -> None:
    gate = tmp_path / "gate"
    check = await stack.add_check(
        "ends-unseen", gated_checker(gate, report=False), timeout="60s", run_interval="1h"
    )

    async def watched_running() -> Run | None:
        runs = await stack.runs(check.id)
        return runs[0] if runs and runs[0].pod_ip is not None else None

    run = await eventually(watched_running, timeout=30)
    worker = stack.worker_runtimes[0]
    # The watch comes back late, from a resourceVersion compacted away meanwhile, and the pod
    # ends in between: only a fresh list can tell.
    stack.local.faults.delay_requests(1.5, count=1, path_contains="/api/v1/pods")
    stack.local.cluster.store.create(
        "configmaps", {"metadata": {"name": "newer-than-the-watch", "namespace": "default"}}
    )
    stack.local.compact()
    stack.local.drop_watches()
    gate.touch()

    async def decided() -> Run | None:
        found = await stack.run(run.id)
        return found if found is not None and found.status.is_terminal else None

    ended = await eventually(decided, timeout=20)
    assert ended.status is RunStatus.ERROR
    assert ended.failure_reason is FailureReason.EXITED_WITHOUT_REPORT
    assert watch_restarts(worker) == 0
    assert json_logs.records("loop failed; restarting it after a pause") == []

    later = await stack.add_check(
        "after-the-expiry", gated_checker(gate, report=False), timeout="60s", run_interval="1h"
    )
    (next_one,) = await stack.finalized_runs(later.id, 1, timeout=30)
    assert next_one.failure_reason is FailureReason.EXITED_WITHOUT_REPORT
    await assert_history_consistent(stack, markers=[str(gate)])
