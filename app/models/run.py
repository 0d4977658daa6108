from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.domain.run_lifecycle import FailureReason, RunStatus, RunTrigger
from app.models.columns import enum_column, json_column, timestamp_column, utcnow

__all__ = ["FailureReason", "Run", "RunEvent", "RunLog", "RunStatus", "RunTrigger"]


class Run(SQLModel, table=True):
    __tablename__ = "run"
    __table_args__ = (
        sa.UniqueConstraint("check_id", "cluster_id", "scheduled_at", name="uq_run_slot"),
        sa.Index("ix_run_check_scheduled", "check_id", "scheduled_at"),
        sa.Index("ix_run_cluster_scheduled", "cluster_id", "scheduled_at"),
        sa.Index("ix_run_status_deadline", "status", "deadline_at"),
        sa.Index("ix_run_pod_ip", "pod_ip"),
        # "The latest failures of a check" (runs filtered by failure reason): a few in a hundred
        # runs, read without visiting the others.
        sa.Index(
            "ix_run_check_failures",
            "check_id",
            "scheduled_at",
            sqlite_where=sa.text("failure_reason IS NOT NULL"),
            postgresql_where=sa.text("failure_reason IS NOT NULL"),
        ),
        # Decided runs still to finalize: a handful at any time among many finished ones.
        sa.Index(
            "ix_run_unfinalized",
            "finished_at",
            sqlite_where=sa.text("finalized_at IS NULL"),
            postgresql_where=sa.text("finalized_at IS NULL"),
        ),
        # At most one undecided run per check and cluster (concurrency policy Forbid), in the
        # database itself so that any number of schedulers and API replicas agree.
        sa.Index(
            "uq_run_in_flight",
            "check_id",
            "cluster_id",
            unique=True,
            sqlite_where=sa.text("status IN ('pending', 'running')"),
            postgresql_where=sa.text("status IN ('pending', 'running')"),
        ),
    )

    # Also the Kuberhealthy run UUID (KH_RUN_UUID) handed to the checker pod.
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    check_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid(), sa.ForeignKey("check.id", ondelete="CASCADE"), nullable=False
        )
    )
    cluster_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid(), sa.ForeignKey("cluster.id", ondelete="CASCADE"), nullable=False
        )
    )
    check_version: int
    trigger: RunTrigger = Field(sa_column=enum_column(RunTrigger))
    status: RunStatus = Field(default=RunStatus.PENDING, sa_column=enum_column(RunStatus))
    ok: bool | None = None
    errors: list[str] = Field(default_factory=list, sa_column=json_column())
    failure_reason: FailureReason | None = Field(
        default=None, sa_column=enum_column(FailureReason, nullable=True)
    )
    scheduled_at: datetime = Field(sa_column=timestamp_column(nullable=False, index=True))
    started_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    deadline_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    finished_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    finalized_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    pod_name: str | None = None
    pod_namespace: str | None = None
    node_name: str | None = None
    pod_ip: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))


class RunLog(SQLModel, table=True):
    """The checker pod's output, captured before the pod is deleted (tail, size-capped)."""

    __tablename__ = "run_log"

    run_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid(), sa.ForeignKey("run.id", ondelete="CASCADE"), primary_key=True
        )
    )
    container: str = Field(sa_column=sa.Column(sa.String(253), primary_key=True))
    content: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    truncated: bool = False
    captured_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamp_column(nullable=False)
    )


class RunEvent(SQLModel, table=True):
    """A Kubernetes event about the run's pod."""

    __tablename__ = "run_event"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    run_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid(), sa.ForeignKey("run.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    # Order of occurrence: timestamps alone cannot tell, kubelet events carry whole seconds.
    position: int = 0
    type: str
    reason: str
    message: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    count: int = 1
    source: str = ""
    first_seen: datetime | None = Field(default=None, sa_column=timestamp_column())
    last_seen: datetime | None = Field(default=None, sa_column=timestamp_column())
