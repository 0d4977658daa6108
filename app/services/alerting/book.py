"""The rule engine's unit of work: loads what evaluation needs, keeps the subject states it read,
takes the domain's evaluations and writes them — states with a compare-and-set on their version,
alerts, transitions, notifications ((transition, channel) unique), comments and one ALERT_CHANGED
event per transition. A building block: the caller's session, never a commit."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.alerting.evaluation import new_state
from app.domain.alerting.inputs import AlertSubject, CheckIdentity, ClusterIdentity
from app.domain.alerting.rules import Rule
from app.domain.alerting.silences import Silence as DomainSilence
from app.domain.alerting.state import Alert as DomainAlert
from app.domain.alerting.state import (
    AlertKey,
    AlertState,
    AlertStatus,
    Evaluation,
    Transition,
    TransitionKind,
)
from app.errors import InvalidInput
from app.logging import get_logger
from app.models import (
    Alert,
    AlertComment,
    AlertRule,
    AlertSubjectState,
    AlertTransition,
    Channel,
    Check,
    Cluster,
    Event,
    EventKind,
    Notification,
    NotificationStatus,
    Silence,
)
from app.models.alerting_codec import (
    observations_json,
    rule_of,
    run_decided_json,
    silence_of,
    state_of,
    subject_state_id,
)

log = get_logger(__name__)
_OPEN = (AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED)


class Contention(RuntimeError):
    """Another transaction changed what this one evaluated from; roll back and evaluate again."""


@dataclass(frozen=True, slots=True)
class Catalog:
    """Rules, silences and channels as they stand, and the identity of checks and clusters."""

    rules: tuple[Rule, ...]
    silences: tuple[DomainSilence, ...]
    channel_ids: frozenset[uuid.UUID]
    checks: dict[uuid.UUID, CheckIdentity]
    clusters: dict[uuid.UUID, ClusterIdentity]

    def subject(self, check_id: uuid.UUID, cluster_id: uuid.UUID | None) -> AlertSubject | None:
        check = self.checks.get(check_id)
        if check is None:
            return None
        return AlertSubject(check, None if cluster_id is None else self.clusters.get(cluster_id))


async def load_catalog(
    session: AsyncSession,
    check_ids: Iterable[uuid.UUID] | None = None,
    cluster_ids: Iterable[uuid.UUID] | None = None,
) -> Catalog:
    """Everything evaluation reads; identities of the given checks and clusters (all if None)."""
    rules: list[Rule] = []
    for row in await session.exec(select(AlertRule).where(col(AlertRule.enabled))):
        try:
            rules.append(rule_of(row))
        except InvalidInput as error:
            log.warning(
                "skipping an alert rule that no longer validates",
                rule_id=str(row.id),
                error=str(error),
            )
    silences = [
        silence_of(row)
        for row in await session.exec(select(Silence).where(col(Silence.expired_at).is_(None)))
    ]
    channels = frozenset((await session.exec(select(Channel.id))).all())
    check_query = select(Check.id, Check.namespace, Check.name, Check.labels)
    if check_ids is not None:
        check_query = check_query.where(col(Check.id).in_(list(set(check_ids))))
    cluster_query = select(Cluster.id, Cluster.name, Cluster.labels)
    if cluster_ids is not None:
        cluster_query = cluster_query.where(col(Cluster.id).in_(list(set(cluster_ids))))
    checks = {
        id_: CheckIdentity(id_, namespace, name, dict(labels))
        for id_, namespace, name, labels in await session.exec(check_query)
    }
    clusters = {
        id_: ClusterIdentity(id_, name, dict(labels))
        for id_, name, labels in await session.exec(cluster_query)
    }
    return Catalog(
        tuple(sorted(rules, key=lambda rule: rule.id)),
        tuple(silences),
        channels,
        checks,
        clusters,
    )


@dataclass(slots=True)
class _Tracked:
    state: AlertState
    version: int | None  # None: not stored yet
    dirty: bool = False


@dataclass(slots=True)
class _AlertWrite:
    alert: DomainAlert
    key: AlertKey
    rule: Rule
    stored: bool
    resolved_at: datetime | None = None


@dataclass(slots=True)
class AlertBook:
    session: AsyncSession
    now: datetime
    catalog: Catalog
    _states: dict[uuid.UUID, _Tracked] = field(default_factory=dict)
    _alerts: dict[uuid.UUID, _AlertWrite] = field(default_factory=dict)
    _stored_alerts: set[uuid.UUID] = field(default_factory=set)
    _transitions: list[dict[str, Any]] = field(default_factory=list)
    _notifications: list[dict[str, Any]] = field(default_factory=list)
    _comments: list[dict[str, Any]] = field(default_factory=list)
    _events: list[dict[str, Any]] = field(default_factory=list)
    recorded: list[Transition] = field(default_factory=list)

    async def state(self, key: AlertKey, *, watching_since: datetime | None = None) -> AlertState:
        """The key's state as stored (read once per unit of work), or a fresh one."""
        state_id = subject_state_id(key)
        tracked = self._states.get(state_id)
        if tracked is None:
            tracked = await self._load(state_id, key, watching_since or self.now)
            self._states[state_id] = tracked
        return tracked.state

    def is_new(self, key: AlertKey) -> bool:
        return self._states[subject_state_id(key)].version is None

    def seed(self, key: AlertKey, state: AlertState) -> AlertState:
        """Replace a new state before its first evaluation (e.g. with the check's last success)."""
        tracked = self._states[subject_state_id(key)]
        assert tracked.version is None
        tracked.state, tracked.dirty = state, True
        return state

    async def _load(self, state_id: uuid.UUID, key: AlertKey, since: datetime) -> _Tracked:
        row = (
            await self.session.exec(
                select(AlertSubjectState)
                .where(col(AlertSubjectState.id) == state_id)
                .execution_options(populate_existing=True)
            )
        ).first()
        if row is None:
            return _Tracked(new_state(key, since), None)
        alert = (
            await self.session.exec(
                select(Alert)
                .where(col(Alert.subject_state_id) == state_id, col(Alert.status).in_(_OPEN))
                .execution_options(populate_existing=True)
            )
        ).first()
        if alert is not None:
            self._stored_alerts.add(alert.id)
        return _Tracked(state_of(row, alert), row.version)

    def record(self, rule: Rule, before: AlertState, evaluation: Evaluation) -> None:
        tracked = self._states[subject_state_id(before.key)]
        tracked.state = evaluation.state
        # A new state is stored even unchanged: "no success for T" counts from when watching began.
        tracked.dirty = tracked.dirty or tracked.version is None or evaluation.state != before
        intents: dict[uuid.UUID, list[uuid.UUID]] = {
            intent.transition_id: [] for intent in evaluation.notifications
        }
        for intent in evaluation.notifications:
            if intent.channel_id in self.catalog.channel_ids:
                intents[intent.transition_id].append(intent.channel_id)
        for transition in evaluation.transitions:
            self._transition(rule, before, evaluation, transition, intents.get(transition.id, []))

    def _transition(
        self,
        rule: Rule,
        before: AlertState,
        evaluation: Evaluation,
        transition: Transition,
        channel_ids: Sequence[uuid.UUID],
    ) -> None:
        previous = before.alert if before.alert and before.alert.id == transition.alert_id else None
        after = evaluation.state.alert
        resolved_at = None
        if after is None or after.id != transition.alert_id:
            assert previous is not None, "only an open alert resolves"
            notified = bool(channel_ids)
            after = replace(
                previous,
                status=AlertStatus.RESOLVED,
                transitions=previous.transitions + 1,
                notified=previous.notified or notified,
                last_notified_at=transition.at if notified else previous.last_notified_at,
            )
            resolved_at = transition.at
        self._alerts[after.id] = _AlertWrite(
            after, transition.key, rule, after.id in self._stored_alerts, resolved_at
        )
        run = transition.cause.run
        self._transitions.append(
            {
                "id": transition.id,
                "alert_id": transition.alert_id,
                "sequence": previous.transitions if previous else 0,
                "kind": transition.kind,
                "from_status": previous.status if previous else None,
                "to_status": after.status,
                "at": transition.at,
                "cause_kind": transition.cause.kind,
                "cause_run_id": run.run_id if run else None,
                "cause_run": run_decided_json(run) if run else None,
                "cause_actor": transition.cause.actor,
                "cause_text": transition.cause.text,
                "silenced_by": transition.silenced_by,
                "failing_clusters": [str(id_) for id_ in transition.failing_clusters],
                "alert_fired_at": transition.alert_fired_at,
            }
        )
        self._notifications += [
            {
                "id": uuid.uuid4(),
                "transition_id": transition.id,
                "channel_id": channel_id,
                "alert_id": transition.alert_id,
                "status": NotificationStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": self.now,
                "created_at": self.now,
            }
            for channel_id in channel_ids
        ]
        if transition.kind is TransitionKind.COMMENTED:
            self._comments.append(
                {
                    "id": uuid.uuid4(),
                    "alert_id": transition.alert_id,
                    "transition_id": transition.id,
                    "author": transition.cause.actor or "",
                    "text": transition.cause.text,
                    "at": transition.at,
                }
            )
        self._events.append(
            {
                "at": self.now,
                "kind": EventKind.ALERT_CHANGED,
                "check_id": transition.key.check_id,
                "cluster_id": transition.key.cluster_id or (run.cluster_id if run else None),
                "run_id": run.run_id if run else None,
                "payload": {
                    "alertId": str(transition.alert_id),
                    "transitionId": str(transition.id),
                    "ruleId": str(rule.id),
                    "kind": transition.kind.value,
                    "status": after.status.value,
                    "severity": rule.severity.value,
                    "silencedBy": str(transition.silenced_by) if transition.silenced_by else None,
                    "notified": bool(channel_ids),
                    "at": transition.at.isoformat(),
                },
            }
        )
        self.recorded.append(transition)

    async def flush(self) -> None:
        """Write everything recorded. Contention when a state changed since it was read."""
        for state_id, tracked in self._states.items():
            if tracked.dirty:
                await self._write_state(state_id, tracked)
        for write in self._alerts.values():
            await self._write_alert(write)
        await self._insert(AlertTransition, self._transitions)
        if self._notifications:
            insert = insert_ignoring_conflicts(self.session)
            await self.session.exec(
                insert(Notification)
                .values(self._notifications)
                .on_conflict_do_nothing(index_elements=["transition_id", "channel_id"])
            )
        await self._insert(AlertComment, self._comments)
        await self._insert(Event, self._events)

    async def _insert(self, table: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.exec(sa.insert(table), params=rows)

    async def _write_state(self, state_id: uuid.UUID, tracked: _Tracked) -> None:
        state = tracked.state
        values = {
            "watching_since": state.watching_since,
            "last_success_at": state.last_success_at,
            "alerts_opened": state.alerts_opened,
            "observations": observations_json(state),
            "updated_at": self.now,
        }
        if tracked.version is None:
            insert = insert_ignoring_conflicts(self.session)
            result = await self.session.exec(
                insert(AlertSubjectState)
                .values(
                    id=state_id,
                    rule_id=state.key.rule_id,
                    check_id=state.key.check_id,
                    cluster_id=state.key.cluster_id,
                    version=1,
                    **values,
                )
                .on_conflict_do_nothing()
            )
        else:
            result = await self.session.exec(
                sa.update(AlertSubjectState)
                .where(
                    col(AlertSubjectState.id) == state_id,
                    col(AlertSubjectState.version) == tracked.version,
                )
                .values(version=tracked.version + 1, **values)
                .execution_options(synchronize_session=False)
            )
        if result.rowcount != 1:
            raise Contention(f"alert subject state {state_id} changed under this evaluation")

    async def _write_alert(self, write: _AlertWrite) -> None:
        alert = write.alert
        values = {
            "status": alert.status,
            "acknowledged_at": alert.acknowledged_at,
            "acknowledged_by": alert.acknowledged_by,
            "notified": alert.notified,
            "last_notified_at": alert.last_notified_at,
            "transition_count": alert.transitions,
            "updated_at": self.now,
        }
        if write.resolved_at is not None:
            values["resolved_at"] = write.resolved_at
        if write.stored:
            await self.session.exec(
                sa.update(Alert)
                .where(col(Alert.id) == alert.id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return
        await self.session.exec(
            sa.insert(Alert).values(
                id=alert.id,
                subject_state_id=subject_state_id(write.key),
                rule_id=write.key.rule_id,
                check_id=write.key.check_id,
                cluster_id=write.key.cluster_id,
                severity=write.rule.severity,
                fired_at=alert.fired_at,
                **values,
            )
        )


def open_alert_filter() -> Any:
    return or_(*(col(Alert.status) == status for status in _OPEN))


def insert_ignoring_conflicts(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
