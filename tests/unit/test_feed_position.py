"""Positions in the event log: holes left by late commits are re-read, rollbacks expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.feed_position import GAP_PATIENCE, FeedPosition, MalformedPosition

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_ids_in_order_move_the_position_without_holes() -> None:
    position = FeedPosition().read([1, 2, 3], now=NOW)
    assert position == FeedPosition(after=3)


def test_a_skipped_id_is_remembered_until_it_is_read() -> None:
    position = FeedPosition(after=3).read([4, 6, 7], now=NOW)
    assert position.after == 7
    assert set(position.gaps) == {5}
    filled = position.read([5, 8], now=NOW + timedelta(seconds=1))
    assert filled == FeedPosition(after=8)


def test_a_hole_older_than_the_patience_is_taken_for_a_rollback() -> None:
    position = FeedPosition(after=1).read([3], now=NOW)
    still_waiting = position.read([], now=NOW + GAP_PATIENCE)
    assert set(still_waiting.gaps) == {2}
    given_up = position.read([], now=NOW + GAP_PATIENCE + timedelta(seconds=1))
    assert given_up == FeedPosition(after=3)


def test_ids_already_read_are_ignored() -> None:
    position = FeedPosition(after=5).read([2, 5], now=NOW)
    assert position == FeedPosition(after=5)


@given(
    after=st.integers(0, 10_000),
    gaps=st.sets(st.integers(1, 10_000), max_size=20),
    seconds=st.integers(0, 50),
)
def test_a_position_survives_its_string_form(after: int, gaps: set[int], seconds: int) -> None:
    noticed = NOW - timedelta(seconds=seconds)
    position = FeedPosition(after=after, gaps={gap: noticed for gap in gaps if gap <= after})
    assert FeedPosition.decode(position.encode()) == position


@pytest.mark.parametrize("text", ["", "not base64!", "eyJhIjogLTF9", "e30", "WzFd"])
def test_a_string_this_module_did_not_write_is_refused(text: str) -> None:
    with pytest.raises(MalformedPosition):
        FeedPosition.decode(text)


def seen(position: FeedPosition, universe: int) -> set[int]:
    return {event_id for event_id in range(1, universe + 1) if position.has_seen(event_id)}


positions = st.builds(
    lambda after, gaps: FeedPosition(after=after, gaps={gap: NOW for gap in gaps if gap <= after}),
    st.integers(0, 40),
    st.sets(st.integers(1, 40), max_size=10),
)


@given(first=positions, second=positions)
def test_a_merged_position_has_seen_what_either_has_seen(
    first: FeedPosition, second: FeedPosition
) -> None:
    assert seen(first.merged(second), 50) == seen(first, 50) | seen(second, 50)


@given(position=positions, event_id=st.integers(1, 40))
def test_a_position_up_to_an_event_has_seen_only_what_it_had_seen_until_then(
    position: FeedPosition, event_id: int
) -> None:
    assert seen(position.up_to(event_id), 50) == {
        seen_id for seen_id in seen(position, 50) if seen_id <= event_id
    }


@given(first=positions, second=positions)
def test_covering_means_having_seen_everything_the_other_has(
    first: FeedPosition, second: FeedPosition
) -> None:
    if first.covers(second):
        assert seen(second, 50) <= seen(first, 50)
    if first.after >= second.after and seen(second, 50) <= seen(first, 50):
        assert first.covers(second)


def test_a_merged_hole_keeps_its_first_sighting() -> None:
    early, late = NOW - timedelta(seconds=30), NOW
    first = FeedPosition(after=5, gaps={3: late})
    second = FeedPosition(after=4, gaps={3: early})
    assert first.merged(second).gaps == {3: early}
