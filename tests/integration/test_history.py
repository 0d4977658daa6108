"""Check statuses and the event log, written in the transactions that decide runs."""

from __future__ import annotations

import asyncio
import itertools
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from sqlmodel import col, select

from app.db import SessionFactory
from app.domain.check_status import CheckHealth
from app.domain.run_lifecycle import REPORT, check_failed, succeeded
from app.keyring import Keyring
from app.models import (
    Check,
    CheckStatus,
    Cluster,
    ConnectionKind,
    Event,
    EventKind,
    Run,
    RunStatus,
    RunTrigger,
)
from app.models.columns import utcnow
from app.services import run_state
from app.services.checks import (
    CheckChanges,
    CheckDraft,
    create_check,
    pause_check,
    resume_check,
    update_check,
)
from app.services.clusters import ClusterDraft, create_cluster
from tests.fixtures.database import DatabaseTarget

POD_SPEC = {"containers": [{"name": "c", "image": "busybox"}]}


async def clusters(session_factory: SessionFactory, keyring: Keyring, count: int) -> list[Cluster]:
    async with session_factory.begin() as session:
        return [
            await create_cluster(
                session, ClusterDraft(name=f"c{n}", connection_kind=ConnectionKind.LOCAL), keyring
            )
            for n in range(count)
        ]


async def a_check(session_factory: SessionFactory, cluster_ids: list[uuid.UUID]) -> Check:
    async with session_factory.begin() as session:
        return await create_check(
            session,
            CheckDraft(
                name="ping",
                namespace="default",
                pod_spec=POD_SPEC,
                timeout="30s",
                cluster_ids=cluster_ids,
            ),
        )


async def statuses(session_factory: SessionFactory) -> dict[uuid.UUID, CheckStatus]:
    async with session_factory() as session:
        rows = (await session.exec(select(CheckStatus))).all()
    return {row.cluster_id: row for row in rows}


async def events(session_factory: SessionFactory, kind: EventKind | None = None) -> list[Event]:
    async with session_factory() as session:
        query = select(Event).order_by(col(Event.id))
        if kind is not None:
            query = query.where(col(Event.kind) == kind)
        return list((await session.exec(query)).all())


async def running_run(
    session_factory: SessionFactory, check: Check, cluster_id: uuid.UUID, started_ago: float
) -> uuid.UUID:
    now = utcnow()
    started = now - timedelta(seconds=started_ago)
    run = Run(
        check_id=check.id,
        cluster_id=cluster_id,
        check_version=1,
        trigger=RunTrigger.API,
        status=RunStatus.RUNNING,
        scheduled_at=started,
        started_at=started,
        deadline_at=now + timedelta(minutes=5),
    )
    async with session_factory.begin() as session:
        await run_state.create(session, [run], now=now)
    return run.id


async def test_a_check_starts_unknown_in_each_of_its_clusters_and_follows_its_memberships(
    session_factory: SessionFactory, keyring: Keyring
) -> None:
    first, second = await clusters(session_factory, keyring, 2)
    check = await a_check(session_factory, [first.id, second.id])
    assert {row.status for row in (await statuses(session_factory)).values()} == {
        CheckHealth.UNKNOWN
    }
    async with session_factory.begin() as session:
        await update_check(session, check.id, CheckChanges(cluster_ids=[second.id]))
    assert list(await statuses(session_factory)) == [second.id]


async def test_a_decided_run_moves_the_status_and_logs_the_flip_in_the_same_transaction(
    session_factory: SessionFactory, keyring: Keyring
) -> None:
    (cluster,) = await clusters(session_factory, keyring, 1)
    check = await a_check(session_factory, [cluster.id])
    run_id = await running_run(session_factory, check, cluster.id, started_ago=1)
    async with session_factory.begin() as session:
        await run_state.decide(session, [(run_id, check_failed(["boom"]))], REPORT, now=utcnow())
    row = (await statuses(session_factory))[cluster.id]
    assert row.status is CheckHealth.FAILING and row.consecutive_failures == 1
    assert row.last_run_id == run_id
    kinds = [event.kind for event in await events(session_factory)]
    assert kinds == [
        EventKind.CHECK_CHANGED,  # the check's creation
        EventKind.RUN_CREATED,
        EventKind.RUN_DECIDED,
        EventKind.STATUS_CHANGED,
    ]
    (flip,) = await events(session_factory, EventKind.STATUS_CHANGED)
    assert flip.payload == {"from": "unknown", "to": "failing"} and flip.run_id == run_id


async def test_an_older_runs_late_decision_leaves_the_newer_runs_status(
    session_factory: SessionFactory, keyring: Keyring
) -> None:
    (cluster,) = await clusters(session_factory, keyring, 1)
    check = await a_check(session_factory, [cluster.id])
    older = await running_run(session_factory, check, cluster.id, started_ago=20)
    # The older run is decided before the newer one exists only in a test: in life they overlap.
    async with session_factory.begin() as session:
        await run_state.decide(session, [(older, succeeded())], REPORT, now=utcnow())
    async with session_factory.begin() as session:
        run = await session.get(Run, older)
        assert run is not None
    newer = await running_run(session_factory, check, cluster.id, started_ago=5)
    async with session_factory.begin() as session:
        await run_state.decide(session, [(newer, check_failed(["x"]))], REPORT, now=utcnow())
    assert (await statuses(session_factory))[cluster.id].status is CheckHealth.FAILING


async def test_pausing_and_resuming_a_check_flips_every_cluster_status_and_logs_it(
    session_factory: SessionFactory, keyring: Keyring
) -> None:
    first, second = await clusters(session_factory, keyring, 2)
    check = await a_check(session_factory, [first.id, second.id])
    async with session_factory.begin() as session:
        await pause_check(session, check.id)
    assert {row.status for row in (await statuses(session_factory)).values()} == {
        CheckHealth.PAUSED
    }
    async with session_factory.begin() as session:
        await resume_check(session, check.id)
    assert {row.status for row in (await statuses(session_factory)).values()} == {
        CheckHealth.UNKNOWN
    }
    flips = [
        (event.payload["from"], event.payload["to"])
        for event in await events(session_factory, EventKind.STATUS_CHANGED)
    ]
    assert sorted(flips) == sorted([("unknown", "paused")] * 2 + [("paused", "unknown")] * 2)


ACTOR = """
import asyncio, sys, uuid
from datetime import timedelta
from app.db import create_engine, create_session_factory
from app.domain.run_lifecycle import REPORT, succeeded, check_failed
from app.models import Run, RunStatus, RunTrigger
from app.models.columns import utcnow
from app.services import run_state
from app.services.checks import pause_check, resume_check

async def retried(factory, work):
    for attempt in range(50):
        try:
            async with factory.begin() as session:
                return await work(session)
        except Exception:  # the database was busy with the other process: try again
            if attempt == 49:
                raise
            await asyncio.sleep(0.02)

async def main():
    url, schema, role, check_id, cluster_id, rounds = sys.argv[1:7]
    engine = create_engine(url, schema=schema or None)
    factory = create_session_factory(engine)
    check_id, cluster_id = uuid.UUID(check_id), uuid.UUID(cluster_id)
    for n in range(int(rounds)):
        if role == "runs":
            now = utcnow()
            run = Run(check_id=check_id, cluster_id=cluster_id, check_version=1,
                      trigger=RunTrigger.API, status=RunStatus.RUNNING, scheduled_at=now,
                      started_at=now, deadline_at=now + timedelta(minutes=5))
            await retried(factory, lambda session: run_state.create(session, [Run(**run.model_dump())], now=now))
            outcome = succeeded() if (n // 3) % 2 == 0 else check_failed(["down"])
            await retried(factory, lambda session: run_state.decide(session, [(run.id, outcome)], REPORT, now=utcnow()))
        else:
            change = pause_check if n % 2 == 0 else resume_check
            await retried(factory, lambda session: change(session, check_id))
    await engine.dispose()

asyncio.run(main())
"""


async def test_two_processes_changing_one_status_at_once_record_one_transition_per_flip(
    session_factory: SessionFactory, keyring: Keyring, database_target: DatabaseTarget
) -> None:
    """One process decides a chain of runs while another pauses and resumes the check: every
    flip is logged once, as a chain that ends where the status is."""
    (cluster,) = await clusters(session_factory, keyring, 1)
    check = await a_check(session_factory, [cluster.id])
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            ACTOR,
            database_target.url,
            database_target.schema or "",
            role,
            str(check.id),
            str(cluster.id),
            rounds,
            cwd=Path(__file__).resolve().parents[2],
        )
        for role, rounds in (("runs", "30"), ("toggle", "31"))
    ]
    assert [await process.wait() for process in processes] == [0, 0]

    final = (await statuses(session_factory))[cluster.id]
    assert final.status is CheckHealth.PAUSED  # 31 toggles end paused
    flips = [
        (event.payload["from"], event.payload["to"])
        for event in await events(session_factory, EventKind.STATUS_CHANGED)
    ]
    assert flips[0][0] == "unknown" and flips[-1][1] == "paused"
    for (_, reached), (left, arrived) in itertools.pairwise(flips):
        assert left == reached and arrived != left  # a chain: no flip twice, none skipped
    assert len(await events(session_factory, EventKind.RUN_DECIDED)) == 30
    assert final.consecutive_failures == 3 and final.last_run_status is RunStatus.FAILED
