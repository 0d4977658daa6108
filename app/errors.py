"""Domain errors with stable codes; the API maps `code` to GraphQL `extensions.code`."""

from __future__ import annotations


class PatrolError(Exception):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(PatrolError):
    code = "BAD_USER_INPUT"


class NotFound(PatrolError):
    code = "NOT_FOUND"


class Conflict(PatrolError):
    code = "CONFLICT"


class ClusterUnreachable(PatrolError):
    code = "CLUSTER_UNREACHABLE"


class Unauthenticated(PatrolError):
    code = "UNAUTHENTICATED"


class Forbidden(PatrolError):
    code = "FORBIDDEN"
