"""GraphQL for alerting's configuration: channels (admin: their URLs are credentials), rules and
silences (editor).

Rules are the editor's, like checks: a rule says when a check's failure pages someone, and it can
only send to channels an admin set up, so writing one reveals and spends no credential.
"""

from __future__ import annotations

import strawberry

from app.api.access import guarded_field, guarded_mutation
from app.api.alerting.channel_inputs import CreateChannelInput, UpdateChannelInput
from app.api.alerting.channel_types import (
    ChannelTestResultType,
    ChannelType,
    ChannelUrlTestResultType,
)
from app.api.alerting.rule_inputs import CreateRuleInput, UpdateRuleInput
from app.api.alerting.rule_types import RuleType
from app.api.alerting.silence_inputs import CreateSilenceInput
from app.api.alerting.silence_types import SilenceType
from app.api.context import Info
from app.api.inputs import parse_id
from app.domain.access import Principal, Role
from app.models.columns import utcnow
from app.services import alert_channels, alert_rules, silences
from app.services.channel_test import default_sender, send_test_message


def _principal(info: Info) -> Principal:
    principal = info.context.principal
    assert principal is not None  # the role rule let it through
    return principal


@strawberry.type
class AlertConfigQuery:
    @guarded_field(Role.VIEWER, "Notification channels, by name; URLs masked.")
    async def channels(self, info: Info) -> list[ChannelType]:
        async with info.context.session_factory() as session:
            views = await alert_channels.list_channels(session)
        return [ChannelType.from_view(view) for view in views]

    @guarded_field(Role.VIEWER, "Alert rules, by name.")
    async def rules(self, info: Info) -> list[RuleType]:
        async with info.context.session_factory() as session:
            views = await alert_rules.list_rules(session)
        return [RuleType.from_view(view) for view in views]

    @guarded_field(Role.VIEWER, "Silences, newest first; expired ones only when asked.")
    async def silences(self, info: Info, include_expired: bool = False) -> list[SilenceType]:
        async with info.context.session_factory() as session:
            views = await silences.list_silences(
                session, now=utcnow(), include_expired=include_expired
            )
        return [SilenceType.from_view(view) for view in views]


@strawberry.type
class AlertConfigMutation:
    @guarded_mutation(
        Role.ADMIN, "Creates a channel; each URL must be one Apprise accepts (BAD_USER_INPUT)."
    )
    async def create_channel(self, info: Info, input: CreateChannelInput) -> ChannelType:
        draft = input.to_draft()
        async with info.context.session_factory.begin() as session:
            view = await alert_channels.create_channel(session, draft, info.context.keyring)
        return ChannelType.from_view(view)

    @guarded_mutation(Role.ADMIN)
    async def update_channel(self, info: Info, input: UpdateChannelInput) -> ChannelType:
        channel_id, changes = parse_id(input.id), input.to_changes()
        async with info.context.session_factory.begin() as session:
            view = await alert_channels.update_channel(
                session, channel_id, changes, info.context.keyring
            )
        return ChannelType.from_view(view)

    @guarded_mutation(Role.ADMIN, "Deletes the channel; rules stop sending to it.")
    async def delete_channel(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        channel_id = parse_id(id)
        async with info.context.session_factory.begin() as session:
            await alert_channels.delete_channel(session, channel_id)
        return id

    @guarded_mutation(
        Role.ADMIN,
        "Sends a test message through the channel now and says, per URL, what happened.",
    )
    async def test_channel(self, info: Info, id: strawberry.ID) -> ChannelTestResultType:
        channel_id = parse_id(id)
        async with info.context.session_factory() as session:
            view, targets = await alert_channels.channel_targets(
                session, channel_id, info.context.keyring
            )
        outcomes = await send_test_message(
            default_sender(), targets, channel_name=view.name, actor=_principal(info).name
        )
        return ChannelTestResultType(
            channel=ChannelType.from_view(view),
            ok=all(outcome.status != "failed" for outcome in outcomes),
            results=[ChannelUrlTestResultType.from_outcome(outcome) for outcome in outcomes],
        )

    @guarded_mutation(Role.EDITOR, "Creates an alert rule; templates are checked now.")
    async def create_rule(self, info: Info, input: CreateRuleInput) -> RuleType:
        draft = input.to_draft()
        async with info.context.session_factory.begin() as session:
            view = await alert_rules.create_rule(session, draft)
        return RuleType.from_view(view)

    @guarded_mutation(Role.EDITOR)
    async def update_rule(self, info: Info, input: UpdateRuleInput) -> RuleType:
        rule_id, changes = parse_id(input.id), input.to_changes()
        async with info.context.session_factory.begin() as session:
            view = await alert_rules.update_rule(session, rule_id, changes)
        return RuleType.from_view(view)

    @guarded_mutation(Role.EDITOR, "Deletes the rule and its alerts.")
    async def delete_rule(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        rule_id = parse_id(id)
        async with info.context.session_factory.begin() as session:
            await alert_rules.delete_rule(session, rule_id)
        return id

    @guarded_mutation(Role.EDITOR, "Creates a silence; its author is the caller's token name.")
    async def create_silence(self, info: Info, input: CreateSilenceInput) -> SilenceType:
        now = utcnow()
        draft = input.to_draft(now)
        async with info.context.session_factory.begin() as session:
            view = await silences.create_silence(
                session, draft, author=_principal(info).name, now=now
            )
        return SilenceType.from_view(view)

    @guarded_mutation(Role.EDITOR, "Ends a silence now; it never silences again.")
    async def expire_silence(self, info: Info, id: strawberry.ID) -> SilenceType:
        silence_id = parse_id(id)
        async with info.context.session_factory.begin() as session:
            view = await silences.expire_silence(session, silence_id, now=utcnow())
        return SilenceType.from_view(view)
