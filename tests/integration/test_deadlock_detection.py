"""What Patrol retries as a deadlock is PostgreSQL's real "deadlock detected", produced here by
two transactions locking two rows in opposite orders."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.db import is_deadlock
from tests.fixtures.database import POSTGRES_URL

pytestmark = pytest.mark.skipif(
    POSTGRES_URL is None, reason="SQLite has one writer at a time: its transactions cannot deadlock"
)


async def test_a_real_deadlock_is_recognized_and_other_errors_are_not(engine: AsyncEngine) -> None:
    async with engine.begin() as setup:
        await setup.execute(sa.text("CREATE TABLE pair (id int PRIMARY KEY, n int)"))
        await setup.execute(sa.text("INSERT INTO pair VALUES (1, 0), (2, 0)"))
    both_hold_one = asyncio.Barrier(2)

    async def lock_in_order(first: int, second: int) -> None:
        async with engine.connect() as connection:
            await lock(connection, first)
            await both_hold_one.wait()
            await lock(connection, second)

    outcomes = await asyncio.gather(
        lock_in_order(1, 2), lock_in_order(2, 1), return_exceptions=True
    )

    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], DBAPIError)
    assert is_deadlock(errors[0])
    with pytest.raises(DBAPIError) as other:
        async with engine.connect() as connection:
            await connection.execute(sa.text("SELECT * FROM no_such_table"))
    assert not is_deadlock(other.value)


async def lock(connection: AsyncConnection, row: int) -> None:
    await connection.execute(sa.text("UPDATE pair SET n = n + 1 WHERE id = :id"), {"id": row})
