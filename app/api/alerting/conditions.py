"""A rule's condition: one of five, as a oneOf input and a union of output types. Durations are
Go-style strings (`10m`, `1h30m`) at this edge and `timedelta` inside."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.domain.alerting import rules
from app.domain.duration import format_duration, parse_duration
from app.errors import InvalidInput


@strawberry.input(description="Fires after failureThreshold failed runs in a row.")
class ConsecutiveFailuresInput:
    failure_threshold: int = 3
    success_threshold: int = strawberry.field(
        default=2, description="Successful runs in a row that resolve the alert."
    )


@strawberry.input(description="Fires when `failures` of the last `runs` runs failed (flapping).")
class FailuresInWindowInput:
    failures: int
    runs: int
    success_threshold: int = 2


@strawberry.input(description="Fires when the check fails in at least minClusters clusters.")
class FailingClustersInput:
    min_clusters: int
    failure_threshold: int = 1
    success_threshold: int = 1


@strawberry.input(description="Fires when no run succeeded for `duration` (a Go duration).")
class NoSuccessForInput:
    duration: str


@strawberry.input(description="Fires when runs take longer than `threshold` (a Go duration).")
class DurationAboveInput:
    threshold: str
    failure_threshold: int = 1
    success_threshold: int = 1


@strawberry.input(one_of=True, description="Exactly one condition.")
class ConditionInput:
    consecutive_failures: ConsecutiveFailuresInput | None = strawberry.UNSET
    failures_in_window: FailuresInWindowInput | None = strawberry.UNSET
    failing_clusters: FailingClustersInput | None = strawberry.UNSET
    no_success_for: NoSuccessForInput | None = strawberry.UNSET
    duration_above: DurationAboveInput | None = strawberry.UNSET

    def to_condition(self) -> rules.Condition:
        if isinstance(self.consecutive_failures, ConsecutiveFailuresInput):
            given = self.consecutive_failures
            return rules.ConsecutiveFailures(given.failure_threshold, given.success_threshold)
        if isinstance(self.failures_in_window, FailuresInWindowInput):
            window = self.failures_in_window
            return rules.FailuresInWindow(window.failures, window.runs, window.success_threshold)
        if isinstance(self.failing_clusters, FailingClustersInput):
            clusters = self.failing_clusters
            return rules.FailingClusters(
                clusters.min_clusters, clusters.failure_threshold, clusters.success_threshold
            )
        if isinstance(self.no_success_for, NoSuccessForInput):
            return rules.NoSuccessFor(
                parse_duration(self.no_success_for.duration, field="condition.duration")
            )
        if isinstance(self.duration_above, DurationAboveInput):
            above = self.duration_above
            return rules.DurationAbove(
                parse_duration(above.threshold, field="condition.threshold"),
                above.failure_threshold,
                above.success_threshold,
            )
        raise InvalidInput("give exactly one condition", field="condition")


@strawberry.type
class ConsecutiveFailures:
    failure_threshold: int
    success_threshold: int


@strawberry.type
class FailuresInWindow:
    failures: int
    runs: int
    success_threshold: int


@strawberry.type
class FailingClusters:
    min_clusters: int
    failure_threshold: int
    success_threshold: int


@strawberry.type
class NoSuccessFor:
    duration: str = strawberry.field(description="Go duration.")


@strawberry.type
class DurationAbove:
    threshold: str = strawberry.field(description="Go duration.")
    failure_threshold: int
    success_threshold: int


Condition = Annotated[
    ConsecutiveFailures | FailuresInWindow | FailingClusters | NoSuccessFor | DurationAbove,
    strawberry.union("Condition"),
]


def condition_type(condition: rules.Condition) -> Condition:
    match condition:
        case rules.ConsecutiveFailures(failure_threshold=failures, success_threshold=successes):
            return ConsecutiveFailures(failure_threshold=failures, success_threshold=successes)
        case rules.FailuresInWindow(failures=failures, runs=runs, success_threshold=successes):
            return FailuresInWindow(failures=failures, runs=runs, success_threshold=successes)
        case rules.FailingClusters(min_clusters=clusters, failure_threshold=f, success_threshold=s):
            return FailingClusters(min_clusters=clusters, failure_threshold=f, success_threshold=s)
        case rules.NoSuccessFor(duration=duration):
            return NoSuccessFor(duration=format_duration(duration))
        case rules.DurationAbove(threshold=threshold, failure_threshold=f, success_threshold=s):
            return DurationAbove(
                threshold=format_duration(threshold), failure_threshold=f, success_threshold=s
            )
