"""What a checker pod's state means for its run: the watcher's translation, through the same CAS."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.manifest import RUN_ID_LABEL
from app.domain.pod_state import node_name, pod_exit, pod_ip, pod_problem
from app.domain.run_lifecycle import (
    EXECUTION,
    Outcome,
    execution_error,
    exited_without_report,
    pod_deleted,
)
from app.services import run_state


class Followup(enum.Enum):
    NONE = "none"
    FINALIZE = "finalize"  # the run was just decided here
    CHECK_EXIT = "check_exit"  # the pod ended; give a report in flight a moment, then decide


def run_id_of(pod: dict[str, Any]) -> uuid.UUID | None:
    value = ((pod.get("metadata") or {}).get("labels") or {}).get(RUN_ID_LABEL)
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def observe_pod(
    session: AsyncSession,
    run_id: uuid.UUID,
    event_type: str,
    pod: dict[str, Any],
    *,
    now: datetime,
    ip_recorded: bool = False,
) -> Followup:
    """A use case: it commits what it wrote."""
    if event_type == "DELETED":
        return await _decide(session, run_id, pod_deleted(), now)
    problem = pod_problem(pod)
    if problem is not None:
        return await _decide(session, run_id, execution_error(problem.reason, problem.message), now)
    ip = pod_ip(pod)
    if ip and not ip_recorded:
        await run_state.record_pod_location(session, run_id, pod_ip=ip, node_name=node_name(pod))
        await session.commit()
    if pod_exit(pod) is not None:
        return Followup.CHECK_EXIT
    return Followup.NONE


async def decide_exited_without_report(
    session: AsyncSession, run_id: uuid.UUID, pod: dict[str, Any] | None, *, now: datetime
) -> bool:
    """After the exit grace: the pod ended and no report decided the run. Commits."""
    ended = pod_exit(pod) if pod is not None else None
    outcome = exited_without_report(
        ended.exit_code if ended else None, ended.reason if ended else None
    )
    return await _decided(session, run_id, outcome, now)


async def _decide(
    session: AsyncSession, run_id: uuid.UUID, outcome: Outcome, now: datetime
) -> Followup:
    return Followup.FINALIZE if await _decided(session, run_id, outcome, now) else Followup.NONE


async def _decided(
    session: AsyncSession, run_id: uuid.UUID, outcome: Outcome, now: datetime
) -> bool:
    decided = await run_state.decide_one(session, run_id, outcome, EXECUTION, now=now)
    await session.commit()
    if decided is None:
        return False
    run_state.announce([decided])
    return True
