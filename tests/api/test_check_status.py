"""A check's status in each of its clusters, through GraphQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from app.db import SessionFactory
from app.domain.run_lifecycle import REPORT, check_failed
from app.models import Run, RunStatus, RunTrigger
from app.models.columns import utcnow
from app.services import run_state
from tests.api.builders import CREATE_CLUSTER, cluster_input

STATUSES = """
query($id: ID!) {
  check(id: $id) {
    statuses { status since consecutiveFailures cluster { name } lastRun { id status } }
  }
}
"""


async def test_statuses_start_unknown_per_cluster_and_follow_the_last_decided_run(
    gql: Any, session_factory: SessionFactory
) -> None:
    clusters = [
        (await gql(CREATE_CLUSTER, {"input": cluster_input(name)}))["createCluster"]["id"]
        for name in ("eu", "us")
    ]
    check_id = (
        await gql(
            "mutation($i: CreateCheckInput!) { createCheck(input: $i) { id } }",
            {
                "i": {
                    "name": "ping",
                    "namespace": "default",
                    "timeout": "10s",
                    "clusterIds": clusters,
                    "podSpec": {"containers": [{"name": "c", "image": "busybox"}]},
                }
            },
        )
    )["createCheck"]["id"]
    before = (await gql(STATUSES, {"id": check_id}))["check"]["statuses"]
    assert [(s["cluster"]["name"], s["status"], s["lastRun"]) for s in before] == [
        ("eu", "UNKNOWN", None),
        ("us", "UNKNOWN", None),
    ]

    now = utcnow()
    run = Run(
        check_id=uuid.UUID(check_id),
        cluster_id=uuid.UUID(clusters[1]),
        check_version=1,
        trigger=RunTrigger.MANUAL,
        status=RunStatus.RUNNING,
        scheduled_at=now,
        started_at=now,
        deadline_at=now + timedelta(seconds=10),
    )
    async with session_factory.begin() as session:
        await run_state.create(session, [run], now=now)
    async with session_factory.begin() as session:
        await run_state.decide(session, [(run.id, check_failed(["down"]))], REPORT, now=utcnow())

    after = (await gql(STATUSES, {"id": check_id}))["check"]["statuses"]
    assert after[0]["status"] == "UNKNOWN"
    assert after[1]["status"] == "FAILING" and after[1]["consecutiveFailures"] == 1
    assert after[1]["lastRun"] == {"id": str(run.id), "status": "FAILED"}
