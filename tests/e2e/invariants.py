"""What every fault test checks once its fault is over: no run lost, stuck past its deadline or
duplicated, no pod or checker process left behind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from sqlmodel import col, select

from app.adapters.broker import SCHEDULES_CHANGED, publish
from app.domain.run_lifecycle import PENDING_GRACE
from app.localcluster.server import LocalCluster
from app.models import Check, Run, RunEvent, RunStatus
from app.models.columns import utcnow
from app.services.checks import pause_check
from tests.fixtures.processes import processes_with
from tests.fixtures.stack import PatrolStack, eventually

# The deadline sweep wakes at most once a second; a loaded machine adds a few more.
DEADLINE_SLACK = timedelta(seconds=5)


async def stop_scheduling(stack: PatrolStack) -> None:
    """Pause every check, so that the history can settle."""
    async with stack.runtime.session_factory() as session:
        check_ids = list((await session.exec(select(Check.id))).all())
        for check_id in check_ids:
            await pause_check(session, check_id)
        await session.commit()
    await publish(stack.runtime.redis, SCHEDULES_CHANGED)


def stuck_runs(runs: Sequence[Run]) -> list[Run]:
    """Runs still in flight past their deadline (or, never launched, past the reconciler's
    grace), with some slack."""
    now = utcnow()
    return [
        run
        for run in runs
        if (
            run.status is RunStatus.RUNNING
            and run.deadline_at is not None
            and run.deadline_at + DEADLINE_SLACK < now
        )
        or (
            run.status is RunStatus.PENDING
            and run.created_at + PENDING_GRACE + DEADLINE_SLACK < now
        )
    ]


async def all_runs(stack: PatrolStack) -> list[Run]:
    async with stack.runtime.session_factory() as session:
        return list((await session.exec(select(Run).order_by(col(Run.scheduled_at)))).all())


async def assert_history_consistent(
    stack: PatrolStack,
    *,
    clusters: Sequence[LocalCluster] = (),
    markers: Sequence[str] = (),
    timeout: float = 30,
) -> list[Run]:
    """Stops scheduling, waits for every run to be decided and finalized, every pod of `clusters`
    (the stack's own by default) deleted and every process whose command line has one of
    `markers` ended, failing at once if a run is in flight past its deadline. Then checks that
    each slot ran once and each run's pod was scheduled once. Returns every run."""
    await stop_scheduling(stack)
    watched = [stack.local, *clusters]

    async def settled() -> list[Run] | None:
        runs = await all_runs(stack)
        stuck = stuck_runs(runs)
        assert not stuck, [(run.id, run.status, run.deadline_at) for run in stuck]
        finalized = all(run.status.is_terminal and run.finalized_at is not None for run in runs)
        pods = [pod for local in watched for pod in local.cluster.store.items("pods")]
        processes = [pid for marker in markers for pid in processes_with(marker)]
        return runs if finalized and not pods and not processes else None

    runs = await eventually(settled, timeout=timeout)
    slots = Counter((run.check_id, run.cluster_id, run.scheduled_at) for run in runs)
    assert max(slots.values(), default=1) == 1, slots
    for run in runs:
        if run.status is not RunStatus.SUCCEEDED:
            assert run.failure_reason is not None and run.errors, (run.id, run.status)
    async with stack.runtime.session_factory() as session:
        scheduled = Counter(
            (
                await session.exec(select(RunEvent.run_id).where(RunEvent.reason == "Scheduled"))
            ).all()
        )
    assert all(count == 1 for count in scheduled.values()), scheduled
    return runs
