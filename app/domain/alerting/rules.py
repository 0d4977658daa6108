"""Alert rules: which checks, which condition, how loud, where to. Invalid rules cannot be built;
errors name the field as the API spells it."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from app.domain.alerting.matchers import SubjectMatcher
from app.domain.alerting.rendering import MessageTemplates, check_template
from app.errors import InvalidInput

MAX_THRESHOLD = 100
MIN_REMINDER_INTERVAL = timedelta(minutes=1)
MAX_NAME_LENGTH = 200


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


class ExecutionErrors(enum.StrEnum):
    """How runs Patrol could not execute (image pull, unschedulable, timeout...) count."""

    COUNT = "count"  # as failures, like a check that reported failure
    IGNORE = "ignore"  # not at all: neither failure nor success
    ONLY = "only"  # only they are failures; a check that ran and reported anything is fine


@dataclass(frozen=True, slots=True)
class ConsecutiveFailures:
    failure_threshold: int = 3
    success_threshold: int = 2


@dataclass(frozen=True, slots=True)
class FailuresInWindow:
    """`failures` of the last `runs` runs failed; resolves once fewer did and the newest
    `success_threshold` succeeded, so a flapping check does not open and close alerts."""

    failures: int
    runs: int
    success_threshold: int = 2


@dataclass(frozen=True, slots=True)
class FailingClusters:
    """At least `min_clusters` clusters are failing; one alert per check, not per cluster. A
    cluster starts failing after `failure_threshold` failed runs and stops after
    `success_threshold` successes."""

    min_clusters: int
    failure_threshold: int = 1
    success_threshold: int = 1


@dataclass(frozen=True, slots=True)
class NoSuccessFor:
    """No successful run for `duration` (a stale or stuck check), judged on each tick."""

    duration: timedelta


@dataclass(frozen=True, slots=True)
class DurationAbove:
    threshold: timedelta
    failure_threshold: int = 1
    success_threshold: int = 1


Condition = ConsecutiveFailures | FailuresInWindow | FailingClusters | NoSuccessFor | DurationAbove


@dataclass(frozen=True, slots=True)
class Rule:
    id: uuid.UUID
    name: str
    condition: Condition
    selector: SubjectMatcher = field(default_factory=SubjectMatcher)
    severity: Severity = Severity.WARNING
    channel_ids: tuple[uuid.UUID, ...] = ()
    send_on_resolved: bool = True
    reminder_interval: timedelta | None = None
    execution_errors: ExecutionErrors = ExecutionErrors.COUNT
    templates: MessageTemplates = field(default_factory=MessageTemplates)

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput("a rule needs a name", field="name")
        if len(self.name) > MAX_NAME_LENGTH:
            raise InvalidInput(f"name is longer than {MAX_NAME_LENGTH} characters", field="name")
        if len(set(self.channel_ids)) != len(self.channel_ids):
            raise InvalidInput("a channel is listed twice", field="channelIds")
        if self.reminder_interval is not None and self.reminder_interval < MIN_REMINDER_INTERVAL:
            raise InvalidInput(
                "reminderInterval must be at least 1m, or unset for no reminders",
                field="reminderInterval",
            )
        _validate_condition(self.condition)
        check_template(self.templates.title, field="templates.title")
        check_template(self.templates.body, field="templates.body")

    @property
    def per_check(self) -> bool:
        """One alert per check (across its clusters) rather than one per check and cluster."""
        return isinstance(self.condition, FailingClusters)


def _validate_condition(condition: Condition) -> None:
    match condition:
        case ConsecutiveFailures(failure_threshold=failures, success_threshold=successes):
            _threshold(failures, "condition.failureThreshold")
            _threshold(successes, "condition.successThreshold")
        case FailuresInWindow(failures=failures, runs=runs, success_threshold=successes):
            _threshold(runs, "condition.runs")
            _threshold(failures, "condition.failures")
            _threshold(successes, "condition.successThreshold")
            if failures > runs:
                raise InvalidInput(
                    f"failures ({failures}) cannot exceed runs ({runs})", field="condition.failures"
                )
        case FailingClusters(min_clusters=clusters, failure_threshold=f, success_threshold=s):
            _threshold(clusters, "condition.minClusters")
            _threshold(f, "condition.failureThreshold")
            _threshold(s, "condition.successThreshold")
        case NoSuccessFor(duration=duration):
            _positive(duration, "condition.duration")
        case DurationAbove(threshold=threshold, failure_threshold=f, success_threshold=s):
            _positive(threshold, "condition.threshold")
            _threshold(f, "condition.failureThreshold")
            _threshold(s, "condition.successThreshold")


def _threshold(value: int, name: str) -> None:
    if not 1 <= value <= MAX_THRESHOLD:
        raise InvalidInput(f"must be between 1 and {MAX_THRESHOLD}, got {value}", field=name)


def _positive(value: timedelta, name: str) -> None:
    if value <= timedelta(0):
        raise InvalidInput("must be a positive duration", field=name)
