"""Per-check schedules: each (check, cluster) has its own next due time, and only an edit of that
check touches its rows. Claiming a due slot is a compare-and-set, so schedulers need no leader."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.schedule import decide_slot, first_due
from app.metrics import SCHEDULE_SLOTS_SKIPPED
from app.models import Check, CheckCluster, CheckSchedule, Run, RunStatus, RunTrigger


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


async def claim_slot(session: AsyncSession, slot: DueSlot, *, now: datetime) -> Run | None:
    """Advance the schedule past `slot` and create its run. None when another scheduler claimed
    it first, the check changed meanwhile, or the previous run is still in flight (skipped)."""
    check = await session.get(Check, slot.check_id)
    if check is None or not check.enabled or not check.run_interval_seconds:
        return None
    decision = decide_slot(slot.due, timedelta(seconds=check.run_interval_seconds), now)
    busy = await _has_run_in_flight(session, slot.check_id, slot.cluster_id)
    claimed = await session.exec(
        sa.update(CheckSchedule)
        .where(
            CheckSchedule.check_id == slot.check_id,  # type: ignore[arg-type]
            CheckSchedule.cluster_id == slot.cluster_id,  # type: ignore[arg-type]
            CheckSchedule.next_due_at == slot.due,  # type: ignore[arg-type]
        )
        .values(
            next_due_at=decision.next_due,
            last_slot_at=decision.slot,
            skipped_slots=CheckSchedule.skipped_slots + decision.skipped + int(busy),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        await session.rollback()
        return None
    SCHEDULE_SLOTS_SKIPPED.labels(reason="missed").inc(decision.skipped)
    if busy:
        # Concurrency policy Forbid: the previous run is still undecided, this slot is skipped.
        await session.commit()
        SCHEDULE_SLOTS_SKIPPED.labels(reason="in_flight").inc()
        return None
    run = Run(
        check_id=check.id,
        cluster_id=slot.cluster_id,
        check_version=check.version,
        trigger=RunTrigger.SCHEDULE,
        scheduled_at=decision.slot,
    )
    session.add(run)
    try:
        await session.commit()
    except IntegrityError:
        # A manual run started in between; the slot stays due and is skipped on the next pass.
        await session.rollback()
        return None
    return run


async def _has_run_in_flight(
    session: AsyncSession, check_id: uuid.UUID, cluster_id: uuid.UUID
) -> bool:
    found = await session.exec(
        select(Run.id)
        .where(
            Run.check_id == check_id,
            Run.cluster_id == cluster_id,
            Run.status.in_(RunStatus.in_flight()),  # type: ignore[attr-defined]
        )
        .limit(1)
    )
    return found.first() is not None
