"""People's actions on an alert: acknowledge (stops reminders) and comment. Building blocks for the
API: they take the caller's session and never commit; the caller publishes EVENTS_APPENDED after
its commit (the ALERT_CHANGED event is written here)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.alerting.evaluation import evaluate
from app.domain.alerting.inputs import Acknowledge, AlertInput, Comment
from app.domain.alerting.state import AlertKey, AlertStatus, Transition
from app.errors import Conflict, InvalidInput, NotFound
from app.models import Alert, AlertComment
from app.services.alerting.book import AlertBook, Contention, load_catalog

ATTEMPTS = 5
MAX_COMMENT_CHARS = 4000


class ActionResult(enum.StrEnum):
    RECORDED = "recorded"
    UNCHANGED = "unchanged"  # already acknowledged, or resolved: nothing to record


@dataclass(frozen=True, slots=True)
class AlertAction:
    result: ActionResult
    transition: Transition | None = None


async def acknowledge_alert(
    session: AsyncSession, alert_id: uuid.UUID, *, actor: str, at: datetime, comment: str = ""
) -> AlertAction:
    _check_text(comment, required=False)
    return await _act(session, alert_id, Acknowledge(alert_id, actor, at, comment), at)


async def comment_on_alert(
    session: AsyncSession, alert_id: uuid.UUID, *, actor: str, at: datetime, text: str
) -> AlertAction:
    _check_text(text, required=True)
    return await _act(session, alert_id, Comment(alert_id, actor, at, text), at)


async def _act(
    session: AsyncSession, alert_id: uuid.UUID, action: AlertInput, at: datetime
) -> AlertAction:
    for _ in range(ATTEMPTS):
        row = (
            await session.exec(
                select(Alert)
                .where(col(Alert.id) == alert_id)
                .execution_options(populate_existing=True)
            )
        ).first()
        if row is None:
            raise NotFound(f"no alert {alert_id}", field="id")
        if row.status is AlertStatus.RESOLVED:
            # The domain's state holds open alerts only; a resolved one takes no acknowledgement
            # (and a comment on it is kept as a note without a transition).
            if isinstance(action, Comment):
                return await _note_on_resolved(session, row, action)
            return AlertAction(ActionResult.UNCHANGED)
        catalog = await load_catalog(
            session, [row.check_id], [] if row.cluster_id is None else [row.cluster_id]
        )
        rule = next((rule for rule in catalog.rules if rule.id == row.rule_id), None)
        subject = catalog.subject(row.check_id, row.cluster_id)
        if rule is None or subject is None:
            raise Conflict("the alert's rule is disabled or its check is gone", field="id")
        book = AlertBook(session, at, catalog)
        key = AlertKey(row.rule_id, row.check_id, row.cluster_id)
        before = await book.state(key)
        evaluation = evaluate(rule, before, action, subject=subject, silences=catalog.silences)
        if not evaluation.transitions:
            return AlertAction(ActionResult.UNCHANGED)
        book.record(rule, before, evaluation)
        try:
            await book.flush()
        except Contention:
            continue  # the state write is the first: nothing else was written; read again
        return AlertAction(ActionResult.RECORDED, evaluation.transitions[0])
    raise Conflict("the alert kept changing; try again", field="id")


async def _note_on_resolved(session: AsyncSession, row: Alert, action: Comment) -> AlertAction:

    session.add(AlertComment(alert_id=row.id, author=action.actor, text=action.text, at=action.at))
    await session.flush()
    return AlertAction(ActionResult.RECORDED)


def _check_text(text: str, *, required: bool) -> None:
    if required and not text.strip():
        raise InvalidInput("a comment needs some text", field="text")
    if len(text) > MAX_COMMENT_CHARS:
        raise InvalidInput(f"longer than {MAX_COMMENT_CHARS} characters", field="text")
