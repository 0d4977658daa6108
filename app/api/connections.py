"""Builds Relay-style connections from keyset-paginated service listings."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from app.api.inputs import CheckFilterInput, RunFilterInput
from app.api.pagination import decode_cursor, encode_cursor, page_size
from app.api.types import CheckType, Connection, Edge, PageInfo, RunType
from app.db import SessionFactory
from app.errors import InvalidInput
from app.models import Check, Run
from app.services import listing

T = TypeVar("T")
Counter = Callable[[], Awaitable[int]]


async def check_connection(
    session_factory: SessionFactory,
    where: CheckFilterInput | None,
    first: int | None,
    after: str | None,
) -> Connection[CheckType]:
    limit = page_size(first)
    check_filter = (where or CheckFilterInput()).to_filter()
    key = None if after is None else _check_key(after)
    async with session_factory() as session:
        checks = await listing.list_checks(session, check_filter, limit=limit + 1, after=key)

    async def count() -> int:
        async with session_factory() as session:
            return await listing.count_checks(session, check_filter)

    edges = [
        Edge(cursor=_check_cursor(check), node=CheckType.from_model(check)) for check in checks
    ]
    return _connection(edges, limit, count)


async def run_connection(
    session_factory: SessionFactory,
    where: RunFilterInput | None,
    first: int | None,
    after: str | None,
) -> Connection[RunType]:
    limit = page_size(first)
    run_filter = (where or RunFilterInput()).to_filter()
    key = None if after is None else _run_key(after)
    async with session_factory() as session:
        runs = await listing.list_runs(session, run_filter, limit=limit + 1, after=key)

    async def count() -> int:
        async with session_factory() as session:
            return await listing.count_runs(session, run_filter)

    edges = [Edge(cursor=_run_cursor(run), node=RunType.from_model(run)) for run in runs]
    return _connection(edges, limit, count)


def _connection(edges: list[Edge[T]], limit: int, count: Counter) -> Connection[T]:
    page = edges[:limit]
    return Connection(
        edges=page,
        page_info=PageInfo(
            has_next_page=len(edges) > limit,
            has_previous_page=False,
            start_cursor=page[0].cursor if page else None,
            end_cursor=page[-1].cursor if page else None,
        ),
        count=count,
    )


def _check_cursor(check: Check) -> str:
    return encode_cursor("check", [check.namespace, check.name, str(check.id)])


def _check_key(cursor: str) -> listing.CheckKey:
    namespace, name, check_id = decode_cursor("check", cursor, arity=3)
    try:
        return listing.CheckKey(str(namespace), str(name), uuid.UUID(str(check_id)))
    except ValueError:
        raise _bad_cursor(cursor, "check") from None


def _run_cursor(run: Run) -> str:
    return encode_cursor("run", [run.scheduled_at.isoformat(), str(run.id)])


def _run_key(cursor: str) -> listing.RunKey:
    scheduled_at, run_id = decode_cursor("run", cursor, arity=2)
    try:
        instant = datetime.fromisoformat(str(scheduled_at))
        if instant.tzinfo is None:
            raise ValueError("naive")
        return listing.RunKey(instant, uuid.UUID(str(run_id)))
    except ValueError:
        raise _bad_cursor(cursor, "run") from None


def _bad_cursor(cursor: str, kind: str) -> InvalidInput:
    return InvalidInput(f"after: {cursor!r} is not a valid {kind} cursor", field="after")
