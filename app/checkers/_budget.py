"""How long a checker may keep working before it must stop and report."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

# Kept back from KH_CHECK_RUN_DEADLINE so the report itself still arrives in time: a quarter of
# the time left, at most this much (short test timeouts would otherwise leave no time at all).
REPORT_RESERVE = timedelta(seconds=3)
MINIMUM_TIMEOUT = timedelta(seconds=1)


@dataclass(frozen=True)
class Budget:
    ends_at: float | None  # unix seconds; None when the run has no deadline

    @classmethod
    def until_deadline(cls, deadline: float | None, reserve: timedelta = REPORT_RESERVE) -> Budget:
        if deadline is None:
            return cls(None)
        left = max(0.0, deadline - time.time())
        return cls(deadline - min(reserve.total_seconds(), left / 4))

    @classmethod
    def unlimited(cls) -> Budget:
        return cls(None)

    def remaining(self) -> timedelta | None:
        if self.ends_at is None:
            return None
        return timedelta(seconds=max(0.0, self.ends_at - time.time()))

    def exhausted(self) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining <= timedelta(0)

    def timeout(self, preferred: timedelta, share: int = 1) -> timedelta:
        """The preferred timeout, shortened so `share` more operations still fit in the budget."""
        remaining = self.remaining()
        if remaining is None:
            return preferred
        return max(MINIMUM_TIMEOUT, min(preferred, remaining / max(1, share)))
