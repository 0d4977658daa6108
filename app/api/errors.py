"""Maps errors to stable `extensions.code`s; unexpected exceptions are masked. Also the refusals
of operations over a limit (app/api/limits.py)."""

from __future__ import annotations

from collections.abc import Iterator

from graphql.error import GraphQLError
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.execution import ExecutionResult

from app.errors import PatrolError

INTERNAL_MESSAGE = "Internal server error"
# Strawberry's own refusals of a request (e.g. a query over the legacy graphql-ws protocol).
CLIENT_ERRORS = (InvalidOperationTypeError,)


class OperationRefused(PatrolError):
    """A limit this operation exceeds; logged as a refusal, not as a fault."""


class QueryTooLarge(OperationRefused):
    code = "QUERY_TOO_LARGE"


class QueryTooDeep(OperationRefused):
    code = "QUERY_TOO_DEEP"


class TooManyAliases(OperationRefused):
    code = "TOO_MANY_ALIASES"


class QueryTooComplex(OperationRefused):
    code = "QUERY_TOO_COMPLEX"


class OperationTimedOut(OperationRefused):
    code = "TIMEOUT"


def is_expected(error: GraphQLError) -> bool:
    """Domain errors and GraphQL's own errors (syntax, validation, variables) are the client's."""
    return (
        error.original_error is None
        or is_variable_error(error)
        or isinstance(error.original_error, (PatrolError, *CLIENT_ERRORS))
    )


def is_variable_error(error: GraphQLError) -> bool:
    """A variable of the wrong type, or a required one missing: graphql-core wraps the reason
    (itself a GraphQLError) before anything resolves, so the error has no path."""
    return error.path is None and isinstance(error.original_error, GraphQLError)


def with_code(error: GraphQLError) -> GraphQLError:
    """The error as the client sees it: with a stable code, and masked when unexpected."""
    original = error.original_error
    if original is None and "code" in (error.extensions or {}):
        return error
    if is_variable_error(error):
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            extensions={"code": "BAD_USER_INPUT"},
        )
    if original is None:
        extensions = {**(error.extensions or {}), "code": "GRAPHQL_VALIDATION_FAILED"}
        message = error.message
    elif isinstance(original, PatrolError):
        extensions = {"code": original.code, **original.details()}
        if original.field is not None:
            extensions["field"] = original.field
        message = original.message
    elif isinstance(original, CLIENT_ERRORS):
        extensions, message = {"code": "BAD_REQUEST"}, error.message
    else:
        extensions, message = {"code": "INTERNAL_SERVER_ERROR"}, INTERNAL_MESSAGE
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=original if isinstance(original, (PatrolError, *CLIENT_ERRORS)) else None,
        extensions=extensions,
    )


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, (GraphQLExecutionResult, ExecutionResult)) and result.errors:
            result.errors = [with_code(error) for error in result.errors]
