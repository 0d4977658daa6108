"""Rollup buckets, filled in the transaction that decides runs. A building block: it takes the
caller's session and never commits (see `app/services/__init__.py`).

Every write is an additive upsert (`runs = runs + excluded.runs`), so decisions made in any order,
by any number of processes, give the same buckets; nothing ever rescans raw runs."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.rollup import RollupStep, Tally, bin_of, bucket_start, counts, duration_ms, tally_of
from app.models import RunRollup, RunRollupBin
from app.services.history import RunFacts

BucketKey = tuple[uuid.UUID, RollupStep, datetime, uuid.UUID]  # check, step, bucket, cluster
_ADDED = (
    "runs",
    "successes",
    "failures",
    "timeouts",
    "errors",
    "duration_count",
    "duration_sum_ms",
)


async def record(session: AsyncSession, decided: Sequence[RunFacts]) -> None:
    """Add the decided runs to their hourly and daily buckets (one statement per table)."""
    tallies: dict[BucketKey, Tally] = defaultdict(Tally)
    bins: dict[tuple[BucketKey, int], int] = defaultdict(int)
    for run in decided:
        if not counts(run.status):
            continue
        milliseconds = duration_ms(run.started_at, run.finished_at)
        for step in RollupStep:
            key = (run.check_id, step, bucket_start(run.scheduled_at, step), run.cluster_id)
            tallies[key] += tally_of(run.status, milliseconds)
            if milliseconds is not None:
                bins[(key, bin_of(milliseconds))] += 1
    if not tallies:
        return
    insert = _dialect_insert(session)
    # Sorted keys: concurrent deciders lock rows in the same order and cannot deadlock.
    await session.exec(
        _upsert_tallies(insert),
        params=[_tally_row(key, tallies[key]) for key in sorted(tallies, key=_order)],
    )
    if bins:
        await session.exec(
            _upsert_bins(insert),
            params=[
                {**_key_row(key), "bin": bin_number, "count": bins[(key, bin_number)]}
                for key, bin_number in sorted(bins, key=lambda item: (_order(item[0]), item[1]))
            ],
        )


def _order(key: BucketKey) -> tuple[str, str, datetime, str]:
    return (str(key[0]), key[1].value, key[2], str(key[3]))


def _key_row(key: BucketKey) -> dict[str, Any]:
    check_id, step, start, cluster_id = key
    return {"check_id": check_id, "step": step, "bucket_start": start, "cluster_id": cluster_id}


def _tally_row(key: BucketKey, tally: Tally) -> dict[str, Any]:
    return {
        **_key_row(key),
        "runs": tally.runs,
        "successes": tally.successes,
        "failures": tally.failures,
        "timeouts": tally.timeouts,
        "errors": tally.errors,
        "duration_count": tally.duration_count,
        "duration_sum_ms": tally.duration_sum_ms,
        "duration_min_ms": tally.duration_min_ms,
        "duration_max_ms": tally.duration_max_ms,
    }


def _upsert_tallies(insert: Any) -> Any:
    statement = insert(RunRollup)
    table, excluded = RunRollup.__table__, statement.excluded  # type: ignore[attr-defined]
    added = {name: table.c[name] + excluded[name] for name in _ADDED}
    return statement.on_conflict_do_update(
        index_elements=["check_id", "step", "bucket_start", "cluster_id"],
        set_={
            **added,
            "duration_min_ms": _kept(table.c.duration_min_ms, excluded.duration_min_ms, "<"),
            "duration_max_ms": _kept(table.c.duration_max_ms, excluded.duration_max_ms, ">"),
        },
    )


def _kept(stored: Any, incoming: Any, better: str) -> Any:
    """The smaller (or larger) of two nullable values, the same on SQLite and PostgreSQL."""
    return sa.case((sa.or_(stored.is_(None), incoming.op(better)(stored)), incoming), else_=stored)


def _upsert_bins(insert: Any) -> Any:
    statement = insert(RunRollupBin)
    table = RunRollupBin.__table__  # type: ignore[attr-defined]
    return statement.on_conflict_do_update(
        index_elements=["check_id", "step", "bucket_start", "cluster_id", "bin"],
        set_={"count": table.c["count"] + statement.excluded["count"]},
    )


def _dialect_insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
