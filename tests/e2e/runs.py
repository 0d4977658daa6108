"""Runs placed in the database as a launch would leave them, and the URL their pod would get."""

from __future__ import annotations

from datetime import timedelta

from app.domain.manifest import reporting_url
from app.models import Run, RunStatus, RunTrigger
from app.models.columns import utcnow
from app.services.report_identity import report_secret
from tests.fixtures.stack import PatrolStack, shell_checker

POD_IP = "127.42.200.1"


async def running_run(
    stack: PatrolStack, name: str, *, deadline_in: float = 60, pod_ip: str = POD_IP
) -> Run:
    check = await stack.add_check(name, shell_checker("exit 0"))
    now = utcnow()
    run = Run(
        check_id=check.id,
        cluster_id=stack.cluster.id,
        check_version=1,
        trigger=RunTrigger.API,
        status=RunStatus.RUNNING,
        scheduled_at=now,
        started_at=now,
        deadline_at=now + timedelta(seconds=deadline_in),
        pod_name=f"{name}-pod",
        pod_namespace="default",
        pod_ip=pod_ip,
    )
    async with stack.runtime.session_factory() as session:
        session.add(run)
        await session.commit()
        await session.refresh(run)
    return run


def reporting_url_of(stack: PatrolStack, run: Run) -> str:
    """KH_REPORTING_URL as the run's pod receives it."""
    return reporting_url(stack.api_url, run.id, report_secret(stack.runtime.keyring, run.id))


async def status_of(stack: PatrolStack, run: Run) -> RunStatus:
    found = await stack.run(run.id)
    assert found is not None
    return found.status
