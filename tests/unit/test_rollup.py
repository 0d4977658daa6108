from datetime import UTC, datetime, timedelta

import pytest

from app.domain.history_window import (
    UptimeWindow,
    WindowError,
    custom_span,
    preset_span,
    resolve_span,
    with_step,
)
from app.domain.rollup import (
    LAST_BIN,
    RollupStep,
    Tally,
    bin_bounds,
    bin_of,
    bucket_start,
    duration_ms,
    merge_bins,
    quantile_ms,
    tally_of,
)
from app.domain.run_lifecycle import RunStatus

NOW = datetime(2025, 3, 10, 14, 37, 12, tzinfo=UTC)


def test_a_duration_falls_in_the_bin_whose_bounds_hold_it() -> None:
    for milliseconds in (0, 1, 2, 3, 999, 1_000, 1_234, 59_999, 86_400_000, 10**12):
        low, high = bin_bounds(bin_of(milliseconds))
        assert low <= milliseconds < high or bin_of(milliseconds) == LAST_BIN


def test_bins_are_a_quarter_octave_wide() -> None:
    low, high = bin_bounds(bin_of(1_000))
    assert high / low == pytest.approx(2**0.25)


def test_a_p95_from_bins_is_within_nine_percent_and_within_min_and_max() -> None:
    durations = [100 + 37 * n for n in range(200)]
    histogram = merge_bins([{bin_of(d): 1} for d in durations])
    exact = sorted(durations)[189]  # nearest rank of 95 % of 200
    estimate = quantile_ms(histogram, 0.95, low=min(durations), high=max(durations))
    assert estimate is not None and abs(estimate - exact) / exact < 0.091
    assert quantile_ms({bin_of(500): 3}, 0.95, low=500, high=500) == 500


def test_tallies_add_up_whatever_the_grouping() -> None:
    runs = [
        tally_of(RunStatus.SUCCEEDED, 10),
        tally_of(RunStatus.FAILED, None),
        tally_of(RunStatus.TIMED_OUT, 30_000),
        tally_of(RunStatus.ERROR, 5),
    ]
    left = (runs[0] + runs[1]) + (runs[2] + runs[3])
    right = runs[3] + (runs[2] + (runs[1] + (runs[0] + Tally())))
    assert left == right
    assert (left.runs, left.successes, left.uptime) == (4, 1, 0.25)
    assert (left.duration_min_ms, left.duration_max_ms, left.duration_count) == (5, 30_000, 3)


def test_durations_are_whole_milliseconds_and_need_a_start() -> None:
    assert duration_ms(NOW, NOW + timedelta(seconds=1.2345)) == 1_234
    assert duration_ms(None, NOW) is None


def test_buckets_start_on_utc_hours_and_days() -> None:
    assert bucket_start(NOW, RollupStep.HOUR) == datetime(2025, 3, 10, 14, tzinfo=UTC)
    assert bucket_start(NOW, RollupStep.DAY) == datetime(2025, 3, 10, tzinfo=UTC)


def test_the_last_24_hours_are_24_hourly_buckets_the_current_one_included() -> None:
    span = preset_span(UptimeWindow.H24, NOW)
    assert span.step is RollupStep.HOUR and span.points == 24
    assert span.start == datetime(2025, 3, 9, 15, tzinfo=UTC)
    assert span.end == datetime(2025, 3, 10, 15, tzinfo=UTC)


def test_a_year_is_365_daily_buckets() -> None:
    span = preset_span(UptimeWindow.D365, NOW)
    assert span.step is RollupStep.DAY and span.points == 365


def test_a_short_recent_custom_range_is_read_hourly_and_widened_to_whole_hours() -> None:
    span = custom_span(NOW - timedelta(hours=5), NOW, NOW)
    assert span.step is RollupStep.HOUR
    assert span.start == datetime(2025, 3, 10, 9, tzinfo=UTC)
    assert span.end == datetime(2025, 3, 10, 15, tzinfo=UTC)


def test_a_long_or_old_custom_range_is_read_daily() -> None:
    assert custom_span(NOW - timedelta(days=20), NOW, NOW).step is RollupStep.DAY
    old = NOW - timedelta(days=60)
    assert custom_span(old, old + timedelta(hours=2), NOW).step is RollupStep.DAY


def test_windows_that_cannot_be_answered_say_why() -> None:
    with pytest.raises(WindowError, match="before"):
        resolve_span(None, NOW, NOW - timedelta(hours=1), NOW)
    with pytest.raises(WindowError, match="not both"):
        resolve_span(UptimeWindow.D7, NOW - timedelta(hours=1), NOW, NOW)
    with pytest.raises(WindowError, match="both from and to"):
        resolve_span(None, NOW, None, NOW)
    with pytest.raises(WindowError, match="more than 1000 points"):
        with_step(custom_span(NOW - timedelta(days=1_500), NOW, NOW), None, NOW)
    with pytest.raises(WindowError, match="reach back"):
        with_step(preset_span(UptimeWindow.D365, NOW), RollupStep.HOUR, NOW)
