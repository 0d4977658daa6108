"""Runs GraphQL operations straight against the schema, on the per-test database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from strawberry.types import ExecutionResult

from app.api.context import build_context
from app.api.schema import schema
from app.db import SessionFactory

Execute = Callable[..., Awaitable[ExecutionResult]]


@pytest.fixture
def execute(session_factory: SessionFactory) -> Execute:
    """Each call is one operation with a fresh context, as one HTTP request would be."""

    async def run(query: str, variables: dict[str, Any] | None = None) -> ExecutionResult:
        return await schema.execute(
            query, variable_values=variables, context_value=build_context(session_factory)
        )

    return run


@pytest.fixture
def gql(execute: Execute) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Runs an operation that must succeed and returns its data."""

    async def run(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        result = await execute(query, variables)
        assert result.errors is None, [e.formatted for e in result.errors or []]
        assert result.data is not None
        return result.data

    return run
