"""What a checker pod's state means for its run: the watcher's translation, through the same CAS."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.manifest import RUN_ID_LABEL
from app.domain.pod_state import node_name, pod_exit, pod_ip, pod_problem
from app.models import FailureReason, Run
from app.services.outcome import Outcome, decide_run, execution_error


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
    if event_type == "DELETED":
        outcome = execution_error(
            FailureReason.POD_DELETED, "the checker pod was deleted before it reported"
        )
        return await _decide(session, run_id, outcome, now)
    problem = pod_problem(pod)
    if problem is not None:
        return await _decide(session, run_id, execution_error(problem.reason, problem.message), now)
    ip = pod_ip(pod)
    if ip and not ip_recorded:
        await session.exec(
            sa.update(Run)
            .where(Run.id == run_id, Run.pod_ip.is_(None))  # type: ignore[arg-type,union-attr]
            .values(pod_ip=ip, node_name=node_name(pod))
            .execution_options(synchronize_session=False)
        )
        await session.commit()
    if pod_exit(pod) is not None:
        return Followup.CHECK_EXIT
    return Followup.NONE


async def decide_exited_without_report(
    session: AsyncSession, run_id: uuid.UUID, pod: dict[str, Any] | None, *, now: datetime
) -> bool:
    ended = pod_exit(pod) if pod is not None else None
    detail = (
        f" (exit code {ended.exit_code}, {ended.reason})"
        if ended is not None and ended.exit_code is not None
        else ""
    )
    outcome = execution_error(
        FailureReason.EXITED_WITHOUT_REPORT,
        f"the checker pod exited without reporting{detail}",
    )
    return await _decided(session, run_id, outcome, now)


async def _decide(
    session: AsyncSession, run_id: uuid.UUID, outcome: Any, now: datetime
) -> Followup:
    return Followup.FINALIZE if await _decided(session, run_id, outcome, now) else Followup.NONE


async def _decided(
    session: AsyncSession, run_id: uuid.UUID, outcome: Outcome, now: datetime
) -> bool:
    decided = await decide_run(session, run_id, outcome, now=now)
    await session.commit()
    return decided
