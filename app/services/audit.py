"""The audit trail: one record per mutation, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.domain.access import Principal
from app.models import AuditRecord
from app.redaction import redact


@dataclass(frozen=True, kw_only=True)
class AuditFilter:
    actor: str | None = None
    operation: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def audit_record(
    principal: Principal,
    *,
    operation: str,
    arguments: dict[str, Any],
    outcome: str,
    at: datetime,
    message: str | None = None,
    client: str | None = None,
) -> AuditRecord:
    """A record ready to store; arguments are copied with every secret masked."""
    return AuditRecord(
        at=at,
        actor=principal.name,
        actor_role=principal.role,
        token_id=principal.token_id,
        operation=operation,
        target=_target(arguments),
        arguments=_json_safe(redact(arguments)),
        outcome=outcome,
        message=message,
        client=client,
    )


def _json_safe(value: Any) -> Any:
    """Arguments as a JSON column can hold them: instants (a silence's window) as ISO-8601 text."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _target(arguments: dict[str, Any]) -> str | None:
    for source in (arguments, arguments.get("input") or {}):
        if isinstance(source, dict):
            for key in ("id", "name"):
                if isinstance(source.get(key), str):
                    return str(source[key])[:253]
    return None


async def list_audit_records(
    session: AsyncSession, where: AuditFilter, *, limit: int, before_id: int | None = None
) -> list[AuditRecord]:
    query = _filtered(select(AuditRecord), where)
    if before_id is not None:
        query = query.where(col(AuditRecord.id) < before_id)
    rows = await session.exec(query.order_by(col(AuditRecord.id).desc()).limit(limit))
    return list(rows.all())


async def count_audit_records(session: AsyncSession, where: AuditFilter) -> int:
    query = _filtered(select(func.count()).select_from(AuditRecord), where)
    return int((await session.exec(query)).one())


def _filtered(query: SelectOfScalar[Any], where: AuditFilter) -> SelectOfScalar[Any]:
    if where.actor is not None:
        query = query.where(col(AuditRecord.actor) == where.actor)
    if where.operation is not None:
        query = query.where(col(AuditRecord.operation) == where.operation)
    if where.outcome is not None:
        query = query.where(col(AuditRecord.outcome) == where.outcome)
    if where.since is not None:
        query = query.where(col(AuditRecord.at) >= where.since)
    if where.until is not None:
        query = query.where(col(AuditRecord.at) < where.until)
    return query
