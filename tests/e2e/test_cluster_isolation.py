"""One cluster whose credentials cannot be loaded stops nothing but its own watch: it is retried
with backoff (logged once per pause), and every other cluster's runs and repairs go on."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx

from app.domain.manifest import MANAGED_BY, MANAGED_BY_LABEL, RUN_ID_LABEL
from app.keyring import Keyring, generate_key
from app.models import Cluster, ConnectionKind, RunStatus
from app.supervision import FIRST_BACKOFF_SECONDS
from tests.e2e.checkers import REPORT_TO_INJECTED_URL, python_script
from tests.e2e.invariants import assert_history_consistent
from tests.fixtures.logs import LogFile
from tests.fixtures.stack import PatrolStack, eventually, patrol_settings
from workers.jobs import reconcile

LOOP_FAILED = "loop failed; restarting it after a pause"


async def add_cluster_with_unreadable_credentials(stack: PatrolStack, name: str) -> None:
    """A cluster whose kubeconfig was encrypted under a key this Patrol no longer has (a rotation
    that dropped the old key too early, say)."""
    retired = Keyring(generate_key())
    async with stack.runtime.session_factory() as session:
        session.add(
            Cluster(
                name=name,
                connection_kind=ConnectionKind.KUBECONFIG,
                kubeconfig_encrypted=retired.encrypt("apiVersion: v1\nkind: Config\n"),
            )
        )
        await session.commit()


@patrol_settings(loop_max_backoff_seconds=4, loop_stale_after_seconds=5)
async def test_a_cluster_with_broken_credentials_is_retried_with_backoff_while_another_runs_on_time(
    api_stack: PatrolStack, json_logs: LogFile
) -> None:
    await add_cluster_with_unreadable_credentials(api_stack, "a-broken")
    await api_stack.start_worker(in_api_process=True)
    check = await api_stack.add_check(
        "steady", python_script(REPORT_TO_INJECTED_URL), run_interval="3s", timeout="3s"
    )

    runs = await api_stack.finalized_runs(check.id, 3, timeout=60)

    assert [run.status for run in runs] == [RunStatus.SUCCEEDED] * 3, [run.errors for run in runs]
    for run in runs[1:]:  # the first one's launch also waited for the worker's start
        assert run.started_at is not None
        assert run.started_at - run.scheduled_at < timedelta(seconds=2)
    failures = json_logs.records(LOOP_FAILED, loop="watch:a-broken")
    assert len(failures) >= 3
    assert all(record["cluster"] == "a-broken" for record in failures)
    assert all(record["error"].startswith("ClusterConfigError: ") for record in failures)
    times = [datetime.fromisoformat(record["timestamp"]) for record in failures]
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
    for number, gap in enumerate(gaps):
        pause = min(4.0, FIRST_BACKOFF_SECONDS * 2**number)
        assert gap >= pause * 0.9, gaps
    assert json_logs.records(LOOP_FAILED, loop="watch:local") == []

    async def degraded() -> dict[str, Any] | None:
        async with httpx.AsyncClient(base_url=api_stack.api_url, timeout=10) as client:
            response = await client.get("/readyz")
        body: dict[str, Any] = response.json()
        return body if body["degraded"] else None

    body = await eventually(degraded, timeout=20)
    assert [problem["name"] for problem in body["degraded"]] == ["loop:watch:a-broken"]
    assert body["degraded"][0]["reason"].startswith("failing: ClusterConfigError: ")
    # One bad cluster is no reason to take the process out of service for the others.
    assert body["status"] == "ready"
    await assert_history_consistent(api_stack)


async def test_the_reconciler_reaps_in_good_clusters_past_one_whose_credentials_fail(
    api_stack: PatrolStack, json_logs: LogFile
) -> None:
    await add_cluster_with_unreadable_credentials(api_stack, "a-broken")
    client = api_stack.runtime.kube.client(api_stack.cluster)
    orphan = f"orphan-{uuid.uuid4().hex[:8]}"
    await client.create_pod(
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": orphan,
                "labels": {MANAGED_BY_LABEL: MANAGED_BY, RUN_ID_LABEL: str(uuid.uuid4())},
            },
            "spec": {
                "restartPolicy": "Never",
                "containers": [
                    {"name": "c", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 60"]}
                ],
            },
        },
    )

    counts = await reconcile({"runtime": api_stack.runtime})

    assert counts == {"relaunch": 0, "reaped": 1, "failed": 1}
    (failure,) = json_logs.records("reaping pods failed")
    assert failure["cluster"] == "a-broken"

    async def gone() -> bool:
        return await client.get_pod("default", orphan) is None

    await eventually(gone, timeout=15)
