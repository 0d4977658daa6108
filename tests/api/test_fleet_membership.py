"""Checks that target clusters by a label selector over cluster labels: registering or relabelling
a cluster starts or stops them there, touching no other check or cluster; unified views per
check, per cluster and fleet-wide."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from app.db import SessionFactory
from app.models import CheckSchedule, CheckStatus
from tests.api.builders import (
    CREATE_CHECK,
    CREATE_CLUSTER,
    UPDATE_CHECK,
    UPDATE_CLUSTER,
    check_input,
    cluster_input,
    error_codes,
)

FAR_PAST = datetime(2020, 1, 1, tzinfo=UTC)


async def add_cluster(gql: Any, name: str, **labels: str) -> str:
    created = await gql(CREATE_CLUSTER, {"input": cluster_input(name, labels=labels)})
    cluster_id: str = created["createCluster"]["id"]
    return cluster_id


async def add_check(gql: Any, name: str, **fields: Any) -> dict[str, Any]:
    created = await gql(
        CREATE_CHECK, {"input": check_input(name, runInterval="1m", timeout="10s", **fields)}
    )
    check: dict[str, Any] = created["createCheck"]
    return check


async def schedule_rows(session_factory: SessionFactory) -> dict[tuple[str, str], datetime]:
    async with session_factory() as session:
        rows = (await session.exec(select(CheckSchedule))).all()
    return {(str(row.check_id), str(row.cluster_id)): row.next_due_at for row in rows}


async def test_a_selecting_check_runs_in_every_matching_cluster_and_not_in_others(
    gql: Any,
) -> None:
    prod_a = await add_cluster(gql, "prod-a", env="prod")
    await add_cluster(gql, "staging", env="staging")
    prod_b = await add_cluster(gql, "prod-b", env="prod", tier="edge")

    check = await add_check(gql, "everywhere", clusterSelector="env=prod")

    assert {c["id"] for c in check["clusters"]} == {prod_a, prod_b}
    narrowed = await gql(
        UPDATE_CHECK,
        {"input": {"id": check["id"], "clusterSelector": "env=prod,tier notin (edge)"}},
    )
    assert [c["id"] for c in narrowed["updateCheck"]["clusters"]] == [prod_a]


async def test_registering_a_matching_cluster_starts_the_check_there_touching_nothing_else(
    gql: Any, session_factory: SessionFactory
) -> None:
    first = await add_cluster(gql, "prod-a", env="prod")
    selecting = await add_check(gql, "everywhere", clusterSelector="env=prod")
    pinned = await add_check(gql, "pinned", clusterIds=[first])
    async with session_factory.begin() as session:
        # Recognisable due times: a rescheduled row would move off them.
        await session.exec(sa.update(CheckSchedule).values(next_due_at=FAR_PAST))
    before = await schedule_rows(session_factory)

    second = await add_cluster(gql, "prod-b", env="prod")

    after = await schedule_rows(session_factory)
    assert {key: due for key, due in after.items() if key in before} == before
    new = {key for key in after if key not in before}
    assert new == {(selecting["id"], second)}
    assert after[(selecting["id"], second)] > FAR_PAST + timedelta(days=1)
    status = await gql(
        "query($id: ID!) { check(id: $id) { statuses { status cluster { name } } } }",
        {"id": selecting["id"]},
    )
    assert status["check"]["statuses"] == [
        {"status": "UNKNOWN", "cluster": {"name": "prod-a"}},
        {"status": "UNKNOWN", "cluster": {"name": "prod-b"}},
    ]
    pinned_now = await gql(
        "query($id: ID!) { check(id: $id) { clusters { id } } }", {"id": pinned["id"]}
    )
    assert pinned_now["check"]["clusters"] == [{"id": first}]


async def test_relabelling_a_cluster_stops_selected_checks_but_keeps_explicit_ones(
    gql: Any, session_factory: SessionFactory
) -> None:
    cluster = await add_cluster(gql, "prod-a", env="prod")
    selected = await add_check(gql, "selected", clusterSelector="env=prod")
    both = await add_check(gql, "both", clusterSelector="env=prod", clusterIds=[cluster])

    await gql(UPDATE_CLUSTER, {"input": {"id": cluster, "labels": {"env": "staging"}}})

    clusters_of = "query($id: ID!) { check(id: $id) { clusters { id } statuses { status } } }"
    assert (await gql(clusters_of, {"id": selected["id"]}))["check"] == {
        "clusters": [],
        "statuses": [],
    }
    assert (await gql(clusters_of, {"id": both["id"]}))["check"]["clusters"] == [{"id": cluster}]
    async with session_factory() as session:
        statuses = (
            await session.exec(
                select(CheckStatus).where(col(CheckStatus.check_id) == uuid.UUID(both["id"]))
            )
        ).all()
    assert len(statuses) == 1

    await gql(UPDATE_CLUSTER, {"input": {"id": cluster, "labels": {"env": "prod"}}})
    assert (await gql(clusters_of, {"id": selected["id"]}))["check"]["clusters"] == [
        {"id": cluster}
    ]


async def test_an_unparsable_selector_is_refused_with_the_requirement_named(execute: Any) -> None:
    result = await execute(
        CREATE_CHECK,
        {"input": check_input("bad", runInterval="1m", timeout="10s", clusterSelector="env=(x")},
    )
    assert error_codes(result) == [("BAD_USER_INPUT", "clusterSelector")]
    assert result.errors is not None
    assert "clusterSelector: cannot parse 'env=(x'" in result.errors[0].message


async def test_per_cluster_views_and_fleet_counts(gql: Any) -> None:
    prod = await add_cluster(gql, "prod-a", env="prod")
    await add_cluster(gql, "staging", env="staging")
    await add_check(gql, "one", clusterSelector="env=prod")
    await add_check(gql, "two", clusterIds=[prod])

    cluster = await gql(
        'query { cluster(name: "prod-a") { statuses { status check { name } } '
        "health { status serverVersion lastError } } }"
    )
    assert cluster["cluster"] == {
        "statuses": [
            {"status": "UNKNOWN", "check": {"name": "one"}},
            {"status": "UNKNOWN", "check": {"name": "two"}},
        ],
        "health": {"status": "UNKNOWN", "serverVersion": None, "lastError": None},
    }
    fleet = await gql(
        "{ fleet { clusters reachableClusters unreachableClusters unknownClusters checks "
        "statuses { status count } } }"
    )
    counts = {entry["status"]: entry["count"] for entry in fleet["fleet"].pop("statuses")}
    assert fleet["fleet"] == {
        "clusters": 2,
        "reachableClusters": 0,
        "unreachableClusters": 0,
        "unknownClusters": 2,
        "checks": 2,
    }
    assert counts == {"UNKNOWN": 2, "PASSING": 0, "FAILING": 0, "ERROR": 0, "PAUSED": 0}


async def test_a_report_url_is_kept_per_cluster_and_must_be_a_plain_http_url(
    gql: Any, execute: Any
) -> None:
    created = await gql(
        CREATE_CLUSTER,
        {"input": cluster_input("edge", reportUrl="https://patrol.edge.example.com")},
    )
    cluster = created["createCluster"]
    answer = await gql(
        'query { cluster(name: "edge") { reportUrl } }',
    )
    assert answer["cluster"]["reportUrl"] == "https://patrol.edge.example.com"
    refused = await execute(
        UPDATE_CLUSTER,
        {"input": {"id": cluster["id"], "reportUrl": "https://user:hunter2@patrol.example.com"}},
    )
    assert error_codes(refused) == [("BAD_USER_INPUT", "reportUrl")]
    assert refused.errors is not None
    assert "hunter2" not in refused.errors[0].message
    cleared = await gql(UPDATE_CLUSTER, {"input": {"id": cluster["id"], "reportUrl": None}})
    assert cleared["updateCluster"]["id"] == cluster["id"]
    answer = await gql('query { cluster(name: "edge") { reportUrl } }')
    assert answer["cluster"]["reportUrl"] is None
