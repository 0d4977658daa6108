"""Domain errors with stable codes; the API maps `code` to GraphQL `extensions.code`."""

from __future__ import annotations


class PatrolError(Exception):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def details(self) -> dict[str, str]:
        """More for the client than the message says, as GraphQL error extensions."""
        return {}


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


class SubscriberTooSlow(PatrolError):
    """A subscription whose client fell too far behind; it may resubscribe from `after`."""

    code = "SUBSCRIBER_TOO_SLOW"

    def __init__(self, message: str, *, after: str) -> None:
        super().__init__(message)
        self.after = after

    def details(self) -> dict[str, str]:
        return {"after": self.after}
