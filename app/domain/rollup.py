"""Hourly and daily buckets of decided runs, and the duration histogram that makes their p95
mergeable (pure: no I/O, no clock).

A bucket holds additive counters only, so buckets can be filled by commutative upserts in any
order and summed over any window. A p95 is not additive: each bucket keeps a small histogram over
fixed log-scale bins (`BINS_PER_OCTAVE` per doubling from 1 ms), which merge by addition; the p95
read from merged bins (the geometric middle of its bin) is within about 9 % of the true value,
clamped to [min, max].
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.domain.run_lifecycle import RunStatus

BINS_PER_OCTAVE = 4
BIN_BASE_MS = 1
# 2 ** (160 / 4) ms is about 35 years: every duration a run can have falls below the last bin.
LAST_BIN = 160


class RollupStep(enum.StrEnum):
    HOUR = "hour"
    DAY = "day"

    @property
    def length(self) -> timedelta:
        return timedelta(hours=1) if self is RollupStep.HOUR else timedelta(days=1)


def bucket_start(instant: datetime, step: RollupStep) -> datetime:
    """The start of the bucket holding `instant` (UTC hours or days)."""
    utc = instant.astimezone(UTC)
    if step is RollupStep.HOUR:
        return utc.replace(minute=0, second=0, microsecond=0)
    return utc.replace(hour=0, minute=0, second=0, microsecond=0)


def bucket_end(instant: datetime, step: RollupStep) -> datetime:
    """The end of the bucket holding `instant`, or `instant` itself when it starts a bucket."""
    start = bucket_start(instant, step)
    return start if start == instant else start + step.length


def duration_ms(started_at: datetime | None, finished_at: datetime | None) -> int | None:
    if started_at is None or finished_at is None:
        return None
    return max(0, (finished_at - started_at) // timedelta(milliseconds=1))


def bin_of(milliseconds: int) -> int:
    """The histogram bin of a duration: 0 below 1 ms, then BINS_PER_OCTAVE per doubling."""
    if milliseconds < BIN_BASE_MS:
        return 0
    return min(LAST_BIN, 1 + math.floor(math.log2(milliseconds / BIN_BASE_MS) * BINS_PER_OCTAVE))


def bin_bounds(bin_number: int) -> tuple[float, float]:
    """The [low, high) range of a bin, in milliseconds."""
    if bin_number <= 0:
        return 0.0, float(BIN_BASE_MS)
    low = BIN_BASE_MS * 2 ** ((bin_number - 1) / BINS_PER_OCTAVE)
    return low, BIN_BASE_MS * 2 ** (bin_number / BINS_PER_OCTAVE)


@dataclass(frozen=True, slots=True)
class Tally:
    """What a bucket (or a sum of buckets) counts. Durations are whole milliseconds, so sums are
    exact and equal however the runs were grouped."""

    runs: int = 0
    successes: int = 0
    failures: int = 0
    timeouts: int = 0
    errors: int = 0
    duration_count: int = 0
    duration_sum_ms: int = 0
    duration_min_ms: int | None = None
    duration_max_ms: int | None = None

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            runs=self.runs + other.runs,
            successes=self.successes + other.successes,
            failures=self.failures + other.failures,
            timeouts=self.timeouts + other.timeouts,
            errors=self.errors + other.errors,
            duration_count=self.duration_count + other.duration_count,
            duration_sum_ms=self.duration_sum_ms + other.duration_sum_ms,
            duration_min_ms=_either(min, self.duration_min_ms, other.duration_min_ms),
            duration_max_ms=_either(max, self.duration_max_ms, other.duration_max_ms),
        )

    @property
    def uptime(self) -> float | None:
        """Successes over the runs that said something about health; None without runs."""
        return None if self.runs == 0 else self.successes / self.runs

    @property
    def duration_avg_ms(self) -> float | None:
        return None if self.duration_count == 0 else self.duration_sum_ms / self.duration_count


def _either(pick: Callable[[int, int], int], a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return pick(a, b)


def counts(status: RunStatus) -> bool:
    """Whether a decided run says something about health (a cancelled one does not)."""
    return status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.TIMED_OUT, RunStatus.ERROR)


def tally_of(status: RunStatus, milliseconds: int | None) -> Tally:
    """One decided run's contribution to its buckets (for a status that `counts`)."""
    return Tally(
        runs=1,
        successes=int(status is RunStatus.SUCCEEDED),
        failures=int(status is RunStatus.FAILED),
        timeouts=int(status is RunStatus.TIMED_OUT),
        errors=int(status is RunStatus.ERROR),
        duration_count=0 if milliseconds is None else 1,
        duration_sum_ms=milliseconds or 0,
        duration_min_ms=milliseconds,
        duration_max_ms=milliseconds,
    )


def merge_bins(histograms: Iterable[Mapping[int, int]]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for histogram in histograms:
        for bin_number, count in histogram.items():
            merged[bin_number] = merged.get(bin_number, 0) + count
    return merged


def rank_bin(histogram: Mapping[int, int], fraction: float) -> int | None:
    """The bin holding the nearest-rank `fraction` quantile; None for an empty histogram."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for bin_number in sorted(histogram):
        seen += histogram[bin_number]
        if seen >= rank:
            return bin_number
    return max(histogram)


def quantile_ms(
    histogram: Mapping[int, int], fraction: float, *, low: int | None, high: int | None
) -> float | None:
    """A quantile estimated from bins: the geometric middle of its bin, kept within [low, high]
    (the exact min and max, which a histogram alone would blur)."""
    found = rank_bin(histogram, fraction)
    if found is None:
        return None
    start, end = bin_bounds(found)
    estimate = math.sqrt(start * end) if start > 0 else end / 2
    if low is not None:
        estimate = max(estimate, float(low))
    if high is not None:
        estimate = min(estimate, float(high))
    return estimate
