"""Alerting tables: channels, rules, the engine's per-subject state, alerts and their transitions,
notifications with their delivery attempts, silences, comments and the engine's log cursor.

The domain types in app/domain/alerting are the source of truth; app/models/alerting_codec.py maps
rows to them and back. The invariants the design names live here as constraints: one open alert
per subject (partial unique indexes), one notification per (transition, channel), a compare-and-set
`version` on the cursor and on each subject's state.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.domain.alerting.delivery import Permanence
from app.domain.alerting.rules import ExecutionErrors, Severity
from app.domain.alerting.state import AlertStatus, CauseKind, TransitionKind
from app.models.columns import enum_column, json_column, timestamp_column, utcnow

_OPEN = "status IN ('firing', 'acknowledged')"


def _fk(
    target: str, *, nullable: bool = False, ondelete: str = "CASCADE", index: bool = False
) -> Any:
    return sa.Column(
        sa.Uuid(), sa.ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index
    )


class Channel(SQLModel, table=True):
    """A named set of Apprise URLs. The URLs are secrets: a JSON list encrypted with the keyring
    (`urls_encrypted`), decrypted only to send; `masked_urls` is what may be shown."""

    __tablename__ = "channel"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, unique=True))
    description: str = ""
    urls_encrypted: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    masked_urls: list[str] = Field(default_factory=list, sa_column=json_column())
    # Apprise tags given to every URL of the channel.
    tags: list[str] = Field(default_factory=list, sa_column=json_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))


class AlertRule(SQLModel, table=True):
    """A domain `Rule` (app/domain/alerting/rules.py), column by column."""

    __tablename__ = "alert_rule"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, unique=True))
    enabled: bool = True
    # Selector (SubjectMatcher): empty lists and maps match anything.
    check_ids: list[str] = Field(default_factory=list, sa_column=json_column())
    namespaces: list[str] = Field(default_factory=list, sa_column=json_column())
    labels: dict[str, str] = Field(default_factory=dict, sa_column=json_column())
    cluster_ids: list[str] = Field(default_factory=list, sa_column=json_column())
    cluster_labels: dict[str, str] = Field(default_factory=dict, sa_column=json_column())
    # {"kind": "consecutive_failures", "failureThreshold": 3, ...}: see alerting_codec.
    condition: dict[str, Any] = Field(sa_column=json_column())
    severity: Severity = Field(default=Severity.WARNING, sa_column=enum_column(Severity))
    # In the rule's order; ids of `channel` rows.
    channel_ids: list[str] = Field(default_factory=list, sa_column=json_column())
    send_on_resolved: bool = True
    reminder_interval_seconds: float | None = None
    execution_errors: ExecutionErrors = Field(
        default=ExecutionErrors.COUNT, sa_column=enum_column(ExecutionErrors)
    )
    title_template: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    body_template: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    # Why the rule's own template last fell back to the default (shown on the rule).
    last_template_error: str | None = Field(
        default=None, sa_column=sa.Column(sa.Text(), nullable=True)
    )
    last_template_error_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))


class AlertSubjectState(SQLModel, table=True):
    """What the engine remembers about one alert key (rule, check, cluster-or-none) between inputs:
    the domain `AlertState` without its open alert, which is the `alert` row. `id` is derived from
    the key, so two engines creating it collide on the primary key."""

    __tablename__ = "alert_subject_state"

    id: uuid.UUID = Field(primary_key=True)
    rule_id: uuid.UUID = Field(sa_column=_fk("alert_rule.id", index=True))
    check_id: uuid.UUID = Field(sa_column=_fk("check.id", index=True))
    cluster_id: uuid.UUID | None = Field(default=None, sa_column=_fk("cluster.id", nullable=True))
    watching_since: datetime = Field(sa_column=timestamp_column(nullable=False))
    last_success_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    alerts_opened: int = 0
    # Observations as the domain keeps them: {"window": [...], "clusters": [...]}.
    observations: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    # Compare-and-set: the engine, the tick and people's actions write `WHERE version = :read`.
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))


class Alert(SQLModel, table=True):
    """An alert: firing, maybe acknowledged, then resolved. Open at most once per key."""

    __tablename__ = "alert"
    __table_args__ = (
        sa.Index(
            "uq_alert_open_per_cluster",
            "rule_id",
            "check_id",
            "cluster_id",
            unique=True,
            sqlite_where=sa.text(f"{_OPEN} AND cluster_id IS NOT NULL"),
            postgresql_where=sa.text(f"{_OPEN} AND cluster_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_alert_open_per_check",
            "rule_id",
            "check_id",
            unique=True,
            sqlite_where=sa.text(f"{_OPEN} AND cluster_id IS NULL"),
            postgresql_where=sa.text(f"{_OPEN} AND cluster_id IS NULL"),
        ),
        sa.Index("ix_alert_status_fired_at", "status", "fired_at"),
        sa.Index("ix_alert_check_id", "check_id", "fired_at"),
    )

    # Derived from the key and the number of alerts opened for it: evaluating twice names one alert.
    id: uuid.UUID = Field(primary_key=True)
    subject_state_id: uuid.UUID = Field(sa_column=_fk("alert_subject_state.id", index=True))
    rule_id: uuid.UUID = Field(sa_column=_fk("alert_rule.id"))
    check_id: uuid.UUID = Field(sa_column=_fk("check.id"))
    # None for a rule over several clusters (one alert per check).
    cluster_id: uuid.UUID | None = Field(default=None, sa_column=_fk("cluster.id", nullable=True))
    status: AlertStatus = Field(sa_column=enum_column(AlertStatus))
    severity: Severity = Field(sa_column=enum_column(Severity))
    fired_at: datetime = Field(sa_column=timestamp_column(nullable=False))
    acknowledged_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    acknowledged_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(63)))
    resolved_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    # Receivers have heard of it (a "resolved" is sent only then), and when they last did.
    notified: bool = False
    last_notified_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    # Transitions recorded so far; the next transition's id derives from it.
    transition_count: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))


class AlertTransition(SQLModel, table=True):
    """One recorded step of an alert, silenced or not. `cause_run` keeps what the run said (for
    the message) so delivery never rescans runs."""

    __tablename__ = "alert_transition"
    __table_args__ = (
        sa.UniqueConstraint("alert_id", "sequence", name="uq_alert_transition_sequence"),
        sa.Index("ix_alert_transition_at", "at"),
    )

    id: uuid.UUID = Field(primary_key=True)
    alert_id: uuid.UUID = Field(sa_column=_fk("alert.id"))
    sequence: int
    kind: TransitionKind = Field(sa_column=enum_column(TransitionKind))
    from_status: AlertStatus | None = Field(
        default=None, sa_column=enum_column(AlertStatus, nullable=True)
    )
    to_status: AlertStatus = Field(sa_column=enum_column(AlertStatus))
    at: datetime = Field(sa_column=timestamp_column(nullable=False))
    cause_kind: CauseKind = Field(sa_column=enum_column(CauseKind))
    cause_run_id: uuid.UUID | None = Field(
        default=None, sa_column=sa.Column(sa.Uuid(), nullable=True)
    )
    cause_run: dict[str, Any] | None = Field(default=None, sa_column=json_column(nullable=True))
    cause_actor: str | None = Field(default=None, sa_column=sa.Column(sa.String(63)))
    cause_text: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))
    # No foreign key: a silence deleted later must not rewrite what happened under it.
    silenced_by: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid()))
    failing_clusters: list[str] = Field(default_factory=list, sa_column=json_column())
    alert_fired_at: datetime = Field(sa_column=timestamp_column(nullable=False))


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker until its lease runs out
    SENT = "sent"
    FAILED = "failed"


class Notification(SQLModel, table=True):
    """One transition to deliver to one channel: the pair is unique, whatever evaluates it twice."""

    __tablename__ = "notification"
    __table_args__ = (
        sa.UniqueConstraint(
            "transition_id", "channel_id", name="uq_notification_transition_channel"
        ),
        sa.Index("ix_notification_due", "status", "next_attempt_at"),
        sa.Index("ix_notification_channel", "channel_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    transition_id: uuid.UUID = Field(sa_column=_fk("alert_transition.id"))
    channel_id: uuid.UUID = Field(sa_column=_fk("channel.id"))
    alert_id: uuid.UUID = Field(sa_column=_fk("alert.id", index=True))
    status: NotificationStatus = Field(
        default=NotificationStatus.PENDING, sa_column=enum_column(NotificationStatus)
    )
    claimed_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    claimed_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=timestamp_column(nullable=False))
    first_attempt_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    sent_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    failed_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    # Scrubbed of the channel's secrets, like every stored error.
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))


class AttemptResult(enum.StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # the URL's tags did not match
    FAILED = "failed"


class DeliveryAttempt(SQLModel, table=True):
    """What one attempt did for one URL of the channel."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (sa.Index("ix_delivery_attempt_notification", "notification_id", "attempt"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    notification_id: uuid.UUID = Field(sa_column=_fk("notification.id"))
    attempt: int
    at: datetime = Field(sa_column=timestamp_column(nullable=False))
    worker: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    url_index: int
    masked_url: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    result: AttemptResult = Field(sa_column=enum_column(AttemptResult))
    permanence: Permanence | None = Field(
        default=None, sa_column=enum_column(Permanence, nullable=True)
    )
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))


class SilenceWindowKind(enum.StrEnum):
    ONE_OFF = "one_off"
    RECURRING = "recurring"


class Silence(SQLModel, table=True):
    """A domain `Silence`: matchers plus a one-off (start, end) or recurring (cron, duration,
    time zone) window."""

    __tablename__ = "silence"
    __table_args__ = (sa.Index("ix_silence_ends_at", "ends_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    check_ids: list[str] = Field(default_factory=list, sa_column=json_column())
    namespaces: list[str] = Field(default_factory=list, sa_column=json_column())
    labels: dict[str, str] = Field(default_factory=dict, sa_column=json_column())
    cluster_ids: list[str] = Field(default_factory=list, sa_column=json_column())
    cluster_labels: dict[str, str] = Field(default_factory=dict, sa_column=json_column())
    window_kind: SilenceWindowKind = Field(sa_column=enum_column(SilenceWindowKind))
    starts_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    ends_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    cron: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    duration_seconds: float | None = None
    timezone: str = Field(default="UTC", sa_column=sa.Column(sa.String(64), nullable=False))
    author: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    comment: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))
    # Ended by hand (expireSilence): it never silences again, and its window is kept as it was.
    expired_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))


class AlertComment(SQLModel, table=True):
    """A person's note on an alert; also recorded as a `commented` transition (never notified)."""

    __tablename__ = "alert_comment"
    __table_args__ = (sa.Index("ix_alert_comment_alert", "alert_id", "at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    alert_id: uuid.UUID = Field(sa_column=_fk("alert.id"))
    transition_id: uuid.UUID | None = Field(
        default=None, sa_column=_fk("alert_transition.id", nullable=True, ondelete="SET NULL")
    )
    author: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    at: datetime = Field(sa_column=timestamp_column(nullable=False))


class AlertingCursor(SQLModel, table=True):
    """Where the rule engine stands in the event log. Advanced `WHERE version = :read` in the
    transaction that stores what the events caused: the loser of a race rolls back and re-reads."""

    __tablename__ = "alerting_cursor"

    name: str = Field(sa_column=sa.Column(sa.String(63), primary_key=True))
    # FeedPosition.encode(): the last id read and the holes below it still awaited.
    position: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    version: int = 0
    last_tick_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
