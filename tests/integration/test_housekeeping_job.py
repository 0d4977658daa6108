from datetime import timedelta

from sqlmodel import select

from app.job_names import HOUSEKEEPING
from app.models import Check, Cluster, ConnectionKind, Run, RunLog, RunStatus, RunTrigger
from app.models.columns import utcnow
from app.runtime import Runtime
from tests.fixtures.runtime import DrainQueue


async def seed_runs(runtime: Runtime) -> tuple[Run, Run, Run]:
    now = utcnow()
    cluster = Cluster(name="local", connection_kind=ConnectionKind.LOCAL)
    check = Check(
        name="web",
        namespace="default",
        pod_spec={"containers": [{"name": "c", "image": "x"}]},
        timeout_seconds=30,
    )

    def run(age: timedelta, finished: bool) -> Run:
        return Run(
            check_id=check.id,
            cluster_id=cluster.id,
            check_version=1,
            trigger=RunTrigger.SCHEDULE,
            status=RunStatus.SUCCEEDED if finished else RunStatus.RUNNING,
            scheduled_at=now - age,
            finished_at=now - age if finished else None,
        )

    old, recent, old_unfinished = (
        run(timedelta(days=40), True),
        run(timedelta(days=1), True),
        run(timedelta(days=41), False),
    )
    async with runtime.session_factory() as session:
        session.add_all([cluster, check])
        await session.flush()
        session.add_all([old, recent, old_unfinished])
        await session.flush()
        session.add(RunLog(run_id=old.id, container="c", content="bye"))
        await session.commit()
    return old, recent, old_unfinished


async def test_housekeeping_job_prunes_finished_runs_past_retention(
    runtime: Runtime, drain_queue: DrainQueue
) -> None:
    _old, recent, old_unfinished = await seed_runs(runtime)

    assert await runtime.queue.enqueue(HOUSEKEEPING, job_id="housekeeping:test")
    assert await drain_queue() == 1

    async with runtime.session_factory() as session:
        remaining = {run.id for run in (await session.exec(select(Run))).all()}
        logs = (await session.exec(select(RunLog))).all()
    assert remaining == {recent.id, old_unfinished.id}
    assert logs == []


async def test_the_same_job_id_is_enqueued_only_once(runtime: Runtime) -> None:
    assert await runtime.queue.enqueue(HOUSEKEEPING, job_id="housekeeping:once")
    assert not await runtime.queue.enqueue(HOUSEKEEPING, job_id="housekeeping:once")
    assert await runtime.queue.queued_job_ids() == ["housekeeping:once"]
