"""Uptime, duration charts, the dashboard summary and run filters over real HTTP, with tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from app.domain.access import Role
from app.domain.rollup import RollupStep, bucket_start
from app.models import Cluster, ConnectionKind, RunStatus, RunTrigger
from app.models.columns import utcnow
from app.services.checks import CheckDraft, create_check
from tests.fixtures.access import bearer, issue_api_token
from tests.fixtures.history import decided_run
from tests.fixtures.stack import PatrolStack

POD_SPEC = {"containers": [{"name": "c", "image": "busybox"}]}
UPTIME = """
query($id: ID!, $window: UptimeWindow, $from: DateTime, $to: DateTime, $clusterId: ID) {
  check(id: $id) {
    uptime(window: $window, from: $from, to: $to, clusterId: $clusterId) {
      from to step
      overall { runs successes failures timeouts errors uptime
                durationMinSeconds durationAvgSeconds durationP95Seconds durationMaxSeconds }
      clusters { clusterId cluster { name } stats { runs successes uptime } }
    }
  }
}
"""
DURATIONS = """
query($id: ID!, $window: UptimeWindow, $step: RollupStep) {
  check(id: $id) {
    durations(window: $window, step: $step) {
      from to step points { at stats { runs durationMaxSeconds } }
    }
  }
}
"""


async def post(
    stack: PatrolStack, token: str | None, query: str, *, expect: int = 200, **variables: Any
) -> dict[str, Any]:
    headers = {} if token is None else bearer(token)
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=10, headers=headers) as client:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


async def a_history(stack: PatrolStack) -> dict[str, Any]:
    """A check in two clusters: in the last hours 3 successes and a failure in the first, a
    timeout in the second; 3 days ago a success in the first."""
    sessions = stack.runtime.session_factory
    async with sessions.begin() as session:
        second = Cluster(name="second", connection_kind=ConnectionKind.LOCAL)
        session.add(second)
        await session.flush()
        check = await create_check(
            session,
            CheckDraft(
                name="web",
                namespace="default",
                pod_spec=POD_SPEC,
                timeout="30s",
                cluster_ids=[stack.cluster.id, second.id],
            ),
        )
    now = utcnow()
    recent = bucket_start(now, RollupStep.HOUR) - timedelta(hours=2)
    first = stack.cluster.id
    for minutes, status, seconds in (
        (0, RunStatus.SUCCEEDED, 1.0),
        (10, RunStatus.SUCCEEDED, 2.0),
        (20, RunStatus.FAILED, 4.0),
        (30, RunStatus.SUCCEEDED, 3.0),
    ):
        await decided_run(
            sessions,
            check.id,
            first,
            scheduled_at=recent + timedelta(minutes=minutes),
            status=status,
            duration=timedelta(seconds=seconds),
        )
    await decided_run(
        sessions,
        check.id,
        second.id,
        scheduled_at=recent + timedelta(minutes=5),
        status=RunStatus.TIMED_OUT,
        duration=timedelta(seconds=30),
        trigger=RunTrigger.MANUAL,
    )
    await decided_run(
        sessions,
        check.id,
        first,
        scheduled_at=now - timedelta(days=3),
        status=RunStatus.SUCCEEDED,
        duration=timedelta(seconds=1),
    )
    return {"check": check, "second": second, "recent": recent}


async def test_a_viewer_reads_uptime_per_cluster_and_overall_over_http(
    api_stack: PatrolStack,
) -> None:
    history = await a_history(api_stack)
    sessions, keyring = api_stack.runtime.session_factory, api_stack.runtime.keyring
    viewer = await issue_api_token(sessions, keyring, Role.VIEWER)
    check_id = str(history["check"].id)

    body = await post(api_stack, viewer, UPTIME, id=check_id)
    assert "errors" not in body, body
    day = body["data"]["check"]["uptime"]
    assert day["step"] == "HOUR"
    assert day["overall"] == {
        "runs": 5,
        "successes": 3,
        "failures": 1,
        "timeouts": 1,
        "errors": 0,
        "uptime": 0.6,
        "durationMinSeconds": 1.0,
        "durationAvgSeconds": 8.0,
        "durationP95Seconds": 30.0,  # clamped to the exact maximum
        "durationMaxSeconds": 30.0,
    }
    by_name = {c["cluster"]["name"]: c["stats"] for c in day["clusters"]}
    assert by_name == {
        api_stack.cluster.name: {"runs": 4, "successes": 3, "uptime": 0.75},
        "second": {"runs": 1, "successes": 0, "uptime": 0.0},
    }

    week = (await post(api_stack, viewer, UPTIME, id=check_id, window="D7"))["data"]
    assert week["check"]["uptime"]["overall"]["runs"] == 6

    one_cluster = await post(
        api_stack, viewer, UPTIME, id=check_id, window="D30", clusterId=str(history["second"].id)
    )
    assert one_cluster["data"]["check"]["uptime"]["step"] == "DAY"
    assert one_cluster["data"]["check"]["uptime"]["overall"]["runs"] == 1

    recent = history["recent"]
    custom = await post(
        api_stack,
        viewer,
        UPTIME,
        id=check_id,
        **{"from": recent.isoformat(), "to": (recent + timedelta(minutes=15)).isoformat()},
    )
    # Widened to the whole hour: the four runs of that hour in the two clusters.
    assert custom["data"]["check"]["uptime"]["from"].startswith(recent.isoformat()[:19])
    assert custom["data"]["check"]["uptime"]["overall"]["runs"] == 5


async def test_durations_are_a_series_of_buckets_with_the_empty_ones(
    api_stack: PatrolStack,
) -> None:
    history = await a_history(api_stack)
    viewer = await issue_api_token(
        api_stack.runtime.session_factory, api_stack.runtime.keyring, Role.VIEWER
    )
    body = await post(api_stack, viewer, DURATIONS, id=str(history["check"].id))
    series = body["data"]["check"]["durations"]
    assert series["step"] == "HOUR" and len(series["points"]) == 24
    busy = [p for p in series["points"] if p["stats"]["runs"]]
    assert len(busy) == 1 and busy[0]["stats"] == {"runs": 5, "durationMaxSeconds": 30.0}

    weekly = await post(
        api_stack, viewer, DURATIONS, id=str(history["check"].id), window="D7", step="DAY"
    )
    days = weekly["data"]["check"]["durations"]
    assert days["step"] == "DAY" and sum(p["stats"]["runs"] for p in days["points"]) == 6

    yearly_hours = await post(
        api_stack, viewer, DURATIONS, id=str(history["check"].id), window="D365", step="HOUR"
    )
    assert yearly_hours["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_runs_filter_by_failure_reason_and_trigger(api_stack: PatrolStack) -> None:
    history = await a_history(api_stack)
    viewer = await issue_api_token(
        api_stack.runtime.session_factory, api_stack.runtime.keyring, Role.VIEWER
    )
    query = """
    query($f: RunFilterInput) { runs(filter: $f) { nodes { status trigger failureReason } } }
    """
    check_id = str(history["check"].id)
    timed_out = await post(
        api_stack, viewer, query, f={"checkId": check_id, "failureReason": ["TIMED_OUT"]}
    )
    assert timed_out["data"]["runs"]["nodes"] == [
        {"status": "TIMED_OUT", "trigger": "MANUAL", "failureReason": "TIMED_OUT"}
    ]
    either = await post(
        api_stack,
        viewer,
        query,
        f={
            "checkId": check_id,
            "failureReason": ["TIMED_OUT", "CHECK_FAILED"],
            "trigger": "SCHEDULE",
        },
    )
    assert either["data"]["runs"]["nodes"] == [
        {"status": "FAILED", "trigger": "SCHEDULE", "failureReason": "CHECK_FAILED"}
    ]


async def test_the_status_summary_lists_every_check_with_its_clusters(
    api_stack: PatrolStack,
) -> None:
    history = await a_history(api_stack)
    viewer = await issue_api_token(
        api_stack.runtime.session_factory, api_stack.runtime.keyring, Role.VIEWER
    )
    query = """
    { statusSummary { from to columns { clusterName } checks { name runs24h uptime24h
        statuses uptimes24h
        clusters { clusterName status runs24h uptime24h consecutiveFailures } } } }
    """
    body = await post(api_stack, viewer, query)
    assert "errors" not in body, body
    (check,) = body["data"]["statusSummary"]["checks"]
    columns = [column["clusterName"] for column in body["data"]["statusSummary"]["columns"]]
    assert columns == sorted([api_stack.cluster.name, "second"])
    grid = dict(zip(columns, zip(check["statuses"], check["uptimes24h"], strict=True), strict=True))
    assert grid == {api_stack.cluster.name: ("PASSING", 0.75), "second": ("ERROR", 0.0)}
    assert check["name"] == history["check"].name
    assert (check["runs24h"], check["uptime24h"]) == (5, 0.6)
    clusters = {c["clusterName"]: c for c in check["clusters"]}
    assert clusters["second"] == {
        "clusterName": "second",
        "status": "ERROR",
        "runs24h": 1,
        "uptime24h": 0.0,
        "consecutiveFailures": 1,
    }
    assert clusters[api_stack.cluster.name]["status"] == "PASSING"


async def test_history_needs_a_token(api_stack: PatrolStack) -> None:
    history = await a_history(api_stack)
    anonymous = await post(api_stack, None, UPTIME, expect=401, id=str(history["check"].id))
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    summary = await post(api_stack, None, "{ statusSummary { checks { name } } }", expect=401)
    assert summary["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
