"""Check use cases. Each edit also re-syncs that check's schedule rows, and no other check's.

Each takes the caller's session and only flushes: the caller owns the transaction and must
roll back on any error (after a lost race the session is unusable).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.cluster_selector import parse_cluster_selector
from app.domain.duration import format_duration, parse_duration
from app.domain.names import (
    validate_annotations,
    validate_dns_label,
    validate_dns_subdomain,
    validate_labels,
)
from app.domain.pod_spec import validate_pod_spec
from app.errors import Conflict, InvalidInput, NotFound
from app.models import Check
from app.models.columns import utcnow
from app.services import history, memberships
from app.services.clusters import resolve_cluster_ids
from app.services.history import CheckChange
from app.services.patch import UNCHANGED, Unchanged, pick
from app.services.scheduling import sync_check_schedule

# The longest run interval or timeout a check may have.
MAX_DURATION = timedelta(days=366)


@dataclass(frozen=True, kw_only=True)
class CheckDraft:
    name: str
    namespace: str
    pod_spec: dict[str, Any]
    # Go duration strings as users write them; None means on-demand only.
    timeout: str
    run_interval: str | None = None
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    extra_labels: dict[str, str] = field(default_factory=dict)
    extra_annotations: dict[str, str] = field(default_factory=dict)
    enabled: bool = True
    cluster_ids: list[uuid.UUID] = field(default_factory=list)
    cluster_selector: str | None = None


@dataclass(frozen=True, kw_only=True)
class CheckChanges:
    name: str | Unchanged = UNCHANGED
    namespace: str | Unchanged = UNCHANGED
    pod_spec: dict[str, Any] | Unchanged = UNCHANGED
    timeout: str | Unchanged = UNCHANGED
    run_interval: str | Unchanged | None = UNCHANGED
    description: str | Unchanged = UNCHANGED
    labels: dict[str, str] | Unchanged = UNCHANGED
    extra_labels: dict[str, str] | Unchanged = UNCHANGED
    extra_annotations: dict[str, str] | Unchanged = UNCHANGED
    enabled: bool | Unchanged = UNCHANGED
    cluster_ids: list[uuid.UUID] | Unchanged = UNCHANGED
    cluster_selector: str | Unchanged | None = UNCHANGED
    # Optimistic locking: when given, the edit applies only to this version.
    expected_version: int | None = None


async def create_check(session: AsyncSession, draft: CheckDraft) -> Check:
    timeout = _positive_duration(draft.timeout, field="timeout")
    interval = _interval(draft.run_interval)
    check = Check(
        name=draft.name,
        namespace=draft.namespace,
        description=draft.description,
        labels=draft.labels,
        pod_spec=draft.pod_spec,
        extra_labels=draft.extra_labels,
        extra_annotations=draft.extra_annotations,
        run_interval_seconds=None if interval is None else interval.total_seconds(),
        timeout_seconds=timeout.total_seconds(),
        enabled=draft.enabled,
        cluster_selector=_selector(draft.cluster_selector),
    )
    _validate(check)
    check.pod_spec = await _validated_pod_spec(draft.pod_spec)
    cluster_ids = await resolve_cluster_ids(session, draft.cluster_ids)
    await _ensure_name_free(session, check, except_id=None)
    session.add(check)
    await _flush(session, check)
    await memberships.set_explicit_clusters(session, check.id, cluster_ids)
    await memberships.apply_selector(session, check)
    await _flush(session, check)
    await sync_check_schedule(session, check, now=check.updated_at)
    await history.sync_memberships(
        session,
        check.id,
        await memberships.assigned_clusters(session, check.id),
        is_paused=not check.enabled,
        now=check.updated_at,
    )
    await _log_change(session, check, CheckChange.CREATED)
    return check


async def update_check(session: AsyncSession, check_id: uuid.UUID, changes: CheckChanges) -> Check:
    pod_spec = changes.pod_spec
    if pod_spec is not UNCHANGED:
        pod_spec = await _validated_pod_spec(pod_spec)
    check = await get_check(session, check_id)
    if changes.expected_version is not None and changes.expected_version != check.version:
        raise Conflict(
            f"check {check_id} is at version {check.version}, not {changes.expected_version}: "
            "it was edited meanwhile",
            field="expectedVersion",
        )
    # Queries below must not flush a half-edited row: a duplicate name would fail the flush.
    with session.no_autoflush:
        renamed = (changes.name is not UNCHANGED and changes.name != check.name) or (
            changes.namespace is not UNCHANGED and changes.namespace != check.namespace
        )
        if changes.timeout is not UNCHANGED:
            check.timeout_seconds = _positive_duration(
                changes.timeout, field="timeout"
            ).total_seconds()
        if changes.run_interval is not UNCHANGED:
            interval = _interval(changes.run_interval)
            check.run_interval_seconds = None if interval is None else interval.total_seconds()
        check.name = pick(changes.name, check.name)
        check.namespace = pick(changes.namespace, check.namespace)
        check.pod_spec = pick(pod_spec, check.pod_spec)
        check.description = pick(changes.description, check.description)
        check.labels = pick(changes.labels, check.labels)
        check.extra_labels = pick(changes.extra_labels, check.extra_labels)
        check.extra_annotations = pick(changes.extra_annotations, check.extra_annotations)
        check.enabled = pick(changes.enabled, check.enabled)
        selector_changed = False
        if changes.cluster_selector is not UNCHANGED:
            selector = _selector(changes.cluster_selector)
            selector_changed = selector != check.cluster_selector
            check.cluster_selector = selector
        _validate(check)
        wanted = (
            None
            if changes.cluster_ids is UNCHANGED
            else await resolve_cluster_ids(session, changes.cluster_ids)
        )
        if renamed:
            await _ensure_name_free(session, check, except_id=check.id)
    _touch(check)
    await _flush(session, check)
    if wanted is not None:
        await memberships.set_explicit_clusters(session, check.id, wanted)
    if selector_changed:
        await memberships.apply_selector(session, check)
    await _flush(session, check)
    await sync_check_schedule(session, check, now=check.updated_at)
    if changes.cluster_ids is not UNCHANGED or selector_changed:
        await history.sync_memberships(
            session,
            check.id,
            await memberships.assigned_clusters(session, check.id),
            is_paused=not check.enabled,
            now=check.updated_at,
        )
    if changes.enabled is not UNCHANGED:
        await history.set_paused(
            session, check.id, is_paused=not check.enabled, now=check.updated_at
        )
    await _log_change(session, check, CheckChange.UPDATED)
    return check


async def delete_check(session: AsyncSession, check_id: uuid.UUID) -> Check:
    """Remove the check; its runs, logs and events go with it (FK cascade)."""
    check = await get_check(session, check_id)
    await _log_change(session, check, CheckChange.DELETED, now=utcnow())
    await session.delete(check)
    await session.flush()
    return check


async def pause_check(session: AsyncSession, check_id: uuid.UUID) -> Check:
    return await _set_enabled(session, check_id, enabled=False)


async def resume_check(session: AsyncSession, check_id: uuid.UUID) -> Check:
    return await _set_enabled(session, check_id, enabled=True)


async def get_check(session: AsyncSession, check_id: uuid.UUID) -> Check:
    check = await session.get(Check, check_id)
    if check is None:
        raise NotFound(f"check {check_id} does not exist", field="id")
    return check


async def _set_enabled(session: AsyncSession, check_id: uuid.UUID, *, enabled: bool) -> Check:
    check = await get_check(session, check_id)
    if check.enabled != enabled:
        check.enabled = enabled
        _touch(check)
        await session.flush()
        await sync_check_schedule(session, check, now=check.updated_at)
        await history.set_paused(session, check.id, is_paused=not enabled, now=check.updated_at)
        await _log_change(session, check, CheckChange.UPDATED)
    return check


async def _log_change(
    session: AsyncSession, check: Check, change: CheckChange, *, now: datetime | None = None
) -> None:
    await history.record_check_change(
        session,
        change,
        check_id=check.id,
        namespace=check.namespace,
        name=check.name,
        version=check.version,
        now=now or check.updated_at,
    )


def _touch(check: Check) -> None:
    check.version += 1
    check.updated_at = utcnow()


def _validate(check: Check) -> None:
    validate_dns_subdomain(check.name, field="name")
    validate_dns_label(check.namespace, field="namespace")
    check.labels = validate_labels(check.labels, field="labels")
    check.extra_labels = validate_labels(check.extra_labels, field="extraLabels")
    check.extra_annotations = validate_annotations(
        check.extra_annotations, field="extraAnnotations"
    )
    interval = check.run_interval_seconds
    if interval is not None and check.timeout_seconds > interval:
        raise InvalidInput(
            f"timeout: {check.timeout_seconds:g}s is longer than the run interval "
            f"({interval:g}s); a run must finish before the next one starts",
            field="timeout",
        )


async def _validated_pod_spec(pod_spec: dict[str, Any]) -> dict[str, Any]:
    # Validating a large spec takes tens of milliseconds: not on the event loop.
    return await asyncio.to_thread(validate_pod_spec, pod_spec, field="podSpec")


def _positive_duration(text: str, *, field: str) -> timedelta:
    value = parse_duration(text, field=field)
    if value <= timedelta(0):
        raise InvalidInput(f"{field}: must be positive, got {format_duration(value)}", field=field)
    if value > MAX_DURATION:
        raise InvalidInput(
            f"{field}: at most 366 days ({format_duration(MAX_DURATION)}), "
            f"got {format_duration(value)}",
            field=field,
        )
    return value


def _selector(text: str | None) -> str | None:
    """Blank means none; anything else must parse (the parsed form is not stored)."""
    if text is None or not text.strip():
        return None
    return parse_cluster_selector(text).text


def _interval(text: str | None) -> timedelta | None:
    return None if text is None else _positive_duration(text, field="runInterval")


async def _ensure_name_free(
    session: AsyncSession, check: Check, *, except_id: uuid.UUID | None
) -> None:
    query = select(Check.id).where(Check.namespace == check.namespace, Check.name == check.name)
    if except_id is not None:
        query = query.where(Check.id != except_id)
    if (await session.exec(query)).first() is not None:
        raise Conflict(_name_taken(check), field="name")


async def _flush(session: AsyncSession, check: Check) -> None:
    try:
        await session.flush()
    except IntegrityError:
        # Lost a race between the existence checks and the write (same name, or a cluster removed).
        raise Conflict(
            f"{_name_taken(check)}, or one of its clusters was just removed", field="name"
        ) from None


def _name_taken(check: Check) -> str:
    return f"a check named {check.name!r} already exists in namespace {check.namespace!r}"
