"""Several workers, no leader: nothing runs twice, and a killed worker loses nothing."""

import asyncio
import itertools
import os
import signal
import sys
from collections import Counter
from datetime import timedelta

from sqlmodel import col, select

from app.models import Run, RunEvent, RunStatus
from tests.e2e.checkers import REPORT_TO_INJECTED_URL, python_script
from tests.e2e.invariants import assert_history_consistent
from tests.fixtures.stack import PatrolStack, eventually, shell_checker


async def test_two_workers_run_fifty_scheduled_runs_with_no_duplicates(
    api_stack: PatrolStack,
) -> None:
    first, second = await api_stack.start_worker(), await api_stack.start_worker()
    checks = [
        await api_stack.add_check(
            f"twin-{n}", python_script(REPORT_TO_INJECTED_URL), run_interval="3s", timeout="3s"
        )
        for n in range(10)
    ]

    async def fifty_finalized() -> list[Run] | None:
        async with api_stack.runtime.session_factory() as session:
            runs = list(
                (await session.exec(select(Run).where(col(Run.finalized_at).is_not(None)))).all()
            )
        return runs if len(runs) >= 50 else None

    await eventually(fifty_finalized, timeout=60)
    for check in checks:  # stop scheduling before counting
        async with api_stack.runtime.session_factory() as session:
            from app.services.checks import pause_check

            await pause_check(session, check.id)
            await session.commit()
    async with api_stack.runtime.session_factory() as session:
        runs = list((await session.exec(select(Run))).all())
        scheduled_events = Counter(
            (
                await session.exec(select(RunEvent.run_id).where(RunEvent.reason == "Scheduled"))
            ).all()
        )

    slots = Counter((run.check_id, run.scheduled_at) for run in runs)
    assert max(slots.values()) == 1
    finalized = [run for run in runs if run.finalized_at is not None]
    assert len(finalized) >= 50
    # Under load a checker may miss its 3 s deadline; what matters here is that each slot ran once.
    assert all(run.status.is_terminal for run in finalized)
    assert all(scheduled_events[run.id] == 1 for run in finalized)
    for check in checks:
        times = sorted(run.scheduled_at for run in runs if run.check_id == check.id)
        # On the 3 s grid, never drifting; a slot whose previous run was still in flight on a
        # loaded machine is skipped (concurrency policy Forbid), never run late or twice.
        assert all(
            (later - earlier) % timedelta(seconds=3) == timedelta(0) and later > earlier
            for earlier, later in itertools.pairwise(times)
        )
    assert first.jobs_complete > 0 and second.jobs_complete > 0


async def test_a_sigkilled_worker_loses_no_run_and_leaks_no_pod(api_stack: PatrolStack) -> None:
    environment = {**os.environ, **api_stack.process_environment()}
    doomed = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "worker",
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        check = await api_stack.add_check(
            "orphan", shell_checker("sleep 60"), timeout="3s", run_interval="1h"
        )

        async def running() -> Run | None:
            runs = await api_stack.runs(check.id)
            return (
                runs[0]
                if runs and runs[0].status is RunStatus.RUNNING and api_stack.live_pods()
                else None
            )

        run = await eventually(running, timeout=30)
    finally:
        doomed.send_signal(signal.SIGKILL)
        await doomed.wait()
    # Jobs may be lost with the worker (or with Redis): only the database remembers the run.
    await api_stack.runtime.redis.flushdb()

    await api_stack.start_worker()

    (ended,) = await api_stack.finalized_runs(check.id, 1, timeout=30)
    assert ended.id == run.id
    assert ended.status is RunStatus.TIMED_OUT
    await assert_history_consistent(api_stack)

