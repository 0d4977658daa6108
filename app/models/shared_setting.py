from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.columns import timestamp_column, utcnow


class SharedSetting(SQLModel, table=True):
    """A setting that every process sharing the database reads: `patrol serve` records its
    public URL here, where a `patrol worker` started without one finds it."""

    __tablename__ = "shared_setting"

    key: str = Field(sa_column=sa.Column(sa.String(63), primary_key=True))
    value: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
