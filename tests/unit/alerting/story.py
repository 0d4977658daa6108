"""A storyline driver for the alert state machine: feed runs, ticks and people's actions with a
moving clock, and read back what was recorded and what was sent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from app.domain.alerting.evaluation import alert_key, evaluate, new_state
from app.domain.alerting.inputs import (
    Acknowledge,
    AlertInput,
    AlertSubject,
    CheckIdentity,
    ClusterIdentity,
    Comment,
    RunDecided,
    Tick,
)
from app.domain.alerting.rules import Condition, Rule
from app.domain.alerting.silences import Silence
from app.domain.alerting.state import Alert, Evaluation, NotificationIntent, Transition
from app.models.run import FailureReason, RunStatus

T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
CHECK = CheckIdentity(uuid.UUID(int=1), "payments", "checkout", {"team": "payments"})
PROD = ClusterIdentity(uuid.UUID(int=101), "prod-eu", {"env": "prod"})
PROD_US = ClusterIdentity(uuid.UUID(int=102), "prod-us", {"env": "prod"})
STAGING = ClusterIdentity(uuid.UUID(int=103), "staging", {"env": "staging"})
CLUSTERS = {cluster.id: cluster for cluster in (PROD, PROD_US, STAGING)}
CHAT = uuid.UUID(int=201)
EMAIL = uuid.UUID(int=202)
RUN_INTERVAL = timedelta(minutes=1)


def make_rule(condition: Condition, **overrides: object) -> Rule:
    fields: dict[str, object] = {
        "id": uuid.UUID(int=301),
        "name": "checkout is failing",
        "condition": condition,
        "channel_ids": (CHAT, EMAIL),
    }
    fields.update(overrides)
    return Rule(**fields)  # type: ignore[arg-type]


def decided(
    status: RunStatus,
    *,
    cluster: ClusterIdentity = PROD,
    started_at: datetime,
    run_id: uuid.UUID | None = None,
    duration: float | None = 2.0,
    reason: FailureReason | None = None,
    errors: Sequence[str] = (),
    decided_at: datetime | None = None,
) -> RunDecided:
    if reason is None and status is RunStatus.FAILED:
        reason = FailureReason.CHECK_FAILED
    finished = started_at + timedelta(seconds=duration or 0)
    return RunDecided(
        run_id=run_id or uuid.uuid4(),
        check_id=CHECK.id,
        cluster_id=cluster.id,
        status=status,
        failure_reason=reason,
        errors=tuple(errors),
        scheduled_at=started_at,
        started_at=started_at,
        finished_at=finished,
        duration_seconds=duration,
        decided_at=decided_at or finished,
    )


class Story:
    def __init__(
        self,
        rule: Rule,
        *,
        cluster: ClusterIdentity = PROD,
        silences: Sequence[Silence] = (),
    ) -> None:
        self.rule = rule
        self.cluster = cluster
        self.silences = list(silences)
        self.now = T0
        self.state = new_state(alert_key(rule, CHECK.id, cluster.id), T0)
        self.transitions: list[Transition] = []
        self.notifications: list[NotificationIntent] = []

    @property
    def alert(self) -> Alert | None:
        return self.state.alert

    @property
    def recorded(self) -> list[str]:
        return [transition.kind.value for transition in self.transitions]

    @property
    def sent(self) -> list[str]:
        """The transitions that were notified (to every channel of the rule)."""
        notified = {intent.transition_id for intent in self.notifications}
        return [t.kind.value for t in self.transitions if t.id in notified]

    def feed(self, event: AlertInput, cluster: ClusterIdentity | None = None) -> Evaluation:
        subject = AlertSubject(CHECK, cluster or self.cluster)
        evaluation = evaluate(self.rule, self.state, event, subject=subject, silences=self.silences)
        self.state = evaluation.state
        self.transitions.extend(evaluation.transitions)
        self.notifications.extend(evaluation.notifications)
        return evaluation

    def run(
        self,
        status: RunStatus,
        *,
        cluster: ClusterIdentity | None = None,
        duration: float | None = 2.0,
        reason: FailureReason | None = None,
        errors: Sequence[str] = (),
    ) -> RunDecided:
        self.now += RUN_INTERVAL
        run = decided(
            status,
            cluster=cluster or self.cluster,
            started_at=self.now,
            duration=duration,
            reason=reason,
            errors=errors,
        )
        self.feed(run, cluster)
        return run

    def fails(self, times: int = 1, *, cluster: ClusterIdentity | None = None) -> None:
        for _ in range(times):
            self.run(RunStatus.FAILED, cluster=cluster, errors=["HTTP 503 from /healthz"])

    def succeeds(self, times: int = 1, *, cluster: ClusterIdentity | None = None) -> None:
        for _ in range(times):
            self.run(RunStatus.SUCCEEDED, cluster=cluster)

    def errors(self, reason: FailureReason, times: int = 1) -> None:
        status = RunStatus.TIMED_OUT if reason is FailureReason.TIMED_OUT else RunStatus.ERROR
        for _ in range(times):
            self.run(status, reason=reason, errors=[f"execution error: {reason}"])

    def tick(self, after: timedelta) -> Evaluation:
        self.now += after
        return self.feed(Tick(self.now))

    def acknowledge(self, actor: str = "alice", alert_id: uuid.UUID | None = None) -> Evaluation:
        assert alert_id is not None or self.alert is not None
        target = alert_id or self.alert.id  # type: ignore[union-attr]
        return self.feed(Acknowledge(target, actor, self.now, comment="looking"))

    def comment(self, text: str, actor: str = "bob") -> Evaluation:
        assert self.alert is not None
        return self.feed(Comment(self.alert.id, actor, self.now, text))
