"""Two local clusters, one check chosen by a label selector: it runs in both; cluster B made
unreachable (every API request fails) or slow leaves A's runs on time, shows in B's health and
ends B's runs in `error` with a reason; B back, it resumes."""

from __future__ import annotations

import statistics
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from app.localcluster.server import LocalCluster
from app.models import Event, EventKind, Run, RunStatus
from app.models.columns import utcnow
from tests.e2e.checkers import REPORT_TO_INJECTED_URL, python_script
from tests.fixtures.stack import PatrolStack, eventually, graphql, patrol_settings

FLEET_SETTINGS = {
    "cluster_probe_interval_seconds": 0.5,
    "cluster_probe_timeout_seconds": 2,
    "cluster_lease_seconds": 3,
}
# A run of A scheduled while B is down must start within this long of its due time.
LAG_BOUND = timedelta(seconds=1.5)
# ... and be finalized within this long of its decision (FINALIZE_DELAY is 1 s of it).
FINALIZE_BOUND = timedelta(seconds=5)
INTERVAL_SECONDS = 3


async def join_cluster_b(stack: PatrolStack, **fields: Any) -> tuple[LocalCluster, str]:
    """A second local cluster, registered through the API as an operator would."""
    b = LocalCluster()
    await b.start()
    stack.exit_stack.push_async_callback(b.stop)
    created = await graphql(
        stack,
        "mutation($i: CreateClusterInput!) { createCluster(input: $i) { id } }",
        i={
            "name": "b",
            "connectionKind": "TOKEN",
            "apiUrl": b.url,
            "token": b.token,
            "labels": {"env": "prod"},
            **fields,
        },
    )
    assert "errors" not in created, created
    return b, created["data"]["createCluster"]["id"]


async def label_cluster_a(stack: PatrolStack) -> None:
    answer = await graphql(
        stack,
        "mutation($i: UpdateClusterInput!) { updateCluster(input: $i) { id } }",
        i={"id": str(stack.cluster.id), "labels": {"env": "prod", "patrol.dev/local": "true"}},
    )
    assert "errors" not in answer, answer


async def create_selecting_check(stack: PatrolStack) -> str:
    created = await graphql(
        stack,
        "mutation($i: CreateCheckInput!) { createCheck(input: $i) { id clusters { name } } }",
        i={
            "name": "everywhere",
            "namespace": "default",
            "runInterval": f"{INTERVAL_SECONDS}s",
            "timeout": f"{INTERVAL_SECONDS}s",
            "clusterSelector": "env=prod",
            "podSpec": python_script(REPORT_TO_INJECTED_URL),
        },
    )
    assert "errors" not in created, created
    assert [c["name"] for c in created["data"]["createCheck"]["clusters"]] == ["b", "local"]
    check_id: str = created["data"]["createCheck"]["id"]
    return check_id


async def runs_in(stack: PatrolStack, cluster_id: str, since: datetime) -> list[Run]:
    async with stack.runtime.session_factory() as session:
        rows = await session.exec(
            select(Run)
            .where(col(Run.cluster_id) == uuid.UUID(cluster_id), col(Run.scheduled_at) >= since)
            .order_by(col(Run.scheduled_at))
        )
        return list(rows.all())


async def health_of(stack: PatrolStack, name: str) -> dict[str, Any]:
    answer = await graphql(
        stack,
        "query($n: String!) { cluster(name: $n) { health { status serverVersion lastError "
        "lastContactAt consecutiveFailures } } }",
        n=name,
    )
    health: dict[str, Any] = answer["data"]["cluster"]["health"]
    return health


def stages(runs: list[Run]) -> list[tuple[float, float]]:
    """(created - scheduled, started - created) of each run: claim lag, then launch lag."""
    return [
        (
            (run.created_at - run.scheduled_at).total_seconds(),
            ((run.started_at or run.created_at) - run.created_at).total_seconds(),
        )
        for run in runs
    ]


def lags(runs: list[Run]) -> list[float]:
    return [
        (run.started_at - run.scheduled_at).total_seconds()
        for run in runs
        if run.started_at is not None
    ]


async def finalize_lags(stack: PatrolStack, runs: list[Run]) -> list[float]:
    """Seconds from each run's decision to its finalization (logs kept, pod deleted)."""

    async def finalized() -> list[Run] | None:
        fresh = [await stack.run(run.id) for run in runs]
        done = [run for run in fresh if run is not None and run.finalized_at is not None]
        return done if len(done) == len(runs) else None

    done = await eventually(finalized, timeout=30)
    return [
        (run.finalized_at - run.finished_at).total_seconds()
        for run in done
        if run.finalized_at is not None and run.finished_at is not None
    ]


async def on_time_runs_in_a(stack: PatrolStack, since: datetime, count: int) -> list[Run]:
    local = str(stack.cluster.id)

    async def decided() -> list[Run] | None:
        runs = [run for run in await runs_in(stack, local, since) if run.status.is_terminal]
        return runs[:count] if len(runs) >= count else None

    return await eventually(decided, timeout=INTERVAL_SECONDS * (count + 4))


@patrol_settings(**FLEET_SETTINGS)
async def test_an_unreachable_cluster_delays_nothing_elsewhere_shows_in_its_health_and_resumes(
    api_stack: PatrolStack,
) -> None:
    await label_cluster_a(api_stack)
    b, b_id = await join_cluster_b(api_stack)
    await api_stack.start_worker()
    await create_selecting_check(api_stack)
    started = utcnow()

    async def both_succeeded() -> bool:
        ok = [
            [run for run in await runs_in(api_stack, cluster, started) if run.status.is_terminal]
            for cluster in (str(api_stack.cluster.id), b_id)
        ]
        return all(any(run.status is RunStatus.SUCCEEDED for run in runs) for runs in ok)

    await eventually(both_succeeded, timeout=30)
    healthy = await eventually(lambda: _health_with(api_stack, "b", "REACHABLE"), timeout=10)
    assert healthy["serverVersion"]

    b.faults.fail_requests(count=10**6, status=503)
    b.drop_watches()
    broken = utcnow()
    health = await eventually(lambda: _health_with(api_stack, "b", "UNREACHABLE"), timeout=10)
    assert "503" in health["lastError"]

    async def errored_in_b() -> Run | None:
        runs = await runs_in(api_stack, b_id, broken + timedelta(seconds=0.5))
        return next((run for run in runs if run.status is RunStatus.ERROR), None)

    failed = await eventually(errored_in_b, timeout=INTERVAL_SECONDS * 5)
    assert failed.failure_reason is not None and failed.failure_reason.value == "launch_failed"
    assert any("503" in error for error in failed.errors), failed.errors
    during = await on_time_runs_in_a(api_stack, broken, 3)
    measured = lags(during)
    print(f"A's launch lag while B is down: {_figures(measured)} stages={stages(during)}")
    assert all(run.status is RunStatus.SUCCEEDED for run in during), [r.errors for r in during]
    assert max(measured) < LAG_BOUND.total_seconds(), measured
    finalizing = await finalize_lags(api_stack, during)
    print(f"A's decision-to-finalized while B is down: {_figures(finalizing)}")
    assert max(finalizing) < FINALIZE_BOUND.total_seconds(), finalizing

    async with api_stack.runtime.session_factory() as session:
        flips = (
            await session.exec(select(Event).where(Event.kind == EventKind.CLUSTER_HEALTH_CHANGED))
        ).all()
    assert [(str(e.cluster_id), e.payload["to"]) for e in flips if e.payload["from"] != "unknown"][
        :1
    ] == [(b_id, "unreachable")]
    assert all(e.check_id is None for e in flips)

    b.faults.clear()
    restored = utcnow()
    await eventually(lambda: _health_with(api_stack, "b", "REACHABLE"), timeout=10)

    async def succeeded_in_b() -> Run | None:
        runs = await runs_in(api_stack, b_id, restored)
        return next((run for run in runs if run.status is RunStatus.SUCCEEDED), None)

    await eventually(succeeded_in_b, timeout=INTERVAL_SECONDS * 6)
    fleet = await graphql(
        api_stack, "{ fleet { clusters reachableClusters unreachableClusters checks } }"
    )
    assert fleet["data"]["fleet"] == {
        "clusters": 2,
        "reachableClusters": 2,
        "unreachableClusters": 0,
        "checks": 1,
    }


@patrol_settings(**FLEET_SETTINGS)
async def test_a_slow_cluster_leaves_the_other_clusters_runs_on_time(
    api_stack: PatrolStack,
) -> None:
    await label_cluster_a(api_stack)
    b, _ = await join_cluster_b(api_stack)
    await api_stack.start_worker()
    await create_selecting_check(api_stack)
    started = utcnow()
    await on_time_runs_in_a(api_stack, started, 1)

    # Every API request to B now waits 4 s: longer than a run's whole timeout.
    b.faults.delay_requests(seconds=4, count=10**6)
    b.drop_watches()
    slowed = utcnow()
    during = await on_time_runs_in_a(api_stack, slowed, 3)
    measured = lags(during)
    print(f"A's launch lag while B is slow: {_figures(measured)}")
    assert all(run.status is RunStatus.SUCCEEDED for run in during), [r.errors for r in during]
    assert max(measured) < LAG_BOUND.total_seconds(), measured
    finalizing = await finalize_lags(api_stack, during)
    print(f"A's decision-to-finalized while B is slow: {_figures(finalizing)}")
    assert max(finalizing) < FINALIZE_BOUND.total_seconds(), finalizing
    health = await eventually(lambda: _health_with(api_stack, "b", "UNREACHABLE"), timeout=15)
    assert "no answer within" in health["lastError"] or "timed out" in health["lastError"].lower()
    b.faults.clear()


async def _health_with(stack: PatrolStack, name: str, status: str) -> dict[str, Any] | None:
    health = await health_of(stack, name)
    return health if health["status"] == status else None


def _figures(values: list[float]) -> str:
    return (
        f"n={len(values)} median={statistics.median(values):.3f}s max={max(values):.3f}s "
        f"values={[round(value, 3) for value in values]}"
    )


async def test_registering_an_unreachable_cluster_answers_with_a_clear_warning_in_its_health(
    api_stack: PatrolStack,
) -> None:
    answer = await graphql(
        api_stack,
        "mutation($i: CreateClusterInput!) { createCluster(input: $i) { "
        "health { status lastError serverVersion } } }",
        i={
            "name": "nowhere",
            "connectionKind": "TOKEN",
            "apiUrl": "https://127.0.0.1:9",
            "token": "t",
        },
    )

    health = answer["data"]["createCluster"]["health"]
    assert health["status"] == "UNREACHABLE"
    assert "Connection refused" in health["lastError"] or "refused" in health["lastError"].lower()
