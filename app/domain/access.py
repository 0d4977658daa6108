"""Who may do what: roles, ordered, and the principal a request acts as (pure, no I/O)."""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass

from app.errors import InvalidInput


class Role(enum.StrEnum):
    """viewer: read and subscribe; editor: also checks, triggers, silences, acknowledgements;
    admin: also clusters, channels, tokens, settings and the audit log."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        return _RANK[self] >= _RANK[needed]


_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: a token's name and role, or the anonymous viewer."""

    name: str
    role: Role
    token_id: uuid.UUID | None = None


ANONYMOUS = Principal("anonymous", Role.VIEWER)

_TOKEN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def validate_token_name(name: str) -> str:
    if not _TOKEN_NAME.match(name):
        raise InvalidInput(
            f"name: {name!r} is not a valid token name (letters, digits, '.', '_' and '-', "
            "starting with a letter or digit, at most 63 characters)",
            field="name",
        )
    return name
