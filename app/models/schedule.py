from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.columns import timestamp_column, utcnow


class CheckSchedule(SQLModel, table=True):
    """When one check is next due in one cluster. Only enabled, periodic checks have rows."""

    __tablename__ = "check_schedule"

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
    next_due_at: datetime = Field(sa_column=timestamp_column(nullable=False, index=True))
    last_slot_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    # Slots not run: missed while Patrol was down, or due while the previous run was in flight.
    skipped_slots: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
