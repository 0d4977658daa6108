"""`patrol serve` or `patrol worker` killed with SIGKILL while a Kubernetes call of a launch or of a
finalize is in flight (held there by the local cluster): after another worker takes over, the
run is decided once and finalized, its pod is gone, and monitoring goes on."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from app.models import RunStatus
from tests.e2e.checkers import REPORT_TO_INJECTED_URL, python_script
from tests.e2e.invariants import assert_history_consistent
from tests.fixtures.http_target import free_port
from tests.fixtures.logs import LogFile
from tests.fixtures.stack import PatrolStack, eventually

# Longer than the test: the local cluster drops a request whose client is gone when the hold
# ends, so the killed process's pod creation or deletion never happens.
HELD_FOR = 120.0


@dataclass(frozen=True)
class Phase:
    method: str
    path_contains: str
    timeout: str
    outcome: RunStatus


# The run started, its pod was never created: it times out at its deadline, not later.
LAUNCH = Phase("POST", "/namespaces/default/pods", "5s", RunStatus.TIMED_OUT)
# The run was decided, and finalized but for its pod's deletion: the reaper deletes the pod.
DELETION = Phase("DELETE", "/namespaces/default/pods/", "15s", RunStatus.SUCCEEDED)
# The run was decided, its finalize job cut off while reading the pod: the killed worker's claim
# holds that job for minutes, and a new one replaces it once the finalize counts as stalled.
CAPTURE = Phase("GET", "/namespaces/default/pods/", "15s", RunStatus.SUCCEEDED)
KILLS = {
    "serve-launch": ("serve", LAUNCH),
    "serve-finalize-delete": ("serve", DELETION),
    "worker-launch": ("worker", LAUNCH),
    "worker-finalize-delete": ("worker", DELETION),
    "worker-finalize-capture": ("worker", CAPTURE),
}


@asynccontextmanager
async def patrol_process(
    stack: PatrolStack, command: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`patrol serve` or `patrol worker` on the stack's database, Redis and clusters."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PATROL_")}
    environment |= stack.process_environment() | {"PATROL_PORT": str(free_port())}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        command,
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.parametrize("command, phase", KILLS.values(), ids=KILLS.keys())
async def test_a_process_killed_mid_call_leaves_no_run_undecided_twice_or_pod_behind(
    api_stack: PatrolStack, command: str, phase: Phase, sleep_marker: str, json_logs: LogFile
) -> None:
    faults = api_stack.local.faults
    faults.delay_requests(HELD_FOR, path_contains=phase.path_contains, method=phase.method)
    async with patrol_process(api_stack, command) as doomed:
        check = await api_stack.add_check(
            "interrupted",
            python_script(f"{REPORT_TO_INJECTED_URL}# {sleep_marker}"),
            timeout=phase.timeout,
            run_interval="1h",
        )

        async def held() -> bool:
            assert doomed.returncode is None, f"patrol {command} exited"
            return faults.armed() == 0

        await eventually(held, timeout=30)
        doomed.kill()
        await doomed.wait()

    await api_stack.start_worker()

    (run,) = await api_stack.finalized_runs(check.id, 1, timeout=30)
    assert run.status is phase.outcome, run.errors
    later = await api_stack.add_check(
        "after-the-kill", python_script(REPORT_TO_INJECTED_URL), run_interval="1h"
    )
    (next_one,) = await api_stack.finalized_runs(later.id, 1, timeout=30)
    assert next_one.status is RunStatus.SUCCEEDED, next_one.errors
    runs = await assert_history_consistent(api_stack, markers=[sleep_marker])
    assert len(runs) == 2
