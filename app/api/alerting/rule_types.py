"""Rule output types."""

from __future__ import annotations

import asyncio
from datetime import datetime

import strawberry

import app.api.enums  # noqa: F401  (registers the enums before they are used)
from app.api.alerting.channel_types import ChannelType
from app.api.alerting.conditions import Condition, condition_type
from app.api.alerting.selectors import SubjectMatcherType
from app.api.context import Info
from app.api.fields import described_field
from app.domain.alerting.rules import ExecutionErrors, Severity
from app.domain.duration import format_duration
from app.services.alerting.rule_config import RuleView


@strawberry.type(name="MessageTemplates", description="null: the default text is used.")
class MessageTemplatesType:
    title: str | None
    body: str | None


@strawberry.type(name="Rule")
class RuleType:
    view: strawberry.Private[RuleView]
    id: strawberry.ID
    name: str
    enabled: bool
    condition: Condition
    selector: SubjectMatcherType
    severity: Severity
    channel_ids: list[strawberry.ID]
    send_on_resolved: bool
    reminder_interval: str | None = strawberry.field(description="Go duration; null: none.")
    execution_errors: ExecutionErrors
    templates: MessageTemplatesType
    template_error: str | None = strawberry.field(
        description="Why the rule's own template last fell back to the default text, if it did."
    )
    template_error_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_view(cls, view: RuleView) -> RuleType:
        rule = view.rule
        return cls(
            view=view,
            id=strawberry.ID(str(rule.id)),
            name=rule.name,
            enabled=view.enabled,
            condition=condition_type(rule.condition),
            selector=SubjectMatcherType.from_domain(rule.selector),
            severity=rule.severity,
            channel_ids=[strawberry.ID(str(channel_id)) for channel_id in rule.channel_ids],
            send_on_resolved=rule.send_on_resolved,
            reminder_interval=None
            if rule.reminder_interval is None
            else format_duration(rule.reminder_interval),
            execution_errors=rule.execution_errors,
            templates=MessageTemplatesType(title=rule.templates.title, body=rule.templates.body),
            template_error=view.template_error,
            template_error_at=view.template_error_at,
            created_at=view.created_at,
            updated_at=view.updated_at,
        )

    @described_field("The channels it sends to, in its order (masked URLs).")
    async def channels(self, info: Info) -> list[ChannelType]:
        found = await asyncio.gather(
            *(info.context.loaders.channel_by_id.load(id_) for id_ in self.view.rule.channel_ids)
        )
        return [ChannelType.from_view(view) for view in found if view is not None]
