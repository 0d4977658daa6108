"""Where a reader of the event log stands, and how reading a page moves it.

Event ids come from a sequence, but transactions commit in their own order: on PostgreSQL an event
with id 12 can become visible after one with id 13, and a rolled-back transaction leaves a hole
that never fills. A reader that only remembered "the last id I saw" would skip such late events
for good. So a position also remembers the holes below it, each with when it was first noticed;
a hole is re-read until it fills or has been open longer than any deciding transaction may run,
after which it is taken for a rollback and dropped.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# A deciding transaction never holds an event id longer than this (pool and statement timeouts
# are 30 s); a hole older than that is a rollback, not a late commit.
GAP_PATIENCE = timedelta(seconds=60)
# Bounds the work of a reader behind a burst of rollbacks; the oldest holes are dropped first.
MAX_GAPS = 1_000


class MalformedPosition(ValueError):
    """A position string that this module did not write."""


@dataclass(frozen=True, slots=True)
class FeedPosition:
    after: int = 0
    # id -> when the hole was first noticed
    gaps: dict[int, datetime] = field(default_factory=dict)

    @classmethod
    def at(cls, last_seen_id: int) -> FeedPosition:
        return cls(after=last_seen_id)

    def read(self, ids: Iterable[int], *, now: datetime) -> FeedPosition:
        """The position after reading `ids`: ascending, holes that filled and ids after `after`.
        A page cut short by a limit moves `after` only to its last id, so nothing beyond it is
        mistaken for a hole."""
        gaps = dict(self.gaps)
        after = self.after
        for event_id in ids:
            if event_id in gaps:
                del gaps[event_id]
                continue
            if event_id <= after:
                continue
            for missing in range(after + 1, event_id):
                gaps.setdefault(missing, now)
            after = event_id
        fresh = {
            event_id: noticed for event_id, noticed in gaps.items() if now - noticed <= GAP_PATIENCE
        }
        if len(fresh) > MAX_GAPS:
            fresh = dict(sorted(fresh.items())[-MAX_GAPS:])
        return FeedPosition(after=after, gaps=fresh)

    def has_seen(self, event_id: int) -> bool:
        """Whether a reader at this position has read `event_id` (or given up waiting for it)."""
        return event_id <= self.after and event_id not in self.gaps

    def up_to(self, event_id: int) -> FeedPosition:
        """Where a reader stands that has read what this position has, but only as far as
        `event_id`: the position after each event of a replay in id order."""
        after = min(self.after, event_id)
        return FeedPosition(
            after=after, gaps={gap: noticed for gap, noticed in self.gaps.items() if gap <= after}
        )

    def merged(self, other: FeedPosition) -> FeedPosition:
        """A position that has seen what either has seen. A reader that resumes from a position
        another process handed out, and then reads from its own, stands here."""
        low, high = (self, other) if self.after <= other.after else (other, self)
        gaps = {}
        for event_id, noticed in high.gaps.items():
            if event_id > low.after:
                gaps[event_id] = noticed
            elif event_id in low.gaps:
                gaps[event_id] = min(noticed, low.gaps[event_id])
        return FeedPosition(after=high.after, gaps=gaps)

    def covers(self, other: FeedPosition) -> bool:
        """Whether this position has seen everything `other` has (answers no when unsure)."""
        return other.after <= self.after and all(
            gap in other.gaps for gap in self.gaps if gap <= other.after
        )

    def encode(self) -> str:
        """An opaque, URL-safe string (for API cursors and the database)."""
        document = {
            "a": self.after,
            "g": {str(event_id): noticed.timestamp() for event_id, noticed in self.gaps.items()},
        }
        raw = json.dumps(document, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> FeedPosition:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            document = json.loads(raw)
            after = int(document["a"])
            gaps = {
                int(event_id): datetime.fromtimestamp(float(noticed), UTC)
                for event_id, noticed in dict(document["g"]).items()
            }
        except (binascii.Error, ValueError, KeyError, TypeError) as error:
            raise MalformedPosition(f"not an event log position: {text[:40]!r}") from error
        if after < 0 or any(event_id <= 0 or event_id > after for event_id in gaps):
            raise MalformedPosition(f"not an event log position: {text[:40]!r}")
        return cls(after=after, gaps=gaps)
