from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.domain.check_status import CheckHealth
from app.domain.run_lifecycle import RunStatus
from app.models.columns import enum_column, json_column, timestamp_column


class CheckStatus(SQLModel, table=True):
    """What one check is doing in one cluster, updated in the transaction that decides a run."""

    __tablename__ = "check_status"

    check_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid(), sa.ForeignKey("check.id", ondelete="CASCADE"), primary_key=True
        )
    )
    cluster_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid(), sa.ForeignKey("cluster.id", ondelete="CASCADE"), primary_key=True
        )
    )
    status: CheckHealth = Field(sa_column=enum_column(CheckHealth, index=True))
    since: datetime = Field(sa_column=timestamp_column(nullable=False))
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    last_success_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    last_failure_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    last_run_id: uuid.UUID | None = None
    last_run_status: RunStatus | None = Field(
        default=None, sa_column=enum_column(RunStatus, nullable=True)
    )
    # The run the status follows is the one that started last (see app/domain/check_status.py).
    last_run_started_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    paused: bool = False
    # Optimistic lock: writers update `WHERE version = :read`, so concurrent deciders never both
    # record the same flip.
    version: int = 0


class EventKind(enum.StrEnum):
    RUN_CREATED = "run_created"
    RUN_STARTED = "run_started"
    RUN_DECIDED = "run_decided"
    RUN_FINALIZED = "run_finalized"
    STATUS_CHANGED = "status_changed"
    # An alert transition, written by the rule engine in the transaction that recorded it.
    ALERT_CHANGED = "alert_changed"
    # A cluster's API became unreachable or reachable again: check_id is null, cluster_id set,
    # payload {"from": "reachable"|"unreachable"|"unknown", "to": ..., "error": ...}.
    CLUSTER_HEALTH_CHANGED = "cluster_health_changed"
    # A check was created, edited (a pause or resume included) or deleted: cluster_id is null,
    # payload {"change": "created"|"updated"|"deleted", "namespace", "name", "version"}.
    CHECK_CHANGED = "check_changed"


class Event(SQLModel, table=True):
    """The durable, ordered log of what happened (an outbox): written in the transaction that made
    it happen; subscriptions and alerting read it by id."""

    __tablename__ = "event"
    __table_args__ = (
        sa.Index("ix_event_check_id", "check_id", "id"),
        sa.Index("ix_event_at", "at"),
    )

    id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    )
    at: datetime = Field(sa_column=timestamp_column(nullable=False))
    kind: EventKind = Field(sa_column=enum_column(EventKind))
    # No foreign keys: the log outlives what it tells about, until retention prunes it.
    # Null for events about a cluster rather than a check (CLUSTER_HEALTH_CHANGED).
    check_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid(), nullable=True))
    cluster_id: uuid.UUID | None = Field(
        default=None, sa_column=sa.Column(sa.Uuid(), nullable=True)
    )
    run_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid(), nullable=True))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
