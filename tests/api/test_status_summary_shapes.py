"""The summary's per-cluster objects are built only for operations that select them, and they
come out the same however the operation selects them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from app.db import SessionFactory
from app.models.columns import utcnow
from tests.api.seeding import seed_dashboard

Gql = Callable[..., Awaitable[dict[str, Any]]]

CLUSTER = "clusterName status runs24h uptime24h"
SELECTIONS = [
    f"{{ statusSummary {{ checks {{ name clusters {{ {CLUSTER} }} }} }} }}",
    f"{{ statusSummary {{ checks {{ name clusters: clusters {{ {CLUSTER} }} }} }} }}",
    f"{{ s: statusSummary {{ c: checks {{ name k: clusters {{ {CLUSTER} }} }} }} }}",
    "query { statusSummary { ...Summary } }"
    " fragment Summary on StatusSummary { checks { name ...Check } }"
    f" fragment Check on CheckStatusSummary {{ clusters {{ {CLUSTER} }} }}",
    "{ statusSummary { ... on StatusSummary { checks { name"
    f" ... {{ clusters {{ {CLUSTER} }} }} }} }} }} }}",
    "query($with: Boolean!) { statusSummary { checks { name"
    f" clusters @include(if: $with) {{ {CLUSTER} }} }} }} }}",
]


@pytest.fixture
async def dashboard(session_factory: SessionFactory) -> None:
    await seed_dashboard(session_factory, checks=3, clusters=2, now=utcnow())


def _checks(data: dict[str, Any]) -> list[dict[str, Any]]:
    (summary,) = data.values()
    (checks,) = summary.values()
    return [{"name": check.pop("name"), "clusters": check.popitem()[1]} for check in checks]


@pytest.mark.parametrize("selection", SELECTIONS)
async def test_clusters_come_out_however_they_are_selected(
    gql: Gql, dashboard: None, selection: str
) -> None:
    checks = _checks(await gql(selection, {"with": True}))
    assert [check["name"] for check in checks] == ["check-00000", "check-00001", "check-00002"]
    assert all(
        check["clusters"]
        == [
            {"clusterName": f"dash-{n}", "status": "PASSING", "runs24h": 9, "uptime24h": 8 / 9}
            for n in range(2)
        ]
        for check in checks
    )


async def test_a_grid_and_skipped_clusters_leave_the_clusters_out(
    gql: Gql, dashboard: None
) -> None:
    grid = await gql("{ statusSummary { checks { name statuses } } }")
    skipped = await gql(SELECTIONS[-1], {"with": False})
    assert grid["statusSummary"]["checks"][0] == {
        "name": "check-00000",
        "statuses": ["PASSING", "PASSING"],
    }
    assert skipped["statusSummary"]["checks"][0] == {"name": "check-00000"}
