"""Role rules on every root field, and an audit record for every mutation.

Every field of Query, Mutation and Subscription is declared through `guarded_field`,
`guarded_mutation` or `guarded_subscription`; a test walks the schema and fails for any that is not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, cast

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info as AnyInfo
from strawberry.types.nodes import SelectedField

from app.domain.access import Role
from app.errors import Forbidden, PatrolError, Unauthenticated
from app.logging import get_logger
from app.models.columns import utcnow
from app.services.audit import audit_record

F = TypeVar("F", bound=Callable[..., Any])
log = get_logger(__name__)
CANCELLED = "cancelled before it finished: over the time limit, or the client went away"


class RoleRequired(BasePermission):
    role: ClassVar[Role]

    def has_permission(self, source: Any, info: AnyInfo, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal is None:
            raise Unauthenticated("an API token is required")
        return bool(principal.role.allows(self.role))

    def on_unauthorized(self) -> None:
        raise Forbidden(f"this operation needs the {self.role} role")


class ViewerRole(RoleRequired):
    role = Role.VIEWER


class EditorRole(RoleRequired):
    role = Role.EDITOR


class AdminRole(RoleRequired):
    role = Role.ADMIN


_PERMISSIONS: dict[Role, type[RoleRequired]] = {
    Role.VIEWER: ViewerRole,
    Role.EDITOR: EditorRole,
    Role.ADMIN: AdminRole,
}


def required_role(field_extensions: list[FieldExtension]) -> Role | None:
    """The role a field's extensions demand, if any (for the schema-walking test)."""
    for extension in field_extensions:
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                if isinstance(permission, RoleRequired):
                    return permission.role
    return None


def _permission(role: Role) -> PermissionExtension:
    return PermissionExtension([_PERMISSIONS[role]()], use_directives=False)


def _describe(description: str | None, role: Role) -> str:
    needs = f"Needs the {role.value} role."
    return f"{description} {needs}" if description else needs


class AuditTrail(FieldExtension):
    """Records who called a mutation, with which (masked) arguments, and how it ended. The outermost
    extension, so refusals by the role rule are recorded too."""

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: AnyInfo, **kwargs: Any
    ) -> Any:
        selected = info.selected_fields[0] if info.selected_fields else None
        arguments = selected.arguments if isinstance(selected, SelectedField) else {}
        try:
            result = await next_(source, info, **kwargs)
        except PatrolError as error:
            await _record(info, arguments, error.code, error.message)
            raise
        except Exception:
            await _record(info, arguments, "INTERNAL_SERVER_ERROR", None)
            raise
        except asyncio.CancelledError:
            # Over the time limit, or the client went away: its transaction was rolled back.
            await asyncio.shield(_record(info, arguments, "CANCELLED", CANCELLED))
            raise
        await _record(info, arguments, "OK", None)
        return result


async def _record(
    info: AnyInfo, arguments: dict[str, Any], outcome: str, message: str | None
) -> None:
    context = info.context
    if context.principal is None:
        return
    record = audit_record(
        context.principal,
        operation=info.field_name,
        arguments=arguments,
        outcome=outcome,
        message=message,
        client=context.client,
        at=utcnow(),
    )
    try:
        async with context.session_factory.begin() as session:
            session.add(record)
    except Exception:
        log.exception("writing an audit record failed", operation=info.field_name)


def guarded_field(role: Role, description: str | None = None) -> Callable[[F], F]:
    return cast(
        Callable[[F], F],
        strawberry.field(description=_describe(description, role), extensions=[_permission(role)]),
    )


def guarded_mutation(role: Role, description: str | None = None) -> Callable[[F], F]:
    return cast(
        Callable[[F], F],
        strawberry.mutation(
            description=_describe(description, role),
            extensions=[_permission(role), AuditTrail()],
        ),
    )


def guarded_subscription(role: Role, description: str | None = None) -> Callable[[F], F]:
    return cast(
        Callable[[F], F],
        strawberry.subscription(
            description=_describe(description, role), extensions=[_permission(role)]
        ),
    )
