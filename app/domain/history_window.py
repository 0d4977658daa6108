"""Which rollup buckets answer a question about a time window (pure).

A window is always widened to whole buckets, and the span actually covered is returned with the
answer: "the last 24 h" is the last 24 hourly buckets, the current (partial) hour included.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.rollup import RollupStep, bucket_end, bucket_start


class UptimeWindow(enum.StrEnum):
    H24 = "24h"
    D7 = "7d"
    D30 = "30d"
    D365 = "365d"


_PRESETS: dict[UptimeWindow, tuple[RollupStep, int]] = {
    UptimeWindow.H24: (RollupStep.HOUR, 24),
    UptimeWindow.D7: (RollupStep.HOUR, 24 * 7),
    UptimeWindow.D30: (RollupStep.DAY, 30),
    UptimeWindow.D365: (RollupStep.DAY, 365),
}
# A custom range this short and this recent is read from hourly buckets, which are therefore kept
# at least HOURLY_REACH (see PATROL_HOURLY_ROLLUP_RETENTION_DAYS).
HOURLY_UP_TO = timedelta(days=7)
HOURLY_REACH = timedelta(days=31)
# A series may not have more points than this (a year of days fits; a year of hours does not).
MAX_POINTS = 1_000


class WindowError(ValueError):
    """A window that cannot be answered; the message says why."""


@dataclass(frozen=True, slots=True)
class Span:
    start: datetime  # inclusive, a bucket start
    end: datetime  # exclusive, a bucket end or `now`
    step: RollupStep

    @property
    def points(self) -> int:
        return -(-(self.end - self.start) // self.step.length)

    def bucket_starts(self) -> list[datetime]:
        return [self.start + self.step.length * n for n in range(self.points)]


def preset_span(window: UptimeWindow, now: datetime) -> Span:
    """The last buckets, the current one whole: the same span all through one hour (or day), so
    that the checks of one request share it and are read together."""
    step, buckets = _PRESETS[window]
    current = bucket_start(now, step)
    return Span(current - step.length * (buckets - 1), current + step.length, step)


def custom_span(start: datetime, end: datetime, now: datetime) -> Span:
    if start.tzinfo is None or end.tzinfo is None:
        raise WindowError("from and to need a UTC offset, e.g. 2024-01-01T00:00:00Z")
    if start >= end:
        raise WindowError("from must be before to")
    hourly = end - start <= HOURLY_UP_TO and start >= now - HOURLY_REACH
    step = RollupStep.HOUR if hourly else RollupStep.DAY
    return Span(bucket_start(start, step), bucket_end(end, step), step)


def resolve_span(
    window: UptimeWindow | None,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> Span:
    """A preset window, or a custom range [start, end); never both."""
    if start is None and end is None:
        return preset_span(window or UptimeWindow.H24, now)
    if window is not None:
        raise WindowError("give either a window or from and to, not both")
    if start is None or end is None:
        raise WindowError("a custom range needs both from and to")
    return custom_span(start, end, now)


def with_step(span: Span, step: RollupStep | None, now: datetime) -> Span:
    """The same span read at another step, for a chart; too many points are refused, and so are
    hours older than hourly buckets are sure to be kept."""
    if step is None or step is span.step:
        chosen = span
    else:
        chosen = Span(bucket_start(span.start, step), bucket_end(span.end, step), step)
    if chosen.step is RollupStep.HOUR and chosen.start < now - HOURLY_REACH:
        raise WindowError(f"hourly points reach back {HOURLY_REACH.days} days at most: use DAY")
    if chosen.points > MAX_POINTS:
        raise WindowError(
            f"more than {MAX_POINTS} points: choose a longer step or a shorter window"
        )
    return chosen
