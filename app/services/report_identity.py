"""Telling which run a report is for: the per-run secret in the reporting URL, else the pod IP.

The secret is an HMAC of the run id under Patrol's key, so nothing is stored for it, and a key
rotated while runs are in flight still verifies their secrets (see `Keyring`).
"""

from __future__ import annotations

import uuid

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import SessionFactory
from app.domain.report_identity import (
    IpFallback,
    PodIpLookup,
    ReportClaims,
    Unidentified,
    examine,
)
from app.keyring import Keyring
from app.models import Run, RunStatus

SECRET_PURPOSE = "report"


def report_secret(keyring: Keyring, run_id: uuid.UUID) -> str:
    return keyring.sign(SECRET_PURPOSE, str(run_id))


def is_report_secret(keyring: Keyring, run_id: uuid.UUID, secret: str) -> bool:
    return keyring.verify(SECRET_PURPOSE, str(run_id), secret)


async def identify_report(
    claims: ReportClaims,
    *,
    keyring: Keyring,
    ip_fallback: IpFallback,
    session_factory: SessionFactory,
) -> uuid.UUID | Unidentified:
    """The run the report proves it is for, or why it does not; at most one indexed query."""
    step = examine(
        claims,
        ip_fallback=ip_fallback,
        secret_is_valid=lambda run_id, secret: is_report_secret(keyring, run_id, secret),
    )
    if not isinstance(step, PodIpLookup):
        return step
    async with session_factory() as session:
        return step.settle(await run_of_pod_ip(session, step.address))


async def run_of_pod_ip(session: AsyncSession, ip: str) -> uuid.UUID | None:
    """The undecided run whose checker pod has this IP; None if there is none, or several."""
    found = await session.exec(
        select(Run.id)
        .where(Run.pod_ip == ip, Run.status.in_(RunStatus.in_flight()))  # type: ignore[attr-defined]
        .limit(2)
    )
    matches = found.all()
    return matches[0] if len(matches) == 1 else None
