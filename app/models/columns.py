"""Column helpers shared by the tables: UTC timestamps, JSON documents, enums stored as text."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

# Named constraints keep Alembic's SQLite batch migrations and autogenerate deterministic.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def json_column(nullable: bool = False) -> Any:
    return sa.Column(sa.JSON(), nullable=nullable)


def enum_column(enum_type: type[enum.Enum], *, nullable: bool = False, index: bool = False) -> Any:
    """A VARCHAR column holding the enum's values: no native PG enum, so adding a member needs no DDL."""
    return sa.Column(
        sa.Enum(
            enum_type,
            native_enum=False,
            create_constraint=False,
            length=32,
            values_callable=lambda members: [member.value for member in members],
        ),
        nullable=nullable,
        index=index,
    )


def timestamp_column(*, nullable: bool = True, index: bool = False) -> Any:
    return sa.Column(UTCDateTime(), nullable=nullable, index=index)
