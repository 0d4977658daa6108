from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.limits import OperationLimits
from app.db import SessionFactory
from app.domain.access import Role
from app.models.columns import utcnow
from tests.api.builders import error_codes
from tests.api.conftest import ExecuteAs
from tests.api.seeding import seed_dashboard, seed_fleet
from tests.fixtures.statements import counting_statements

PAGE_WITH_RELATIONS = """
query($first: Int) {
  checks(first: $first) {
    edges {
      node {
        id name
        clusters { id name hasCredentials }
        latestRun {
          id status duration cluster { name } check { name } logs { content } events { reason }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_a_page_of_500_checks_costs_a_constant_number_of_queries(
    execute_as: ExecuteAs, engine: AsyncEngine, session_factory: SessionFactory
) -> None:
    await seed_fleet(session_factory, checks=500, clusters=4, runs_per_check=2)
    # 500 checks with their latest run's logs are over the default budget; an operator may
    # raise it (PATROL_GRAPHQL_MAX_COST).
    within_defaults = await execute_as(Role.VIEWER)
    refused = await within_defaults(PAGE_WITH_RELATIONS, {"first": 500})
    assert error_codes(refused) == [("QUERY_TOO_COMPLEX", None)]
    execute = await execute_as(Role.VIEWER, OperationLimits(max_cost=100_000))

    async def gql(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        result = await execute(query, variables)
        assert result.errors is None and result.data is not None
        return result.data

    with counting_statements(engine) as small:
        small_page = await gql(PAGE_WITH_RELATIONS, {"first": 50})
    with counting_statements(engine) as large:
        large_page = await gql(PAGE_WITH_RELATIONS, {"first": 500})

    assert len(small_page["checks"]["edges"]) == 50
    edges = large_page["checks"]["edges"]
    assert len(edges) == 500
    assert all(len(edge["node"]["clusters"]) == 2 for edge in edges)
    assert all(edge["node"]["latestRun"]["cluster"]["name"] for edge in edges)
    # page, clusters of checks, latest runs, then each run's cluster, check, logs and events
    assert len(large) == len(small) == 7, large


STATUS_SUMMARY = """
query($filter: CheckFilterInput) {
  statusSummary(filter: $filter) {
    from to
    checks { checkId namespace name enabled runs24h uptime24h
      clusters { clusterId clusterName status since consecutiveFailures runs24h uptime24h } }
  }
}
"""


async def test_the_status_summary_of_a_thousand_checks_costs_one_query(
    execute_as: ExecuteAs, engine: AsyncEngine, session_factory: SessionFactory
) -> None:
    await seed_dashboard(session_factory, checks=1_000, clusters=3, now=utcnow())
    execute = await execute_as(Role.VIEWER)

    with counting_statements(engine) as everything:
        result = await execute(STATUS_SUMMARY)
    with counting_statements(engine) as filtered:
        some = await execute(STATUS_SUMMARY, {"filter": {"search": "check-0000"}})

    assert result.errors is None and result.data is not None
    checks = result.data["statusSummary"]["checks"]
    assert len(checks) == 1_000
    assert all(len(check["clusters"]) == 3 for check in checks)
    assert {(check["runs24h"], round(check["uptime24h"], 4)) for check in checks} == {(27, 0.8889)}
    assert some.errors is None and some.data is not None
    assert len(some.data["statusSummary"]["checks"]) == 10
    # checks with their statuses, clusters and 24 h rollups, joined
    assert len(everything) == len(filtered) == 1, everything


UPTIME_PAGE = """
query($first: Int) {
  checks(first: $first) { nodes { name uptime(window: D7) { overall { runs uptime } } } }
}
"""


async def test_uptime_on_a_page_of_checks_costs_a_constant_number_of_queries(
    execute_as: ExecuteAs, engine: AsyncEngine, session_factory: SessionFactory
) -> None:
    await seed_dashboard(session_factory, checks=500, clusters=3, now=utcnow())
    execute = await execute_as(Role.VIEWER, OperationLimits(max_cost=100_000))

    with counting_statements(engine) as small:
        small_page = await execute(UPTIME_PAGE, {"first": 50})
    with counting_statements(engine) as large:
        large_page = await execute(UPTIME_PAGE, {"first": 500})

    assert small_page.errors is None and large_page.errors is None
    assert large_page.data is not None
    nodes = large_page.data["checks"]["nodes"]
    assert {
        (node["uptime"]["overall"]["runs"], node["uptime"]["overall"]["uptime"]) for node in nodes
    } == {(27, 8 / 9)}
    # the page, then the counters and the histogram bins of every check's week at once
    assert len(large) == len(small) == 3, large
