from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.domain.access import Role
from app.models.columns import enum_column, json_column, timestamp_column, utcnow


class ApiToken(SQLModel, table=True):
    """An API token. Only a keyed digest of the token is stored: it is shown once, at creation."""

    __tablename__ = "api_token"
    __table_args__ = (
        # A name is unique among live tokens; a revoked token keeps its name for the audit trail.
        sa.Index(
            "uq_api_token_live_name",
            "name",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    role: Role = Field(sa_column=enum_column(Role))
    digest: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    created_by: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    revoked_at: datetime | None = Field(default=None, sa_column=timestamp_column())


class AuditRecord(SQLModel, table=True):
    """One mutation: who, what, when, and how it ended. Secret arguments are never stored."""

    __tablename__ = "audit_record"
    __table_args__ = (sa.Index("ix_audit_record_at", "at"),)

    id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    )
    at: datetime = Field(sa_column=timestamp_column(nullable=False))
    actor: str = Field(sa_column=sa.Column(sa.String(63), nullable=False, index=True))
    actor_role: Role = Field(sa_column=enum_column(Role))
    token_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid(), nullable=True))
    operation: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, index=True))
    target: str | None = Field(default=None, sa_column=sa.Column(sa.String(253), nullable=True))
    arguments: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    outcome: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    message: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    client: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
