"""`/json`, `/` for JSON clients, and `/metrics` over real HTTP, field by field against golden
examples, from checks and runs as Patrol stores them."""

from __future__ import annotations

import socket
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlmodel import select

from app.models import Check, CheckCluster, CheckStatus, Run, RunStatus, RunTrigger
from app.models.columns import utcnow
from app.services.run_state import DecidedRun, RunFacts, announce
from tests.fixtures.access import bearer
from tests.fixtures.stack import PatrolStack, patrol_settings

POD_SPEC = {"containers": [{"name": "c", "image": "busybox:1.36"}]}
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


async def seed(stack: PatrolStack) -> dict[str, Any]:
    """A passing check, a failing one in another namespace, and a job that never ran."""
    now = utcnow().replace(microsecond=0)
    ids = {name: uuid.uuid4() for name in ("http", "dns", "job", "run-http", "run-dns")}
    cluster = stack.cluster.id
    async with stack.runtime.session_factory.begin() as session:
        for key, name, namespace, interval in (
            ("http", "http", "kuberhealthy", 60.0),
            ("dns", "dns", "platform", 60.0),
            ("job", "kh-test-job", "default", None),
        ):
            session.add(
                Check(
                    id=ids[key],
                    name=name,
                    namespace=namespace,
                    pod_spec=POD_SPEC,
                    timeout_seconds=30,
                    run_interval_seconds=interval,
                )
            )
        await session.flush()
        for key in ("http", "dns", "job"):
            session.add(CheckCluster(check_id=ids[key], cluster_id=cluster))
        for run_key, check_key, status, errors in (
            ("run-http", "http", RunStatus.SUCCEEDED, []),
            ("run-dns", "dns", RunStatus.FAILED, ['lookup "db" failed']),
        ):
            session.add(
                Run(
                    id=ids[run_key],
                    check_id=ids[check_key],
                    cluster_id=cluster,
                    check_version=1,
                    trigger=RunTrigger.SCHEDULE,
                    status=status,
                    ok=status is RunStatus.SUCCEEDED,
                    errors=errors,
                    scheduled_at=now - timedelta(seconds=10),
                    started_at=now - timedelta(seconds=10),
                    finished_at=now - timedelta(seconds=7, microseconds=500000),
                    node_name="local-node",
                )
            )
        await session.flush()
        for check_key, run_key, status, failures in (
            ("http", "run-http", RunStatus.SUCCEEDED, 0),
            ("dns", "run-dns", RunStatus.FAILED, 2),
            ("job", None, None, 0),
        ):
            session.add(
                CheckStatus(
                    check_id=ids[check_key],
                    cluster_id=cluster,
                    status="passing" if failures == 0 else "failing",
                    since=now,
                    consecutive_failures=failures,
                    last_success_at=now - timedelta(seconds=7, microseconds=500000)
                    if check_key == "http"
                    else None,
                    last_run_id=ids[run_key] if run_key else None,
                    last_run_status=status,
                    last_run_started_at=now - timedelta(seconds=10) if run_key else None,
                )
            )
    return {"ids": ids, "now": now}


def details(
    now: Any, run_id: uuid.UUID, ok: bool, errors: list[str], namespace: str
) -> dict[str, Any]:
    return {
        "OK": ok,
        "Errors": errors,
        "RunDuration": "2.5s",
        "Namespace": namespace,
        "Node": "local-node",
        "LastRun": (now - timedelta(seconds=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "AuthoritativePod": socket.gethostname(),
        "uuid": str(run_id),
    }


async def get(stack: PatrolStack, path: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=10) as client:
        return await client.get(path, headers=headers)


async def test_the_status_json_matches_kuberhealthys_and_filters_by_namespace(
    api_stack: PatrolStack,
) -> None:
    seeded = await seed(api_stack)
    ids, now = seeded["ids"], seeded["now"]
    token = bearer(api_stack.admin_token)

    response = await get(api_stack, "/json", **token)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "OK": False,
        "Errors": ['lookup "db" failed'],
        "CheckDetails": {
            "kuberhealthy/http": details(now, ids["run-http"], True, [], "kuberhealthy"),
            "platform/dns": details(now, ids["run-dns"], False, ['lookup "db" failed'], "platform"),
        },
        "JobDetails": {
            "default/kh-test-job": {
                "OK": True,
                "Errors": [],
                "RunDuration": "",
                "Namespace": "default",
                "Node": "",
                "LastRun": "0001-01-01T00:00:00Z",
                "AuthoritativePod": socket.gethostname(),
                "uuid": "",
            }
        },
        "CurrentMaster": socket.gethostname(),
        "Metadata": {},
    }

    filtered = (await get(api_stack, "/json?namespace=kuberhealthy,default", **token)).json()
    assert filtered["OK"] is True and filtered["Errors"] == []
    assert list(filtered["CheckDetails"]) == ["kuberhealthy/http"]
    assert list(filtered["JobDetails"]) == ["default/kh-test-job"]

    one_cluster = await get(api_stack, "/json?cluster=local", **token)
    assert one_cluster.json() == response.json()
    unknown = (await get(api_stack, "/json?cluster=elsewhere", **token)).json()
    assert (unknown["OK"], unknown["CheckDetails"], unknown["JobDetails"]) == (True, {}, {})

    root = await get(api_stack, "/", accept="application/json", **token)
    assert root.status_code == 200 and root.json() == response.json()
    browser = await get(api_stack, "/", accept="text/html")
    assert browser.status_code == 200 and browser.headers["content-type"].startswith("text/html")


async def test_the_status_needs_a_token(api_stack: PatrolStack) -> None:
    await seed(api_stack)
    anonymous = await get(api_stack, "/json")
    assert anonymous.status_code == 401 and "token" in anonymous.json()["error"]
    bad = await get(api_stack, "/json", authorization="Bearer patrol_nope")
    assert bad.status_code == 401

    metrics = await get(api_stack, "/metrics")
    assert metrics.status_code == 200
    assert "kuberhealthy_check{" not in metrics.text
    assert metrics.text.startswith("# Kuberhealthy check series withheld")
    assert "patrol_loop_up" in metrics.text or "patrol_runs_decided_total" in metrics.text


@patrol_settings(anonymous_read=True)
async def test_anonymous_read_opens_the_status_as_kuberhealthys_was(
    api_stack: PatrolStack,
) -> None:
    await seed(api_stack)
    assert (await get(api_stack, "/json")).status_code == 200
    assert "kuberhealthy_check{" in (await get(api_stack, "/metrics")).text


async def test_metrics_carry_kuberhealthys_series_with_the_cluster_and_patrols_own(
    api_stack: PatrolStack,
) -> None:
    seeded = await seed(api_stack)
    async with api_stack.runtime.session_factory() as session:
        run = (await session.exec(select(Run).where(Run.id == seeded["ids"]["run-dns"]))).one()
    # What a worker does once the deciding transaction commits.
    announce(
        [
            DecidedRun(
                facts=RunFacts(
                    run_id=run.id,
                    check_id=run.check_id,
                    cluster_id=run.cluster_id,
                    status=run.status,
                    trigger=run.trigger,
                    scheduled_at=run.scheduled_at,
                    started_at=run.started_at,
                    finished_at=run.finished_at,
                    failure_reason=None,
                    errors=tuple(run.errors),
                ),
                check="platform/dns",
                cluster="local",
            )
        ]
    )

    response = await get(api_stack, "/metrics", **bearer(api_stack.admin_token))

    assert response.status_code == 200
    assert response.headers["content-type"] == METRICS_CONTENT_TYPE
    lines = response.text.splitlines()
    master = socket.gethostname()
    for expected in (
        f'kuberhealthy_running{{current_master="{master}"}} 1',
        'kuberhealthy_cluster_state{cluster="local"} 0',
        'kuberhealthy_check{check="kuberhealthy/http",namespace="kuberhealthy",status="1",error="",cluster="local"} 1',
        'kuberhealthy_check{check="platform/dns",namespace="platform",status="0",error="lookup \'db\' failed",cluster="local"} 0',
        'kuberhealthy_check_duration_seconds{check="kuberhealthy/http",namespace="kuberhealthy",cluster="local"} 2.500000',
        'kuberhealthy_job{check="default/kh-test-job",namespace="default",status="1",error="",cluster="local"} 1',
        'kuberhealthy_job_duration_seconds{check="default/kh-test-job",namespace="default",cluster="local"} 0.000000',
        'kuberhealthy_check_consecutive_failures{check="platform/dns",namespace="platform",cluster="local"} 2',
        'kuberhealthy_check_failure_total{check="platform/dns",cluster="local",namespace="platform"} 1.0',
        'kuberhealthy_check_run_duration_seconds_bucket{check="platform/dns",cluster="local",le="5.0",namespace="platform"} 1.0',
    ):
        assert expected in lines, expected
    # No worker runs here: the start-up housekeeping job waits in the queue.
    assert "patrol_queue_depth 1.0" in lines
    since_success = [
        line for line in lines if line.startswith("kuberhealthy_check_seconds_since_success{")
    ]
    assert len(since_success) == 1 and 'check="kuberhealthy/http"' in since_success[0]
    for family in (
        "patrol_scheduler_lag_seconds",
        "patrol_report_latency_seconds",
        "patrol_runs_decided_total",
        "patrol_pods_reaped_total",
    ):
        assert f"# TYPE {family} " in response.text, family
