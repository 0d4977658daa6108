"""A cluster's Kubernetes API failing (500), throttling (429) or slow: its runs end with a clear
reason or succeed after a retry, another cluster's runs go on as usual, and monitoring of the
failing cluster resumes by itself once the fault is lifted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from app.localcluster import Faults
from app.localcluster.faults import THROTTLED_RETRY_AFTER_SECONDS
from app.models import FailureReason, Run, RunStatus
from app.models.columns import utcnow
from tests.e2e.checkers import REPORT_TO_INJECTED_URL, python_script
from tests.e2e.invariants import assert_history_consistent
from tests.fixtures.logs import LogFile
from tests.fixtures.stack import PatrolStack, eventually, patrol_settings

PODS = "/pods"
ALWAYS = 10**6


def on(runs: list[Run], cluster_id: object, *, since: datetime | None = None) -> list[Run]:
    return [
        run
        for run in runs
        if run.cluster_id == cluster_id and (since is None or run.scheduled_at >= since)
    ]


@patrol_settings(loop_max_backoff_seconds=1)
async def test_a_failing_api_ends_its_runs_with_a_reason_and_spares_another_cluster(
    api_stack: PatrolStack, json_logs: LogFile
) -> None:
    steady_local, steady = await api_stack.add_local_cluster("steady")
    await api_stack.start_worker()
    api_stack.local.faults.fail_requests(count=ALWAYS, status=500, path_contains=PODS)
    check = await api_stack.add_check(
        "both",
        python_script(REPORT_TO_INJECTED_URL),
        run_interval="3s",
        timeout="3s",
        cluster_ids=[api_stack.cluster.id, steady.id],
    )

    async def failed_here_and_succeeding_there() -> list[Run] | None:
        runs = [run for run in await api_stack.runs(check.id) if run.status.is_terminal]
        failing, fine = on(runs, api_stack.cluster.id), on(runs, steady.id)
        return failing if failing and len(fine) >= 2 else None

    failing = await eventually(failed_here_and_succeeding_there, timeout=30)
    assert failing[0].status is RunStatus.ERROR
    assert failing[0].failure_reason is FailureReason.LAUNCH_FAILED
    assert "500 Internal error occurred: injected fault" in failing[0].errors[0]
    runs = await api_stack.runs(check.id)
    assert all(
        run.status is RunStatus.SUCCEEDED for run in on(runs, steady.id) if run.status.is_terminal
    )

    api_stack.local.faults.clear()
    lifted = utcnow()

    async def succeeding_again() -> bool:
        runs = on(await api_stack.runs(check.id), api_stack.cluster.id, since=lifted)
        return any(run.status is RunStatus.SUCCEEDED for run in runs)

    await eventually(succeeding_again, timeout=20)
    await assert_history_consistent(api_stack, clusters=[steady_local])


TRANSIENT: dict[str, Callable[[Faults], None]] = {
    "throttled (429)": lambda faults: faults.fail_requests(
        count=3, status=429, path_contains="/namespaces/default/pods"
    ),
    "unavailable (503)": lambda faults: faults.fail_requests(
        count=3, status=503, path_contains="/namespaces/default/pods"
    ),
    "slow": lambda faults: faults.delay_requests(1.0, count=ALWAYS, path_contains=PODS),
}


@pytest.mark.parametrize("inject", TRANSIENT.values(), ids=TRANSIENT.keys())
async def test_a_briefly_throttled_or_slow_api_delays_a_run_but_does_not_fail_it(
    api_stack: PatrolStack, inject: Callable[[Faults], None], json_logs: LogFile
) -> None:
    steady_local, steady = await api_stack.add_local_cluster("steady")
    await api_stack.start_worker()
    inject(api_stack.local.faults)
    check = await api_stack.add_check(
        "both",
        python_script(REPORT_TO_INJECTED_URL),
        run_interval="1h",
        timeout="20s",
        cluster_ids=[api_stack.cluster.id, steady.id],
    )

    runs = await api_stack.finalized_runs(check.id, 2, timeout=30)

    assert [run.status for run in runs] == [RunStatus.SUCCEEDED] * 2, [run.errors for run in runs]
    api_stack.local.faults.clear()
    await assert_history_consistent(api_stack, clusters=[steady_local])


async def test_a_throttled_launch_waits_as_long_as_the_api_server_asks(
    stack: PatrolStack, json_logs: LogFile
) -> None:
    # The pod creation only: the namespaced watch lists the same path.
    stack.local.faults.fail_requests(
        count=1, status=429, path_contains="/namespaces/default/pods", method="POST"
    )
    check = await stack.add_check(
        "throttled", python_script(REPORT_TO_INJECTED_URL), run_interval="1h", timeout="20s"
    )

    (run,) = await stack.finalized_runs(check.id, 1, timeout=30)

    assert run.status is RunStatus.SUCCEEDED, run.errors
    (throttled,) = json_logs.records("pod creation failed; retrying", run_id=str(run.id))
    (launched,) = json_logs.records("run launched", run_id=str(run.id))
    assert throttled["retry_in_seconds"] == THROTTLED_RETRY_AFTER_SECONDS
    waited = datetime.fromisoformat(launched["timestamp"]) - datetime.fromisoformat(
        throttled["timestamp"]
    )
    assert waited.total_seconds() >= THROTTLED_RETRY_AFTER_SECONDS
    await assert_history_consistent(stack)
