"""Reading rollups: a check's uptime and durations over a window, per cluster and overall, and
a chart's series. Each answer costs two statements (counters, then histogram bins) whatever the
number of runs summarized."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.history_window import Span
from app.domain.rollup import Tally, merge_bins, quantile_ms
from app.models import RunRollup, RunRollupBin

P95 = 0.95


@dataclass(frozen=True, slots=True)
class Figures:
    """Summed buckets: counters and the merged duration histogram."""

    tally: Tally = field(default_factory=Tally)
    bins: dict[int, int] = field(default_factory=dict)

    def __add__(self, other: Figures) -> Figures:
        return Figures(self.tally + other.tally, merge_bins([self.bins, other.bins]))

    @property
    def p95_ms(self) -> float | None:
        return quantile_ms(
            self.bins, P95, low=self.tally.duration_min_ms, high=self.tally.duration_max_ms
        )


@dataclass(frozen=True, slots=True)
class Uptime:
    span: Span
    overall: Figures
    by_cluster: dict[uuid.UUID, Figures]


@dataclass(frozen=True, slots=True)
class Point:
    at: datetime
    figures: Figures


async def uptimes(
    session: AsyncSession,
    check_ids: Sequence[uuid.UUID],
    span: Span,
    cluster_id: uuid.UUID | None = None,
) -> dict[uuid.UUID, Uptime]:
    """The uptime of each check over the span (checks without runs included, all zero)."""
    grouped = await figures_by(
        session, span, ("check_id", "cluster_id"), list(check_ids), cluster_id
    )
    by_check: dict[uuid.UUID, dict[uuid.UUID, Figures]] = defaultdict(dict)
    for (check_id, found_cluster), figures in grouped.items():
        by_check[check_id][found_cluster] = figures
    return {
        check_id: Uptime(span, sum(by_check[check_id].values(), Figures()), by_check[check_id])
        for check_id in check_ids
    }


async def series(
    session: AsyncSession, check_id: uuid.UUID, span: Span, cluster_id: uuid.UUID | None = None
) -> list[Point]:
    """One point per bucket of the span, empty ones included (a chart shows the gaps)."""
    grouped = await figures_by(session, span, ("bucket_start",), [check_id], cluster_id)
    found = {key[0]: figures for key, figures in grouped.items()}
    return [Point(start, found.get(start, Figures())) for start in span.bucket_starts()]


async def figures_by(
    session: AsyncSession,
    span: Span,
    group: Sequence[str],
    check_ids: Sequence[uuid.UUID] | Any,
    cluster_id: uuid.UUID | None = None,
) -> dict[tuple[Any, ...], Figures]:
    """Buckets of the span summed per `group` (columns of the rollup tables); `check_ids` is a
    list or a subquery of check ids."""
    tallies, bins = _table(RunRollup), _table(RunRollupBin)
    keys = [tallies.c[name] for name in group]
    counting: Any = (
        sa.select(
            *keys,
            *(sa.func.sum(tallies.c[name]) for name in _SUMMED),
            sa.func.min(tallies.c.duration_min_ms),
            sa.func.max(tallies.c.duration_max_ms),
        )
        .where(*_within(tallies, span, check_ids, cluster_id))
        .group_by(*keys)
    )
    counters = await session.exec(counting)
    width = len(keys)
    tally_of = {tuple(row[:width]): _tally(row[width:]) for row in counters.all()}
    bin_keys = [bins.c[name] for name in group]
    binning: Any = (
        sa.select(*bin_keys, bins.c.bin, sa.func.sum(bins.c["count"]))
        .where(*_within(bins, span, check_ids, cluster_id))
        .group_by(*bin_keys, bins.c.bin)
    )
    histogram_rows = await session.exec(binning)
    histograms: dict[tuple[Any, ...], dict[int, int]] = defaultdict(dict)
    for row in histogram_rows.all():
        histograms[tuple(row[:width])][int(row[width])] = int(row[width + 1])
    return {key: Figures(tally, histograms.get(key, {})) for key, tally in tally_of.items()}


_SUMMED = (
    "runs",
    "successes",
    "failures",
    "timeouts",
    "errors",
    "duration_count",
    "duration_sum_ms",
)


def _within(table: sa.Table, span: Span, check_ids: Any, cluster_id: uuid.UUID | None) -> list[Any]:
    conditions = [
        table.c.check_id.in_(check_ids),
        table.c.step == span.step,
        table.c.bucket_start >= span.start,
        table.c.bucket_start < span.end,
    ]
    if cluster_id is not None:
        conditions.append(table.c.cluster_id == cluster_id)
    return conditions


def _tally(sums: Sequence[Any]) -> Tally:
    added = {name: int(value or 0) for name, value in zip(_SUMMED, sums, strict=False)}
    low, high = sums[len(_SUMMED)], sums[len(_SUMMED) + 1]
    return Tally(**added, duration_min_ms=_int(low), duration_max_ms=_int(high))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _table(model: type[SQLModel]) -> sa.Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]
