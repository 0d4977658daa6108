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
from app.services.alerting import channel_config, channel_test, rule_config, silence_config


def _principal(info: Info) -> Principal:
    principal = info.context.principal
    assert principal is not None  # the role rule let it through
    return principal


@strawberry.type
class AlertConfigQuery:
    @guarded_field(Role.VIEWER, "Notification channels, by name; URLs masked.")
    async def channels(self, info: Info) -> list[ChannelType]:
        async with info.context.session_factory() as session:
            views = await channel_config.list_channels(session)
        return [ChannelType.from_view(view) for view in views]

    @guarded_field(Role.VIEWER, "Alert rules, by name.")
    async def rules(self, info: Info) -> list[RuleType]:
        async with info.context.session_factory() as session:
            views = await rule_config.list_rules(session)
        return [RuleType.from_view(view) for view in views]

    @guarded_field(Role.VIEWER, "Silences, newest first; expired ones only when asked.")
    async def silences(self, info: Info, include_expired: bool = False) -> list[SilenceType]:
        async with info.context.session_factory() as session:
            views = await silence_config.list_silences(
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
            view = await channel_config.create_channel(session, draft, info.context.keyring)
        return ChannelType.from_view(view)

    @guarded_mutation(Role.ADMIN)
    async def update_channel(self, info: Info, input: UpdateChannelInput) -> ChannelType:
        channel_id, changes = parse_id(input.id), input.to_changes()
        async with info.context.session_factory.begin() as session:
            view = await channel_config.update_channel(
                session, channel_id, changes, info.context.keyring
            )
        return ChannelType.from_view(view)

    @guarded_mutation(Role.ADMIN, "Deletes the channel; rules stop sending to it.")
    async def delete_channel(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        channel_id = parse_id(id)
        async with info.context.session_factory.begin() as session:
            await channel_config.delete_channel(session, channel_id)
        return id

    @guarded_mutation(
        Role.ADMIN,
        "Sends a test message through the channel now and says, per URL, what happened.",
    )
    async def test_channel(self, info: Info, id: strawberry.ID) -> ChannelTestResultType:
        sent = await channel_test.send_channel_test(
            info.context.session_factory, info.context.keyring, parse_id(id)
        )
        return ChannelTestResultType(
            channel=ChannelType.from_view(sent.channel),
            ok=sent.ok,
            results=[ChannelUrlTestResultType.from_outcome(outcome) for outcome in sent.outcomes],
        )

    @guarded_mutation(Role.EDITOR, "Creates an alert rule; templates are checked now.")
    async def create_rule(self, info: Info, input: CreateRuleInput) -> RuleType:
        draft = input.to_draft()
        async with info.context.session_factory.begin() as session:
            view = await rule_config.create_rule(session, draft)
        return RuleType.from_view(view)

    @guarded_mutation(Role.EDITOR)
    async def update_rule(self, info: Info, input: UpdateRuleInput) -> RuleType:
        rule_id, changes = parse_id(input.id), input.to_changes()
        async with info.context.session_factory.begin() as session:
            view = await rule_config.update_rule(session, rule_id, changes)
        return RuleType.from_view(view)

    @guarded_mutation(Role.EDITOR, "Deletes the rule and its alerts.")
    async def delete_rule(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        rule_id = parse_id(id)
        async with info.context.session_factory.begin() as session:
            await rule_config.delete_rule(session, rule_id)
        return id

    @guarded_mutation(Role.EDITOR, "Creates a silence; its author is the caller's token name.")
    async def create_silence(self, info: Info, input: CreateSilenceInput) -> SilenceType:
        now = utcnow()
        draft = input.to_draft(now)
        async with info.context.session_factory.begin() as session:
            view = await silence_config.create_silence(
                session, draft, author=_principal(info).name, now=now
            )
        return SilenceType.from_view(view)

    @guarded_mutation(Role.EDITOR, "Ends a silence now; it never silences again.")
    async def expire_silence(self, info: Info, id: strawberry.ID) -> SilenceType:
        silence_id = parse_id(id)
        async with info.context.session_factory.begin() as session:
            view = await silence_config.expire_silence(session, silence_id, now=utcnow())
        return SilenceType.from_view(view)

    @guarded_mutation(Role.EDITOR, "Deletes a silence; transitions recorded under it keep its id.")
    async def delete_silence(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        silence_id = parse_id(id)
        async with info.context.session_factory.begin() as session:
            await silence_config.delete_silence(session, silence_id)
        return id
