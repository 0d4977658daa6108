"""The rule engine: reads the event log after its stored cursor, evaluates every enabled rule on each
decided run, and commits the new alert states, transitions, notifications, ALERT_CHANGED events and
the advanced cursor in one transaction. The cursor moves by compare-and-set: of two engines on the
same cursor, the loser rolls back and reads again, so each event is evaluated once. Any number of
workers may run it; there is no leader."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import SessionFactory
from app.domain.alerting.evaluation import alert_key, evaluate
from app.domain.alerting.inputs import AlertInput, RunDecided
from app.domain.alerting.matchers import matches
from app.domain.alerting.state import Transition
from app.domain.feed_position import FeedPosition
from app.domain.run_lifecycle import FailureReason, RunStatus
from app.logging import get_logger
from app.models import AlertingCursor, Event, EventKind, Run
from app.models.columns import utcnow
from app.services.alerting.book import (
    AlertBook,
    Catalog,
    Contention,
    insert_ignoring_conflicts,
    load_catalog,
)
from app.services.event_feed import PAGE_SIZE, latest_position, read_events

log = get_logger(__name__)
ENGINE_CURSOR = "engine"
# Conflicts retried within one call before it gives up until the next nudge or poll.
ATTEMPTS = 5


class StepOutcome(enum.Enum):
    IDLE = "idle"  # nothing new in the log
    ADVANCED = "advanced"
    LOST_RACE = "lost_race"  # another engine advanced the cursor first: read again


@dataclass(frozen=True, slots=True)
class Step:
    outcome: StepOutcome
    events_read: int = 0
    transitions: tuple[Transition, ...] = ()
    more: bool = False


async def ensure_cursor(session_factory: SessionFactory, *, name: str = ENGINE_CURSOR) -> None:
    """Create the engine's cursor at the end of the log if it has none: a new installation does
    not alert on what was decided before alerting existed."""
    async with session_factory.begin() as session:
        if await session.get(AlertingCursor, name) is not None:
            return
        position = await latest_position(session)
        await session.exec(
            insert_ignoring_conflicts(session)(AlertingCursor)
            .values(name=name, position=position.encode(), version=1, updated_at=utcnow())
            .on_conflict_do_nothing()
        )


async def evaluate_new_events(
    session_factory: SessionFactory,
    *,
    clock: Callable[[], datetime] = utcnow,
    limit: int = PAGE_SIZE,
    max_pages: int = 20,
) -> list[Transition]:
    """Evaluate pages of new events until the log is read (or `max_pages`); the transitions this
    call committed."""
    await ensure_cursor(session_factory)
    committed: list[Transition] = []
    for _ in range(max_pages):
        step = await evaluate_page(session_factory, now=clock(), limit=limit)
        committed += step.transitions
        if step.outcome is StepOutcome.IDLE or (
            not step.more and step.outcome is StepOutcome.ADVANCED
        ):
            break
    return committed


async def evaluate_page(
    session_factory: SessionFactory, *, now: datetime, limit: int = PAGE_SIZE
) -> Step:
    """One page of the log in one transaction."""
    for _ in range(ATTEMPTS):
        try:
            async with session_factory.begin() as session:
                return await _evaluate_page(session, now=now, limit=limit)
        except (Contention, IntegrityError, OperationalError) as conflict:
            # A subject's state, an alert's identity or SQLite's write lock was taken by another
            # engine or a person's action: everything rolled back; read again.
            log.info("alert evaluation conflicted; reading again", reason=type(conflict).__name__)
    return Step(StepOutcome.LOST_RACE)


async def _evaluate_page(session: AsyncSession, *, now: datetime, limit: int) -> Step:
    cursor = (
        await session.exec(
            select(AlertingCursor)
            .where(col(AlertingCursor.name) == ENGINE_CURSOR)
            .execution_options(populate_existing=True)
        )
    ).one()
    position = FeedPosition.decode(cursor.position)
    page = await read_events(session, position, now=now, limit=limit)
    if page.position == position:
        return Step(StepOutcome.IDLE)
    # Take the cursor first: a rival engine blocks here (or fails its CAS) before writing anything.
    claimed = await session.exec(
        sa.update(AlertingCursor)
        .where(
            col(AlertingCursor.name) == ENGINE_CURSOR,
            col(AlertingCursor.version) == cursor.version,
        )
        .values(position=page.position.encode(), version=cursor.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Contention("the engine cursor moved under this evaluation")
    decided = [event for event in page.events if event.kind is EventKind.RUN_DECIDED]
    transitions: tuple[Transition, ...] = ()
    if decided:
        inputs = await _decided_runs(session, decided)
        catalog = await load_catalog(
            session, {run.check_id for run in inputs}, {run.cluster_id for run in inputs}
        )
        book = AlertBook(session, now, catalog)
        for run in inputs:
            await apply_input(book, run, run.check_id, run.cluster_id)
        await book.flush()
        transitions = tuple(book.recorded)
    return Step(StepOutcome.ADVANCED, len(page.events), transitions, page.more)


async def apply_input(
    book: AlertBook,
    event: AlertInput,
    check_id: uuid.UUID,
    cluster_id: uuid.UUID,
    *,
    rule_ids: Sequence[uuid.UUID] | None = None,
) -> None:
    """Evaluate `event` under every rule that selects the check and cluster."""
    catalog: Catalog = book.catalog
    subject = catalog.subject(check_id, cluster_id)
    if subject is None or subject.cluster is None:
        return  # the check or cluster is gone: nothing to alert about
    for rule in catalog.rules:
        if rule_ids is not None and rule.id not in rule_ids:
            continue
        if not matches(rule.selector, subject):
            continue
        key = alert_key(rule, check_id, cluster_id)
        before = await book.state(key)
        evaluation = evaluate(rule, before, event, subject=subject, silences=catalog.silences)
        book.record(rule, before, evaluation)


async def _decided_runs(session: AsyncSession, events: Sequence[Event]) -> list[RunDecided]:
    """The domain's inputs for RUN_DECIDED events; the run's errors are read from its row (by id,
    never a scan) while it exists."""
    run_ids = [event.run_id for event in events if event.run_id is not None]
    errors = {
        id_: tuple(run_errors)
        for id_, run_errors in await session.exec(
            select(Run.id, Run.errors).where(col(Run.id).in_(run_ids))
        )
    }
    inputs: list[RunDecided] = []
    for event in events:
        # A run's events name its check; only cluster events (CLUSTER_HEALTH_CHANGED) have none.
        if event.run_id is None or event.cluster_id is None or event.check_id is None:
            continue
        payload = event.payload
        started = _time(payload.get("startedAt"))
        finished = _time(payload.get("finishedAt"))
        reason = payload.get("failureReason")
        inputs.append(
            RunDecided(
                run_id=event.run_id,
                check_id=event.check_id,
                cluster_id=event.cluster_id,
                status=RunStatus(payload["status"]),
                failure_reason=FailureReason(reason) if reason else None,
                errors=errors.get(event.run_id, ()),
                scheduled_at=datetime.fromisoformat(payload["scheduledAt"]),
                started_at=started,
                finished_at=finished,
                duration_seconds=(finished - started).total_seconds()
                if started and finished
                else None,
                decided_at=event.at,
            )
        )
    return inputs


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
