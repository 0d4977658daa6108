"""What the rule engine consumes: decided runs, clock ticks and people's actions, plus the identity
of the check and cluster they concern (passed in, never looked up)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from app.domain.run_lifecycle import FailureReason, RunStatus


@dataclass(frozen=True, slots=True)
class CheckIdentity:
    id: uuid.UUID
    namespace: str
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClusterIdentity:
    id: uuid.UUID
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AlertSubject:
    """The check (and, for per-cluster alerts, the cluster) an input is about."""

    check: CheckIdentity
    cluster: ClusterIdentity | None = None


@dataclass(frozen=True, slots=True)
class RunDecided:
    run_id: uuid.UUID
    check_id: uuid.UUID
    cluster_id: uuid.UUID
    status: RunStatus
    failure_reason: FailureReason | None
    errors: tuple[str, ...]
    scheduled_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    decided_at: datetime

    @property
    def ordered_at(self) -> datetime:
        """Where the run sits in its check's history: when it started (a run cancelled before it
        started sits at its slot), as the check status follows the run that started last."""
        return self.started_at or self.scheduled_at


@dataclass(frozen=True, slots=True)
class Tick:
    """The periodic job's "now": stale checks, reminders and silence windows are judged by it."""

    now: datetime


@dataclass(frozen=True, slots=True)
class Acknowledge:
    alert_id: uuid.UUID
    actor: str
    at: datetime
    comment: str = ""


@dataclass(frozen=True, slots=True)
class Comment:
    alert_id: uuid.UUID
    actor: str
    at: datetime
    text: str


AlertInput = RunDecided | Tick | Acknowledge | Comment
