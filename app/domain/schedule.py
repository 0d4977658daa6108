"""Schedule arithmetic: fixed-rate slots that never drift and never replay a backlog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class SlotDecision:
    slot: datetime  # the slot to run now
    skipped: int  # older slots that were missed and will not run
    next_due: datetime


def decide_slot(due: datetime, interval: timedelta, now: datetime) -> SlotDecision:
    """`due` has come (now >= due): run its most recent missed slot once and schedule the next.

    Slots follow `due + k * interval` (not `now + interval`), so runs do not drift.
    """
    if interval <= timedelta(0):
        raise ValueError("interval must be positive")
    missed = max(0, (now - due) // interval)
    slot = due + missed * interval
    return SlotDecision(slot=slot, skipped=missed, next_due=slot + interval)


def first_due(now: datetime, interval: timedelta, *, previous_slot: datetime | None) -> datetime:
    """When a (re)scheduled check is next due: keep its rhythm from the last slot, or start now."""
    if previous_slot is None:
        return now
    return max(now, previous_slot + interval)
