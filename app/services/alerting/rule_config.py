"""Alert rule configuration for the API: create, edit, list and remove the rules the engine
evaluates. Building blocks: the caller's session, only flushes, never commits. A rule is validated
by building the domain `Rule` (thresholds, reminder, templates compiled in the sandbox) before it
is stored through the codec, so the engine reads back exactly what was validated."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.alerting.matchers import SubjectMatcher
from app.domain.alerting.rendering import MessageTemplates
from app.domain.alerting.rules import Condition, ExecutionErrors, Rule, Severity
from app.errors import Conflict, NotFound
from app.models import AlertRule
from app.models.alerting_codec import rule_of, rule_values
from app.models.columns import utcnow
from app.services.alerting.channel_config import existing_channel_ids
from app.services.patch import UNCHANGED, Unchanged, pick


@dataclass(frozen=True, kw_only=True)
class RuleDraft:
    name: str
    condition: Condition
    selector: SubjectMatcher = field(default_factory=SubjectMatcher)
    severity: Severity = Severity.WARNING
    channel_ids: tuple[uuid.UUID, ...] = ()
    send_on_resolved: bool = True
    reminder_interval: timedelta | None = None
    execution_errors: ExecutionErrors = ExecutionErrors.COUNT
    title_template: str | None = None
    body_template: str | None = None
    enabled: bool = True


@dataclass(frozen=True, kw_only=True)
class RuleChanges:
    name: str | Unchanged = UNCHANGED
    condition: Condition | Unchanged = UNCHANGED
    selector: SubjectMatcher | Unchanged = UNCHANGED
    severity: Severity | Unchanged = UNCHANGED
    channel_ids: tuple[uuid.UUID, ...] | Unchanged = UNCHANGED
    send_on_resolved: bool | Unchanged = UNCHANGED
    reminder_interval: timedelta | Unchanged | None = UNCHANGED
    execution_errors: ExecutionErrors | Unchanged = UNCHANGED
    title_template: str | Unchanged | None = UNCHANGED
    body_template: str | Unchanged | None = UNCHANGED
    enabled: bool | Unchanged = UNCHANGED


@dataclass(frozen=True, kw_only=True)
class RuleView:
    rule: Rule
    enabled: bool
    template_error: str | None
    template_error_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: AlertRule) -> RuleView:
        return cls(
            rule=rule_of(row),
            enabled=row.enabled,
            template_error=row.last_template_error,
            template_error_at=row.last_template_error_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def build_rule(rule_id: uuid.UUID, draft: RuleDraft) -> Rule:
    """The domain rule, or InvalidInput naming the field as the API spells it."""
    return Rule(
        id=rule_id,
        name=draft.name.strip(),
        condition=draft.condition,
        selector=draft.selector,
        severity=draft.severity,
        channel_ids=draft.channel_ids,
        send_on_resolved=draft.send_on_resolved,
        reminder_interval=draft.reminder_interval,
        execution_errors=draft.execution_errors,
        templates=MessageTemplates(title=draft.title_template, body=draft.body_template),
    )


def changed_rule(rule: Rule, changes: RuleChanges) -> Rule:
    templates = MessageTemplates(
        title=pick(changes.title_template, rule.templates.title),
        body=pick(changes.body_template, rule.templates.body),
    )
    return replace(
        rule,
        name=pick(changes.name, rule.name).strip(),
        condition=pick(changes.condition, rule.condition),
        selector=pick(changes.selector, rule.selector),
        severity=pick(changes.severity, rule.severity),
        channel_ids=pick(changes.channel_ids, rule.channel_ids),
        send_on_resolved=pick(changes.send_on_resolved, rule.send_on_resolved),
        reminder_interval=pick(changes.reminder_interval, rule.reminder_interval),
        execution_errors=pick(changes.execution_errors, rule.execution_errors),
        templates=templates,
    )


async def create_rule(session: AsyncSession, draft: RuleDraft) -> RuleView:
    rule = build_rule(uuid.uuid4(), draft)
    await existing_channel_ids(session, rule.channel_ids)
    now = utcnow()
    row = AlertRule(**rule_values(rule), enabled=draft.enabled, created_at=now, updated_at=now)
    await _store(session, row)
    return RuleView.of(row)


async def update_rule(session: AsyncSession, rule_id: uuid.UUID, changes: RuleChanges) -> RuleView:
    row = await get_rule(session, rule_id)
    rule = changed_rule(rule_of(row), changes)
    if changes.channel_ids is not UNCHANGED:
        await existing_channel_ids(session, rule.channel_ids)
    for column, value in rule_values(rule).items():
        setattr(row, column, value)
    if changes.title_template is not UNCHANGED or changes.body_template is not UNCHANGED:
        # A new template gets a fresh start: the old one's error no longer says anything.
        row.last_template_error = None
        row.last_template_error_at = None
    row.enabled = pick(changes.enabled, row.enabled)
    row.updated_at = utcnow()
    await _store(session, row)
    return RuleView.of(row)


async def delete_rule(session: AsyncSession, rule_id: uuid.UUID) -> None:
    """Its alerts, their transitions and notifications go with it (foreign keys cascade)."""
    await session.delete(await get_rule(session, rule_id))
    await session.flush()


async def list_rules(session: AsyncSession) -> list[RuleView]:
    rows = await session.exec(select(AlertRule).order_by(col(AlertRule.name)))
    return [RuleView.of(row) for row in rows.all()]


async def get_rule(session: AsyncSession, rule_id: uuid.UUID) -> AlertRule:
    row = await session.get(AlertRule, rule_id)
    if row is None:
        raise NotFound(f"no rule {rule_id}", field="id")
    return row


async def _store(session: AsyncSession, row: AlertRule) -> None:
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        raise Conflict(f"a rule named {row.name!r} already exists", field="name") from None
