"""Each cluster's pods report to that cluster's URL; deleting a cluster first deletes Patrol's pods
there, or says it could not (and deletes anyway only when forced)."""

from __future__ import annotations

import uuid
from typing import Any

from app.localcluster.server import LocalCluster
from app.models import RunStatus
from tests.fixtures.stack import PatrolStack, eventually, graphql, shell_checker

DELETE = "mutation($id: ID!, $force: Boolean!) { deleteCluster(id: $id, force: $force) }"


async def join(stack: PatrolStack, name: str, **fields: Any) -> tuple[LocalCluster, str]:
    cluster = LocalCluster()
    await cluster.start()
    stack.exit_stack.push_async_callback(cluster.stop)
    created = await graphql(
        stack,
        "mutation($i: CreateClusterInput!) { createCluster(input: $i) { id } }",
        i={
            "name": name,
            "connectionKind": "TOKEN",
            "apiUrl": cluster.url,
            "token": cluster.token,
            **fields,
        },
    )
    assert "errors" not in created, created
    return cluster, created["data"]["createCluster"]["id"]


async def start_sleeper(stack: PatrolStack, cluster_id: str) -> str:
    created = await graphql(
        stack,
        "mutation($i: CreateCheckInput!) { createCheck(input: $i) { id } }",
        i={
            "name": "sleeper",
            "namespace": "default",
            "timeout": "5m",
            "clusterIds": [cluster_id],
            "podSpec": shell_checker("sleep 300"),
        },
    )
    check_id: str = created["data"]["createCheck"]["id"]
    triggered = await graphql(
        stack, "mutation($id: ID!) { triggerCheck(id: $id) { id } }", id=check_id
    )
    assert "errors" not in triggered, triggered
    return check_id


def env_of(pod: dict[str, Any]) -> dict[str, str]:
    container = pod["spec"]["containers"][0]
    return {item["name"]: item.get("value", "") for item in container.get("env", [])}


async def test_pods_report_to_their_clusters_url_and_deleting_the_cluster_reaps_them(
    stack: PatrolStack,
) -> None:
    report_url = stack.api_url.replace("127.0.0.1", "localhost")
    edge, edge_id = await join(stack, "edge", reportUrl=report_url)
    await start_sleeper(stack, edge_id)

    async def running_pods() -> list[dict[str, Any]]:
        return edge.cluster.store.items("pods")

    (pod,) = await eventually(running_pods, timeout=30)
    assert env_of(pod)["KH_REPORTING_URL"].startswith(report_url + "/")

    deleted = await graphql(stack, DELETE, id=edge_id, force=False)

    assert deleted == {"data": {"deleteCluster": edge_id}}
    assert edge.cluster.store.items("pods") == []


async def test_an_unreachable_cluster_with_live_runs_is_deleted_only_when_forced(
    stack: PatrolStack,
) -> None:
    far, far_id = await join(stack, "far")
    check_id = await start_sleeper(stack, far_id)

    async def running() -> bool:
        runs = await stack.runs(uuid.UUID(check_id))
        return (
            bool(runs)
            and runs[0].status is RunStatus.RUNNING
            and bool(far.cluster.store.items("pods"))
        )

    await eventually(running, timeout=30)
    far.faults.fail_requests(count=10**6, status=503)

    refused = await graphql(stack, DELETE, id=far_id, force=False)

    assert refused["data"] is None
    (error,) = refused["errors"]
    assert error["extensions"]["code"] == "CLUSTER_UNREACHABLE"
    assert "could not be removed (503" in error["message"] and "force: true" in error["message"]
    still = await graphql(stack, 'query { cluster(name: "far") { id } }')
    assert still["data"]["cluster"] == {"id": far_id}

    forced = await graphql(stack, DELETE, id=far_id, force=True)

    assert forced == {"data": {"deleteCluster": far_id}}
    gone = await graphql(stack, 'query { cluster(name: "far") { id } }')
    assert gone["data"]["cluster"] is None
    far.faults.clear()
