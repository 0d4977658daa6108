from __future__ import annotations

from typing import Any

import pytest

from app.db import SessionFactory
from tests.api.builders import CHECKS_PAGE, error_codes
from tests.api.seeding import EPOCH, seed_fleet, seed_run_details

RUNS_PAGE = """
query($filter: RunFilterInput, $first: Int, $after: String) {
  runs(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { cursor node { id checkId clusterId status trigger scheduledAt } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def collect_pages(
    gql: Any, query: str, field: str, first: int, **variables: Any
) -> list[list[dict[str, Any]]]:
    pages, after = [], None
    while True:
        data = (await gql(query, {"first": first, "after": after, **variables}))[field]
        pages.append([edge["node"] for edge in data["edges"]])
        if not data["pageInfo"]["hasNextPage"]:
            return pages
        after = data["pageInfo"]["endCursor"]


async def test_pages_through_checks_in_namespace_then_name_order(
    gql: Any, session_factory: SessionFactory
) -> None:
    fleet = await seed_fleet(session_factory, checks=23, runs_per_check=0)
    pages = await collect_pages(gql, CHECKS_PAGE, "checks", first=10)

    assert [len(page) for page in pages] == [10, 10, 3]
    seen = [(node["namespace"], node["name"]) for page in pages for node in page]
    assert seen == sorted((c.namespace, c.name) for c in fleet["checks"])


async def test_page_info_and_total_count_describe_the_page(
    gql: Any, session_factory: SessionFactory
) -> None:
    await seed_fleet(session_factory, checks=5, runs_per_check=0)
    data = (await gql(CHECKS_PAGE, {"first": 2}))["checks"]
    assert data["totalCount"] == 5
    assert data["pageInfo"]["hasNextPage"] is True
    assert data["pageInfo"]["hasPreviousPage"] is False
    assert data["pageInfo"]["startCursor"] == data["edges"][0]["cursor"]
    assert data["pageInfo"]["endCursor"] == data["edges"][1]["cursor"]


async def test_an_empty_listing_has_no_cursors(gql: Any) -> None:
    data = (await gql(CHECKS_PAGE))["checks"]
    assert data["edges"] == [] and data["totalCount"] == 0
    assert data["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({"namespace": "beta"}, lambda i: i % 2 == 1),
        ({"labels": {"tier": "gold"}}, lambda i: i % 3 == 0),
        ({"labels": {"tier": "gold", "team": "t1"}}, lambda i: i % 3 == 0 and i % 2 == 1),
        ({"enabled": False}, lambda i: i % 4 == 0),
        ({"clusterName": "cluster-0"}, lambda i: 0 in (i % 3, (i + 1) % 3)),
        ({"search": "CHECK-001"}, lambda i: 10 <= i < 20),
        ({"namespace": "alpha", "enabled": True}, lambda i: i % 2 == 0 and i % 4 != 0),
    ],
)
async def test_filters_checks(
    gql: Any, session_factory: SessionFactory, filter_: dict[str, Any], expected: Any
) -> None:
    await seed_fleet(session_factory, checks=24, runs_per_check=0)
    data = (await gql(CHECKS_PAGE, {"filter": filter_, "first": 500}))["checks"]
    names = sorted(edge["node"]["name"] for edge in data["edges"])
    assert names == sorted(f"check-{i:04d}" for i in range(24) if expected(i))
    assert data["totalCount"] == len(names)


async def test_filters_checks_by_cluster_id(gql: Any, session_factory: SessionFactory) -> None:
    fleet = await seed_fleet(session_factory, checks=9, runs_per_check=0)
    cluster = fleet["clusters"][1]
    data = await gql(CHECKS_PAGE, {"filter": {"clusterId": str(cluster.id)}, "first": 500})
    names = sorted(edge["node"]["name"] for edge in data["checks"]["edges"])
    assert names == sorted(f"check-{i:04d}" for i in range(9) if 1 in (i % 3, (i + 1) % 3))


async def test_pages_through_runs_newest_first(gql: Any, session_factory: SessionFactory) -> None:
    fleet = await seed_fleet(session_factory, checks=7, runs_per_check=3)
    pages = await collect_pages(gql, RUNS_PAGE, "runs", first=4)

    seen = [node["id"] for page in pages for node in page]
    assert [len(page) for page in pages] == [4, 4, 4, 4, 4, 1]
    expected = sorted(fleet["runs"], key=lambda r: (r.scheduled_at, r.id), reverse=True)
    assert seen == [str(run.id) for run in expected]


async def test_filters_runs(gql: Any, session_factory: SessionFactory) -> None:
    fleet = await seed_fleet(session_factory, checks=4, runs_per_check=3)
    check, cluster = fleet["checks"][0], fleet["clusters"][1]

    async def ids(filter_: dict[str, Any]) -> set[str]:
        data = (await gql(RUNS_PAGE, {"filter": filter_, "first": 500}))["runs"]
        assert data["totalCount"] == len(data["edges"])
        return {edge["node"]["id"] for edge in data["edges"]}

    def expect(predicate: Any) -> set[str]:
        return {str(run.id) for run in fleet["runs"] if predicate(run)}

    assert await ids({"checkId": str(check.id)}) == expect(lambda r: r.check_id == check.id)
    assert await ids({"clusterId": str(cluster.id)}) == expect(lambda r: r.cluster_id == cluster.id)
    assert await ids({"status": ["FAILED"]}) == expect(lambda r: r.status == "failed")
    assert await ids({"status": ["FAILED", "SUCCEEDED"]}) == expect(lambda r: True)
    assert await ids({"trigger": "MANUAL"}) == expect(lambda r: r.trigger == "manual")
    since, until = "2024-05-01T12:01:00+00:00", "2024-05-01T12:02:00Z"
    assert await ids({"since": since}) == expect(
        lambda r: r.scheduled_at >= EPOCH.replace(minute=1)
    )
    assert await ids({"since": since, "until": until}) == expect(
        lambda r: r.scheduled_at == EPOCH.replace(minute=1)
    )
    assert await ids({"checkId": str(check.id), "status": ["SUCCEEDED"]}) == expect(
        lambda r: r.check_id == check.id and r.status == "succeeded"
    )


async def test_fetches_a_run_with_its_logs_events_and_duration(
    gql: Any, session_factory: SessionFactory
) -> None:
    fleet = await seed_fleet(session_factory, checks=1, runs_per_check=1)
    run = fleet["runs"][0]
    await seed_run_details(session_factory, run.id)
    query = """
    query($id: ID!) {
      run(id: $id) {
        id status trigger ok errors failureReason checkVersion duration durationSeconds
        check { name } cluster { name }
        logs { container content truncated capturedAt }
        events { type reason message count source firstSeen lastSeen }
      }
    }
    """
    data = (await gql(query, {"id": str(run.id)}))["run"]
    assert data["status"] == "SUCCEEDED" and data["trigger"] == "SCHEDULE"
    assert data["duration"] == "22.5s" and data["durationSeconds"] == 22.5
    assert data["check"] == {"name": "check-0000"}
    assert data["cluster"] == {"name": "cluster-0"}
    assert [log["content"] for log in data["logs"]] == ["pinging...\nok\n"]
    assert [event["reason"] for event in data["events"]] == ["Pulled", "Started"]


async def test_a_check_exposes_its_latest_run(gql: Any, session_factory: SessionFactory) -> None:
    fleet = await seed_fleet(session_factory, checks=2, runs_per_check=3)
    check = fleet["checks"][0]
    data = await gql(
        "query($id: ID!) { check(id: $id) { latestRun { id scheduledAt } } }", {"id": str(check.id)}
    )
    latest = max((r for r in fleet["runs"] if r.check_id == check.id), key=lambda r: r.scheduled_at)
    assert data["check"]["latestRun"]["id"] == str(latest.id)


async def test_an_unknown_run_is_null(gql: Any) -> None:
    data = await gql('query { run(id: "00000000-0000-0000-0000-000000000003") { id } }')
    assert data == {"run": None}


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": 501}, "first"),
        ({"first": -1}, "first"),
        ({"after": "garbage"}, "after"),
        ({"after": "WyJydW4iLCIyMDI0LTA1LTAxIiwieCJd"}, "after"),
        ({"filter": {"clusterId": "nope"}}, "filter.clusterId"),
        ({"filter": {"labels": {"tier": 1}}}, "filter.labels"),
    ],
)
async def test_rejects_bad_page_arguments(
    execute: Any, variables: dict[str, Any], field: str
) -> None:
    result = await execute(CHECKS_PAGE, variables)
    assert error_codes(result) == [("BAD_USER_INPUT", field)]


async def test_rejects_a_check_cursor_for_runs(
    gql: Any, execute: Any, session_factory: SessionFactory
) -> None:
    await seed_fleet(session_factory, checks=2, runs_per_check=0)
    cursor = (await gql(CHECKS_PAGE, {"first": 1}))["checks"]["pageInfo"]["endCursor"]
    result = await execute(RUNS_PAGE, {"after": cursor})
    assert error_codes(result) == [("BAD_USER_INPUT", "after")]


async def test_rejects_a_time_range_without_offset(execute: Any) -> None:
    result = await execute(RUNS_PAGE, {"filter": {"since": "2024-05-01T12:00:00"}})
    assert error_codes(result) == [("BAD_USER_INPUT", "filter.since")]
