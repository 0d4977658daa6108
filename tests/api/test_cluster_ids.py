"""Cluster ids in createCheck, updateCheck and triggerCheck: checked with one query for all of
them, every unknown one named at once, and at most 100 per call."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.builders import (
    CREATE_CHECK,
    CREATE_CLUSTER,
    UPDATE_CHECK,
    check_input,
    cluster_input,
    error_codes,
)
from tests.fixtures.statements import counting_statements

TRIGGER = "mutation($id: ID!, $clusterIds: [ID!]) { triggerCheck(id: $id, clusterIds: $clusterIds) { id } }"


def unknown_ids(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


def cluster_lookups(statements: list[str]) -> list[str]:
    return [s for s in statements if "FROM cluster" in s and "check_cluster" not in s]


async def test_create_check_looks_up_all_cluster_ids_in_one_query(
    execute: Any, engine: AsyncEngine
) -> None:
    missing = unknown_ids(100)
    with counting_statements(engine) as statements:
        result = await execute(CREATE_CHECK, {"input": check_input(cluster_ids=missing)})

    assert error_codes(result) == [("NOT_FOUND", "clusterIds")]
    assert len(cluster_lookups(statements)) == 1
    assert result.errors[0].message == (
        f"clusterIds: unknown clusters {', '.join(missing[:5])} and 95 more"
    )


async def test_update_check_looks_up_all_cluster_ids_in_one_query(
    gql: Any, execute: Any, engine: AsyncEngine
) -> None:
    created = (await gql(CREATE_CHECK, {"input": check_input()}))["createCheck"]
    with counting_statements(engine) as statements:
        result = await execute(
            UPDATE_CHECK, {"input": {"id": created["id"], "clusterIds": unknown_ids(100)}}
        )
    assert error_codes(result) == [("NOT_FOUND", "clusterIds")]
    assert len(cluster_lookups(statements)) == 1


async def test_more_than_100_cluster_ids_are_refused_at_once(execute: Any) -> None:
    started = time.perf_counter()
    result = await execute(CREATE_CHECK, {"input": check_input(cluster_ids=unknown_ids(10_000))})
    assert error_codes(result) == [("BAD_USER_INPUT", "clusterIds")]
    assert result.errors[0].message == "clusterIds: at most 100 clusters, got 10000"
    assert time.perf_counter() - started < 5


async def test_trigger_names_every_unknown_and_unassigned_cluster_with_one_query(
    gql: Any, execute: Any, engine: AsyncEngine
) -> None:
    alpha, beta = [
        (await gql(CREATE_CLUSTER, {"input": cluster_input(name)}))["createCluster"]["id"]
        for name in ("alpha", "beta")
    ]
    check = (await gql(CREATE_CHECK, {"input": check_input(cluster_ids=[alpha])}))["createCheck"]
    missing = unknown_ids(3)

    with counting_statements(engine) as statements:
        unknown = await execute(TRIGGER, {"id": check["id"], "clusterIds": [alpha, *missing]})
    unassigned = await execute(TRIGGER, {"id": check["id"], "clusterIds": [beta, alpha]})
    too_many = await execute(TRIGGER, {"id": check["id"], "clusterIds": unknown_ids(101)})

    assert error_codes(unknown) == [("NOT_FOUND", "clusterIds")]
    assert unknown.errors[0].message == f"clusterIds: unknown clusters {', '.join(missing)}"
    assert len(cluster_lookups(statements)) == 1
    assert error_codes(unassigned) == [("BAD_USER_INPUT", "clusterIds")]
    assert unassigned.errors[0].message == f"check patrol/ping is not assigned to cluster {beta}"
    assert error_codes(too_many) == [("BAD_USER_INPUT", "clusterIds")]
