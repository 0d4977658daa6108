"""Keeping history bounded: raw runs (with their logs and pod events), the event log and rollup
buckets, each past its retention, deleted in small batches of one short transaction each so that
no writer (on SQLite, every writer) waits long. Rollups are kept longer than the runs they
summarize, and are never derived from them, so pruning runs loses no uptime."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel, col, select

from app.db import SessionFactory
from app.domain.rollup import RollupStep
from app.logging import get_logger
from app.metrics import HISTORY_PRUNE_BATCHES, HISTORY_PRUNED, HOUSEKEEPING_PRUNED
from app.models import Event, Run, RunRollup, RunRollupBin
from app.settings import Settings

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Retention:
    runs: timedelta
    events: timedelta
    hourly_rollups: timedelta
    daily_rollups: timedelta
    batch_size: int = 1_000

    @classmethod
    def of(cls, settings: Settings) -> Retention:
        return cls(
            runs=timedelta(days=settings.run_retention_days),
            events=timedelta(days=settings.event_retention_days),
            hourly_rollups=timedelta(days=settings.hourly_rollup_retention_days),
            daily_rollups=timedelta(days=settings.rollup_retention_days),
            batch_size=settings.retention_batch_size,
        )


@dataclass(slots=True)
class Pruned:
    """Rows deleted, by kind."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def runs(self) -> int:
        return self.counts.get("runs", 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def prune_history(
    session_factory: SessionFactory, retention: Retention, *, now: datetime
) -> Pruned:
    pruned = Pruned()
    run_cutoff = now - retention.runs
    # scheduled_at bounds the scan by its index; a run finishes after it is scheduled.
    runs = select(col(Run.id)).where(
        col(Run.scheduled_at) < run_cutoff,
        col(Run.finished_at).is_not(None),
        col(Run.finished_at) < run_cutoff,
    )
    await _prune(session_factory, pruned, "runs", Run, [col(Run.id)], runs, retention.batch_size)
    events = select(col(Event.id)).where(col(Event.at) < now - retention.events)
    await _prune(
        session_factory, pruned, "events", Event, [col(Event.id)], events, retention.batch_size
    )
    for step, kept in (
        (RollupStep.HOUR, retention.hourly_rollups),
        (RollupStep.DAY, retention.daily_rollups),
    ):
        for kind, table in (
            ("hourly_rollups" if step is RollupStep.HOUR else "daily_rollups", _table(RunRollup)),
            ("rollup_bins", _table(RunRollupBin)),
        ):
            key = list(table.primary_key.columns)
            old = sa.select(*key).where(table.c.step == step, table.c.bucket_start < now - kept)
            await _prune(session_factory, pruned, kind, table, key, old, retention.batch_size)
    HOUSEKEEPING_PRUNED.inc(pruned.runs)
    log.info("history pruned", **{f"pruned_{kind}": count for kind, count in pruned.counts.items()})
    return pruned


def _table(model: type[SQLModel]) -> sa.Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


async def _prune(
    session_factory: SessionFactory,
    pruned: Pruned,
    kind: str,
    table: Any,
    key: list[Any],
    old: Any,
    batch_size: int,
) -> None:
    while True:
        selector = key[0] if len(key) == 1 else sa.tuple_(*key)
        async with session_factory.begin() as session:
            result = await session.exec(
                sa.delete(table)
                .where(selector.in_(old.limit(batch_size)))
                .execution_options(synchronize_session=False)
            )
        deleted = int(result.rowcount or 0)
        pruned.counts[kind] = pruned.counts.get(kind, 0) + deleted
        HISTORY_PRUNE_BATCHES.labels(kind=kind).inc()
        HISTORY_PRUNED.labels(kind=kind).inc(deleted)
        if deleted < batch_size:
            return
