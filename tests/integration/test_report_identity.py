"""The pod-IP fallback against a real database: only one undecided run may own an address."""

import uuid
from datetime import timedelta

from app.db import SessionFactory
from app.domain.report_identity import IpFallback, ReportClaims, Unidentified
from app.keyring import Keyring, generate_key
from app.models import Check, Cluster, ConnectionKind, Run, RunStatus, RunTrigger
from app.models.columns import utcnow
from app.services.report_identity import identify_report

KEYRING = Keyring(generate_key())


async def runs_with_pod_ips(
    session_factory: SessionFactory, *placed: tuple[str, RunStatus]
) -> list[uuid.UUID]:
    now = utcnow()
    cluster = Cluster(name="c", connection_kind=ConnectionKind.LOCAL, api_url="http://127.0.0.1:9")
    checks = [
        Check(
            name=f"check-{n}",
            namespace="default",
            pod_spec={"containers": [{"name": "c", "image": "x"}]},
            timeout_seconds=60,
        )
        for n in range(len(placed))
    ]
    runs = [
        Run(
            check_id=check.id,
            cluster_id=cluster.id,
            check_version=1,
            trigger=RunTrigger.API,
            status=status,
            scheduled_at=now,
            started_at=now,
            deadline_at=now + timedelta(seconds=60),
            pod_ip=pod_ip,
        )
        for check, (pod_ip, status) in zip(checks, placed, strict=True)
    ]
    async with session_factory() as session:
        session.add(cluster)
        session.add_all(checks)
        await session.flush()
        session.add_all(runs)
        await session.commit()
    return [run.id for run in runs]


async def identify_from(session_factory: SessionFactory, source: str) -> uuid.UUID | Unidentified:
    return await identify_report(
        ReportClaims(header_run_id=None, url_run_id=None, url_secret=None, source=source),
        keyring=KEYRING,
        ip_fallback=IpFallback.AUTO,
        session_factory=session_factory,
    )


async def test_the_undecided_run_whose_pod_has_the_address_is_identified(
    session_factory: SessionFactory,
) -> None:
    _finished, running = await runs_with_pod_ips(
        session_factory, ("10.244.1.7", RunStatus.SUCCEEDED), ("10.244.1.7", RunStatus.RUNNING)
    )
    assert await identify_from(session_factory, "10.244.1.7") == running


async def test_an_address_shared_by_two_undecided_runs_identifies_neither(
    session_factory: SessionFactory,
) -> None:
    await runs_with_pod_ips(
        session_factory, ("10.244.1.7", RunStatus.RUNNING), ("10.244.1.7", RunStatus.RUNNING)
    )
    assert isinstance(await identify_from(session_factory, "10.244.1.7"), Unidentified)


async def test_a_decided_runs_address_identifies_nothing(session_factory: SessionFactory) -> None:
    await runs_with_pod_ips(session_factory, ("10.244.1.7", RunStatus.FAILED))
    assert isinstance(await identify_from(session_factory, "10.244.1.7"), Unidentified)
