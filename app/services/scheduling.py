"""Per-check schedules: each (check, cluster) has its own next due time, and only an edit of that
check touches its rows. Claiming a due slot is a compare-and-set, so schedulers need no leader."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.schedule import decide_slot, first_due
from app.metrics import SCHEDULE_SLOTS_SKIPPED
from app.models import Check, CheckCluster, CheckSchedule, Run, RunStatus, RunTrigger
from app.services import run_state
from app.services.ports import EventNudges


async def sync_check_schedule(session: AsyncSession, check: Check, *, now: datetime) -> None:
    """Make the check's schedule rows match its definition (call after every create/edit/pause,
    once its cluster links are flushed). Touches this check's rows only.

    A periodic, enabled check has one row per cluster; an unchanged interval keeps its due times,
    a changed one keeps the rhythm from the last slot that ran.
    """
    assigned = (
        await session.exec(select(CheckCluster.cluster_id).where(CheckCluster.check_id == check.id))
    ).all()
    wanted = set(assigned) if check.enabled and check.run_interval_seconds else set()
    rows = {
        row.cluster_id: row
        for row in (
            await session.exec(select(CheckSchedule).where(CheckSchedule.check_id == check.id))
        ).all()
    }
    for cluster_id, unwanted in rows.items():
        if cluster_id not in wanted:
            await session.delete(unwanted)
    if not wanted:
        return
    interval = timedelta(seconds=check.run_interval_seconds or 0)
    for cluster_id in wanted:
        row = rows.get(cluster_id)
        if row is None:
            session.add(CheckSchedule(check_id=check.id, cluster_id=cluster_id, next_due_at=now))
            continue
        next_due = first_due(now, interval, previous_slot=row.last_slot_at)
        if next_due != row.next_due_at:
            row.next_due_at = next_due
            row.updated_at = now
            session.add(row)


@dataclass(frozen=True, slots=True)
class DueSlot:
    check_id: uuid.UUID
    cluster_id: uuid.UUID
    due: datetime


async def due_slots(session: AsyncSession, *, until: datetime, limit: int) -> list[DueSlot]:
    rows = await session.exec(
        select(CheckSchedule.check_id, CheckSchedule.cluster_id, CheckSchedule.next_due_at)
        .where(CheckSchedule.next_due_at <= until)
        .order_by(CheckSchedule.next_due_at)  # type: ignore[arg-type]
        .limit(limit)
    )
    return [DueSlot(check_id, cluster_id, due) for check_id, cluster_id, due in rows.all()]


async def next_due_time(session: AsyncSession) -> datetime | None:
    result = await session.exec(select(sa.func.min(CheckSchedule.next_due_at)))
    value: datetime | None = result.one()
    return value


async def claim_due_slots(
    session: AsyncSession, slots: list[DueSlot], *, now: datetime, nudges: EventNudges
) -> list[Run]:
    """Advance each due schedule past its slot and create the slot's run, all in one transaction.

    A slot is left out when another scheduler claimed it first (its due time moved: the
    compare-and-set finds no row), when its check changed meanwhile, or when the previous run of
    the same check and cluster is still in flight (then it is skipped and counted).
    """
    if not slots:
        return []
    check_ids = list({slot.check_id for slot in slots})
    checks = {
        check.id: check
        for check in (await session.exec(select(Check).where(col(Check.id).in_(check_ids)))).all()
    }
    busy = set(
        (
            await session.exec(
                select(Run.check_id, Run.cluster_id).where(
                    col(Run.check_id).in_(check_ids), col(Run.status).in_(RunStatus.in_flight())
                )
            )
        ).all()
    )
    runs: list[Run] = []
    for slot in slots:
        check = checks.get(slot.check_id)
        if check is None or not check.enabled or not check.run_interval_seconds:
            continue
        decision = decide_slot(slot.due, timedelta(seconds=check.run_interval_seconds), now)
        in_flight = (slot.check_id, slot.cluster_id) in busy
        claimed = await session.exec(
            sa.update(CheckSchedule)
            .where(
                col(CheckSchedule.check_id) == slot.check_id,
                col(CheckSchedule.cluster_id) == slot.cluster_id,
                col(CheckSchedule.next_due_at) == slot.due,
            )
            .values(
                next_due_at=decision.next_due,
                last_slot_at=decision.slot,
                skipped_slots=CheckSchedule.skipped_slots + decision.skipped + int(in_flight),
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue
        SCHEDULE_SLOTS_SKIPPED.labels(reason="missed").inc(decision.skipped)
        if in_flight:
            # Concurrency policy Forbid: the previous run is still undecided.
            SCHEDULE_SLOTS_SKIPPED.labels(reason="in_flight").inc()
            continue
        runs.append(
            Run(
                check_id=check.id,
                cluster_id=slot.cluster_id,
                check_version=check.version,
                trigger=RunTrigger.SCHEDULE,
                scheduled_at=decision.slot,
            )
        )
    try:
        await run_state.create(session, runs, now=now)
        await session.commit()
    except IntegrityError:
        # A manual run started in between: nothing of this batch sticks, its slots stay due
        # and the next pass claims them again (and skips the one now in flight).
        await session.rollback()
        return []
    if runs:
        nudges.events_appended()
    return runs
