"""Runs GraphQL operations straight against the schema, on the per-test database, as the holder
of a real API token (admin unless a test asks for another role)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from strawberry.types import ExecutionResult

from app.api.context import build_context
from app.api.limits import OperationLimits
from app.api.schema import create_schema, schema
from app.db import SessionFactory
from app.domain.access import Principal, Role
from app.keyring import Keyring
from tests.fixtures.access import IssueToken, principal_of

Execute = Callable[..., Awaitable[ExecutionResult]]
ExecuteAs = Callable[..., Awaitable[Execute]]


@pytest.fixture
def execute_as(
    session_factory: SessionFactory, keyring: Keyring, issue_token_for: IssueToken
) -> ExecuteAs:
    """An `execute` acting as the holder of a fresh token with `role` (None: no token at all),
    within the default operation limits or the given ones."""

    async def make(role: Role | None, limits: OperationLimits | None = None) -> Execute:
        principal: Principal | None = None
        if role is not None:
            principal = await principal_of(session_factory, keyring, await issue_token_for(role))
        target = schema if limits is None else create_schema(limits)

        async def run(query: str, variables: dict[str, Any] | None = None) -> ExecutionResult:
            context = build_context(session_factory, keyring=keyring, principal=principal)
            return await target.execute(query, variable_values=variables, context_value=context)

        return run

    return make


@pytest.fixture
async def execute(execute_as: ExecuteAs) -> Execute:
    """Each call is one operation with a fresh context, as one HTTP request would be."""
    return await execute_as(Role.ADMIN)


@pytest.fixture
def gql(execute: Execute) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Runs an operation that must succeed and returns its data."""

    async def run(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        result = await execute(query, variables)
        assert result.errors is None, [e.formatted for e in result.errors or []]
        assert result.data is not None
        return result.data

    return run
