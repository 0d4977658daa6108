from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.domain.rollup import RollupStep
from app.models.columns import enum_column, timestamp_column


def _check_key() -> sa.Column[uuid.UUID]:
    return sa.Column(sa.Uuid(), sa.ForeignKey("check.id", ondelete="CASCADE"), primary_key=True)


def _cluster_key() -> sa.Column[uuid.UUID]:
    return sa.Column(sa.Uuid(), sa.ForeignKey("cluster.id", ondelete="CASCADE"), primary_key=True)


def _step_key() -> sa.Column[RollupStep]:
    column: sa.Column[RollupStep] = enum_column(RollupStep)
    column.primary_key = True
    return column


def _bucket_key() -> sa.Column[datetime]:
    column: sa.Column[datetime] = timestamp_column(nullable=False)
    column.primary_key = True
    return column


class RunRollup(SQLModel, table=True):
    """The decided runs of one check in one cluster during one hour or day. Filled by additive
    upserts in the deciding transaction (see app/domain/rollup.py); outlives the raw runs."""

    __tablename__ = "run_rollup"
    # Key order serves "one check over a window" (check, step, range of buckets). The index
    # serves pruning and the dashboard (every check over the last hours), which it covers: read
    # through the table instead, 75,000 buckets took 200 ms on SQLite rather than 50.
    __table_args__ = (
        sa.Index(
            "ix_run_rollup_step_bucket",
            "step",
            "bucket_start",
            "check_id",
            "cluster_id",
            "runs",
            "successes",
            "failures",
            "timeouts",
            "errors",
        ),
    )

    check_id: uuid.UUID = Field(sa_column=_check_key())
    step: RollupStep = Field(sa_column=_step_key())
    bucket_start: datetime = Field(sa_column=_bucket_key())
    cluster_id: uuid.UUID = Field(sa_column=_cluster_key())
    runs: int = 0
    successes: int = 0
    failures: int = 0
    timeouts: int = 0
    errors: int = 0
    duration_count: int = 0
    duration_sum_ms: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))
    duration_min_ms: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger()))
    duration_max_ms: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger()))


class RunRollupBin(SQLModel, table=True):
    """How many of a bucket's durations fell in one log-scale bin: a histogram that merges by
    addition, for percentiles over any window."""

    __tablename__ = "run_rollup_bin"
    __table_args__ = (sa.Index("ix_run_rollup_bin_step_bucket", "step", "bucket_start"),)

    check_id: uuid.UUID = Field(sa_column=_check_key())
    step: RollupStep = Field(sa_column=_step_key())
    bucket_start: datetime = Field(sa_column=_bucket_key())
    cluster_id: uuid.UUID = Field(sa_column=_cluster_key())
    bin: int = Field(primary_key=True)
    count: int = 0
