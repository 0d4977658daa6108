"""Alert rule use cases: create, edit and remove the rules the engine evaluates.

Building blocks in the sense of app/services/__init__.py: each takes the caller's session, only
flushes, and leaves the transaction to the caller. A rule is validated by building the domain
`Rule` (conditions, thresholds, templates compiled in the sandbox) before anything is stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from app.domain.alerting.matchers import SubjectMatcher
from app.domain.alerting.rendering import MessageTemplates
from app.domain.alerting.rules import Condition, ExecutionErrors, Rule, Severity
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


@dataclass(frozen=True, kw_only=True)
class RuleView:
    rule: Rule
    template_error: str | None
    created_at: datetime
    updated_at: datetime


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
