"""The GraphQL schema: every root field carries a role rule (see app/api/access.py), and every
operation runs within OperationLimits (see app/api/limits.py)."""

from __future__ import annotations

from typing import cast

import strawberry
from graphql import (
    ConstValueNode,
    GraphQLArgument,
    GraphQLDefaultInput,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
)
from graphql.error import GraphQLError
from strawberry.printer.ast_from_value import ast_from_leaf_type
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from app.api.access_schema import AccessMutation, AccessQuery
from app.api.alerting.alert_schema import AlertMutation, AlertQuery
from app.api.alerting.alert_subscription import AlertSubscription
from app.api.alerting.config_schema import AlertConfigMutation, AlertConfigQuery
from app.api.catalog_schema import CatalogMutation, CatalogQuery
from app.api.errors import ErrorCodes, OperationRefused, QueryTooLarge, is_expected, with_code
from app.api.limits import OperationLimits, OperationLimitsExtension
from app.api.manifests_schema import ManifestMutation, ManifestQuery
from app.api.mutations import Mutation
from app.api.queries import Query
from app.api.shared_results import SharingExecutor
from app.api.subscriptions import Subscription
from app.logging import get_logger

log = get_logger(__name__)
# One operation may fail in thousands of fields at once (the incident logged a gigabyte).
MAX_FAULTS_LOGGED = 5


class PatrolSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if _is_refusal(error):
                log.info(
                    "request refused: over a limit",
                    code=(error.extensions or {}).get("code")
                    or getattr(error.original_error, "code", None),
                    reason=error.message,
                    operation=execution_context.operation_name if execution_context else None,
                )
        # Domain and validation errors are answers to the client, not server faults: log the rest,
        # a few in full (without the document, which may be a megabyte on one line) and a count.
        unexpected = [error for error in errors if not is_expected(error)]
        if unexpected:
            super().process_errors(
                [_without_source(error) for error in unexpected[:MAX_FAULTS_LOGGED]],
                execution_context,
            )
        if len(unexpected) > MAX_FAULTS_LOGGED:
            log.error(
                "more unexpected errors in the same operation",
                count=len(unexpected) - MAX_FAULTS_LOGGED,
                operation=execution_context.operation_name if execution_context else None,
            )
        # Rewritten in place: this is the one hook every transport (HTTP, both websocket
        # protocols, subscriptions) runs before the result goes out.
        errors[:] = [with_code(error) for error in errors]


def _without_source(error: GraphQLError) -> GraphQLError:
    return GraphQLError(error.message, path=error.path, original_error=error.original_error)


def _is_refusal(error: GraphQLError) -> bool:
    return isinstance(error.original_error, OperationRefused) or (
        (error.extensions or {}).get("code") == QueryTooLarge.code
    )


RootQuery = merge_types(
    "Query", (Query, AccessQuery, ManifestQuery, CatalogQuery, AlertConfigQuery, AlertQuery)
)
RootSubscription = merge_types("Subscription", (Subscription, AlertSubscription))
RootMutation = merge_types(
    "Mutation",
    (
        Mutation,
        AccessMutation,
        ManifestMutation,
        CatalogMutation,
        AlertConfigMutation,
        AlertMutation,
    ),
)


def create_schema(limits: OperationLimits) -> PatrolSchema:
    created = PatrolSchema(
        query=RootQuery,
        mutation=RootMutation,
        subscription=RootSubscription,
        execution_context_class=SharingExecutor,
        extensions=[ErrorCodes, lambda: OperationLimitsExtension(limits)],
    )
    _introspectable_json_defaults(created._schema)
    return created


def _introspectable_json_defaults(graphql_schema: GraphQLSchema) -> None:
    """graphql-core cannot turn a JSON default such as `{}` into a literal for introspection
    (every GraphiQL schema fetch got INTERNAL_SERVER_ERRORs for those fields): give it one."""
    for named in graphql_schema.type_map.values():
        values: list[GraphQLArgument | GraphQLInputField] = []
        if isinstance(named, GraphQLInputObjectType):
            values.extend(named.fields.values())
        elif isinstance(named, (GraphQLObjectType, GraphQLInterfaceType)):
            values.extend(arg for field in named.fields.values() for arg in field.args.values())
        for value in values:
            if isinstance(value.default_value, dict) and value.default is None:
                value.default = GraphQLDefaultInput(
                    literal=cast(ConstValueNode, ast_from_leaf_type(value.default_value, None))
                )


# With the default limits: for exporting the SDL and for tests that execute operations directly.
schema = create_schema(OperationLimits())
