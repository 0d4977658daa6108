from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.columns import json_column, timestamp_column, utcnow


class CheckCluster(SQLModel, table=True):
    """Which clusters a check runs in."""

    __tablename__ = "check_cluster"

    check_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid(), sa.ForeignKey("check.id", ondelete="CASCADE"), primary_key=True
        )
    )
    cluster_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid(), sa.ForeignKey("cluster.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    # Why the check runs there: named in its clusterIds, matched by its cluster selector, or both.
    # The row goes when neither holds.
    explicit: bool = Field(
        default=True, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.true())
    )
    matched: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )


class Check(SQLModel, table=True):
    __tablename__ = "check"
    __table_args__ = (sa.UniqueConstraint("namespace", "name", name="uq_check_namespace_name"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(253), nullable=False))
    namespace: str = Field(sa_column=sa.Column(sa.String(63), nullable=False, index=True))
    description: str = ""
    labels: dict[str, str] = Field(default_factory=dict, sa_column=json_column())
    # A core/v1 PodSpec as the Kubernetes API spells it (camelCase keys).
    pod_spec: dict[str, Any] = Field(sa_column=json_column())
    extra_labels: dict[str, str] = Field(default_factory=dict, sa_column=json_column())
    extra_annotations: dict[str, str] = Field(default_factory=dict, sa_column=json_column())
    # A label selector over cluster labels (`env=prod,tier!=dev`): the check also runs in every
    # cluster it matches, registered now or later. None: only its explicit clusters.
    cluster_selector: str | None = None
    # None: on-demand only, never scheduled.
    run_interval_seconds: float | None = None
    timeout_seconds: float
    enabled: bool = True
    # Where `patrol apply` read it from (a file, a directory or a name the caller chose); None
    # for checks made through the API. `apply --prune` deletes only checks of its own source.
    source: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(1024), nullable=True, index=True)
    )
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
