"""The periodic tick: turns "now" into an input for the conditions and reminders that depend on
time — no successful run for T, reminders while firing and unacknowledged, the first word after a
silence ends. Writes go through the same book as the engine (compare-and-set on each subject's
state), so ticks in several workers record each transition once."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import SessionFactory
from app.domain.alerting.evaluation import alert_key, evaluate
from app.domain.alerting.inputs import AlertSubject, Tick
from app.domain.alerting.matchers import matches
from app.domain.alerting.rules import NoSuccessFor
from app.domain.alerting.state import AlertKey, Transition
from app.logging import get_logger
from app.models import Alert, AlertSubjectState, Check, CheckStatus
from app.services.alerting.book import AlertBook, Contention, load_catalog, open_alert_filter

log = get_logger(__name__)
ATTEMPTS = 5


async def tick(session_factory: SessionFactory, *, now: datetime) -> list[Transition]:
    for _ in range(ATTEMPTS):
        try:
            async with session_factory.begin() as session:
                return await _tick(session, now)
        except (Contention, IntegrityError, OperationalError) as conflict:
            log.info("alert tick conflicted; trying again", reason=type(conflict).__name__)
    return []


async def _tick(session: AsyncSession, now: datetime) -> list[Transition]:
    catalog = await load_catalog(session)
    rules = {rule.id: rule for rule in catalog.rules}
    book = AlertBook(session, now, catalog)
    keys: dict[AlertKey, datetime | None] = {}
    # Open alerts: reminders and silences ending.
    rows = await session.exec(
        select(AlertSubjectState.rule_id, AlertSubjectState.check_id, AlertSubjectState.cluster_id)
        .join(Alert, col(Alert.subject_state_id) == col(AlertSubjectState.id))
        .where(open_alert_filter())
    )
    for rule_id, check_id, cluster_id in rows:
        keys.setdefault(AlertKey(rule_id, check_id, cluster_id), None)
    # Stale checks: every (check, cluster) a "no success for T" rule selects, running or not.
    stale_rules = [rule for rule in catalog.rules if isinstance(rule.condition, NoSuccessFor)]
    if stale_rules:
        statuses = await session.exec(
            select(CheckStatus.check_id, CheckStatus.cluster_id, CheckStatus.last_success_at)
            .join(Check, col(Check.id) == col(CheckStatus.check_id))
            .where(col(Check.enabled), ~col(CheckStatus.paused))
        )
        for check_id, cluster_id, last_success_at in statuses:
            subject = catalog.subject(check_id, cluster_id)
            if subject is None:
                continue
            for rule in stale_rules:
                if matches(rule.selector, subject):
                    keys[alert_key(rule, check_id, cluster_id)] = last_success_at
    for key, last_success_at in sorted(keys.items(), key=lambda item: item[0]):
        ruling = rules.get(key.rule_id)
        if ruling is None:
            continue
        subject = _subject(catalog.subject(key.check_id, key.cluster_id), key)
        if subject is None:
            continue
        before = await book.state(key)
        if book.is_new(key) and last_success_at is not None and before.last_success_at is None:
            before = book.seed(key, replace(before, last_success_at=last_success_at))
        evaluation = evaluate(ruling, before, Tick(now), subject=subject, silences=catalog.silences)
        book.record(ruling, before, evaluation)
    await book.flush()
    return list(book.recorded)


def _subject(subject: AlertSubject | None, key: AlertKey) -> AlertSubject | None:
    if subject is None or (key.cluster_id is not None and subject.cluster is None):
        return None
    return subject
