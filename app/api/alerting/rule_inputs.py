"""Rule inputs and their translation into service drafts and changes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import strawberry

import app.api.enums  # noqa: F401  (registers the enums before they are used)
from app.api.alerting.conditions import ConditionInput
from app.api.alerting.selectors import SubjectMatcherInput
from app.api.inputs import parse_id
from app.domain.alerting.matchers import SubjectMatcher
from app.domain.alerting.rules import ExecutionErrors, Severity
from app.domain.duration import parse_duration
from app.errors import InvalidInput
from app.services.alerting.rule_config import RuleChanges, RuleDraft
from app.services.patch import UNCHANGED, Unchanged

MAX_RULE_CHANNELS = 20
T = TypeVar("T")
U = TypeVar("U")


@strawberry.input(description="Message templates: sandboxed Jinja2; null uses the default text.")
class MessageTemplatesInput:
    title: str | None = None
    body: str | None = None


@strawberry.input
class CreateRuleInput:
    name: str
    condition: ConditionInput
    selector: SubjectMatcherInput | None = strawberry.field(
        default=None, description="Which checks and clusters; omitted selects every check."
    )
    severity: Severity = Severity.WARNING
    channel_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    send_on_resolved: bool = True
    reminder_interval: str | None = strawberry.field(
        default=None, description="Go duration (at least 1m) between reminders; null for none."
    )
    execution_errors: ExecutionErrors = ExecutionErrors.COUNT
    templates: MessageTemplatesInput | None = None
    enabled: bool = True

    def to_draft(self) -> RuleDraft:
        templates = self.templates or MessageTemplatesInput()
        return RuleDraft(
            name=self.name,
            condition=self.condition.to_condition(),
            selector=_selector(self.selector),
            severity=self.severity,
            channel_ids=_channel_ids(self.channel_ids),
            send_on_resolved=self.send_on_resolved,
            reminder_interval=_interval(self.reminder_interval),
            execution_errors=self.execution_errors,
            title_template=templates.title,
            body_template=templates.body,
            enabled=self.enabled,
        )


@strawberry.input(description="Omitted fields keep their value; null clears a nullable one.")
class UpdateRuleInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    condition: ConditionInput | None = strawberry.UNSET
    selector: SubjectMatcherInput | None = strawberry.UNSET
    severity: Severity | None = strawberry.UNSET
    channel_ids: list[strawberry.ID] | None = strawberry.UNSET
    send_on_resolved: bool | None = strawberry.UNSET
    reminder_interval: str | None = strawberry.UNSET
    execution_errors: ExecutionErrors | None = strawberry.UNSET
    templates: MessageTemplatesInput | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces both templates; null restores the defaults."
    )
    enabled: bool | None = strawberry.UNSET

    def to_changes(self) -> RuleChanges:
        templates: MessageTemplatesInput | Unchanged = (
            UNCHANGED
            if self.templates is strawberry.UNSET
            else self.templates or MessageTemplatesInput()
        )
        return RuleChanges(
            name=_required(self.name, "name"),
            condition=_apply(_required(self.condition, "condition"), ConditionInput.to_condition),
            selector=UNCHANGED if self.selector is strawberry.UNSET else _selector(self.selector),
            severity=_required(self.severity, "severity"),
            channel_ids=_apply(_required(self.channel_ids, "channelIds"), _channel_ids),
            send_on_resolved=_required(self.send_on_resolved, "sendOnResolved"),
            reminder_interval=(
                UNCHANGED
                if self.reminder_interval is strawberry.UNSET
                else _interval(self.reminder_interval)
            ),
            execution_errors=_required(self.execution_errors, "executionErrors"),
            title_template=UNCHANGED if templates is UNCHANGED else templates.title,
            body_template=UNCHANGED if templates is UNCHANGED else templates.body,
            enabled=_required(self.enabled, "enabled"),
        )


def _required(value: T | None, field: str) -> T | Unchanged:
    if value is strawberry.UNSET:
        return UNCHANGED
    if value is None:
        raise InvalidInput(f"{field}: cannot be null", field=field)
    return value


def _apply(value: T | Unchanged, convert: Callable[[T], U]) -> U | Unchanged:
    return UNCHANGED if value is UNCHANGED else convert(value)


def _selector(selector: SubjectMatcherInput | None) -> SubjectMatcher:
    return SubjectMatcher() if selector is None else selector.to_matcher(field="selector")


def _channel_ids(values: list[strawberry.ID]) -> tuple[uuid.UUID, ...]:
    if len(values) > MAX_RULE_CHANNELS:
        raise InvalidInput(
            f"channelIds: at most {MAX_RULE_CHANNELS} channels, got {len(values)}",
            field="channelIds",
        )
    return tuple(parse_id(value, field="channelIds") for value in values)


def _interval(value: str | None) -> timedelta | None:
    return None if value is None else parse_duration(value, field="reminderInterval")
