"""GraphQL for access control: who am I, API tokens, and the audit log."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

import app.api.enums  # noqa: F401  (registers the enums before they are used)
from app.api.access import guarded_field, guarded_mutation
from app.api.context import Info
from app.api.inputs import parse_id
from app.api.pagination import decode_cursor, encode_cursor, page_size
from app.api.types import Connection, Edge, PageInfo
from app.domain.access import Role
from app.errors import InvalidInput
from app.models import ApiToken, AuditRecord
from app.models.columns import utcnow
from app.services import audit, tokens


@strawberry.type(name="Principal", description="Who a request acts as.")
class PrincipalType:
    name: str
    role: Role


@strawberry.type(name="ApiToken", description="An API token; the token itself is never returned.")
class ApiTokenType:
    id: strawberry.ID
    name: str
    role: Role
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_model(cls, token: ApiToken) -> ApiTokenType:
        return cls(
            id=strawberry.ID(str(token.id)),
            name=token.name,
            role=token.role,
            created_by=token.created_by,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )


@strawberry.type(name="IssuedApiToken")
class IssuedApiTokenType:
    token: str = strawberry.field(
        description="The token: send it as `Authorization: Bearer <token>`. Shown only this once."
    )
    api_token: ApiTokenType


@strawberry.type(name="AuditRecord", description="One mutation: who, what, when and its outcome.")
class AuditRecordType:
    id: strawberry.ID
    at: datetime
    actor: str
    actor_role: Role
    operation: str
    target: str | None
    arguments: JSON = strawberry.field(description="The arguments, with secrets masked.")
    outcome: str = strawberry.field(description="OK, or the error code.")
    message: str | None
    client: str | None

    @classmethod
    def from_model(cls, record: AuditRecord) -> AuditRecordType:
        return cls(
            id=strawberry.ID(str(record.id)),
            at=record.at,
            actor=record.actor,
            actor_role=record.actor_role,
            operation=record.operation,
            target=record.target,
            arguments=JSON(record.arguments),
            outcome=record.outcome,
            message=record.message,
            client=record.client,
        )


@strawberry.input
class CreateApiTokenInput:
    name: str
    role: Role


@strawberry.input
class AuditFilterInput:
    actor: str | None = None
    operation: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def to_filter(self) -> audit.AuditFilter:
        for name, instant in (("since", self.since), ("until", self.until)):
            if instant is not None and instant.tzinfo is None:
                raise InvalidInput(
                    f"filter.{name}: include a UTC offset, e.g. 2024-01-01T00:00:00Z",
                    field=f"filter.{name}",
                )
        return audit.AuditFilter(
            actor=self.actor,
            operation=self.operation,
            outcome=self.outcome,
            since=self.since,
            until=self.until,
        )


@strawberry.type
class AccessQuery:
    @guarded_field(Role.VIEWER, "Who this request acts as (its token's name and role).")
    def me(self, info: Info) -> PrincipalType:
        principal = info.context.principal
        assert principal is not None  # the role rule let it through
        return PrincipalType(name=principal.name, role=principal.role)

    @guarded_field(Role.ADMIN, "API tokens, by name.")
    async def api_tokens(self, info: Info, include_revoked: bool = False) -> list[ApiTokenType]:
        async with info.context.session_factory() as session:
            found = await tokens.list_tokens(session, include_revoked=include_revoked)
        return [ApiTokenType.from_model(token) for token in found]

    @guarded_field(Role.ADMIN, "Every mutation, newest first.")
    async def audit_log(
        self,
        info: Info,
        filter: AuditFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditRecordType]:
        limit = page_size(first)
        where = (filter or AuditFilterInput()).to_filter()
        before_id = None if after is None else _audit_key(after)
        async with info.context.session_factory() as session:
            records = await audit.list_audit_records(
                session, where, limit=limit + 1, before_id=before_id
            )
        page = records[:limit]

        async def count() -> int:
            async with info.context.session_factory() as session:
                return await audit.count_audit_records(session, where)

        edges = [
            Edge(
                cursor=encode_cursor("audit", [record.id]), node=AuditRecordType.from_model(record)
            )
            for record in page
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(records) > limit,
                has_previous_page=False,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            count=count,
        )


def _audit_key(cursor: str) -> int:
    (record_id,) = decode_cursor("audit", cursor, arity=1)
    if not isinstance(record_id, int):
        raise InvalidInput(f"after: {cursor!r} is not a valid audit cursor", field="after")
    return record_id


@strawberry.type
class AccessMutation:
    @guarded_mutation(Role.ADMIN, "Creates an API token; the answer is the only time it is shown.")
    async def create_api_token(self, info: Info, input: CreateApiTokenInput) -> IssuedApiTokenType:
        principal = info.context.principal
        assert principal is not None
        async with info.context.session_factory.begin() as session:
            issued = await tokens.issue_token(
                session,
                info.context.keyring,
                name=input.name,
                role=input.role,
                created_by=principal.name,
                now=utcnow(),
            )
        return IssuedApiTokenType(
            token=issued.secret, api_token=ApiTokenType.from_model(issued.token)
        )

    @guarded_mutation(Role.ADMIN, "Revokes a token at once, for HTTP and new websockets alike.")
    async def revoke_api_token(self, info: Info, id: strawberry.ID) -> ApiTokenType:
        token_id = parse_id(id)
        async with info.context.session_factory.begin() as session:
            token = await tokens.revoke_token(session, token_id=token_id, now=utcnow())
        return ApiTokenType.from_model(token)
