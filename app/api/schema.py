"""The GraphQL schema: every root field carries a role rule (see app/api/access.py)."""

from __future__ import annotations

import strawberry
from graphql.error import GraphQLError
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from app.api.access_schema import AccessMutation, AccessQuery
from app.api.errors import ErrorCodes, is_expected, with_code
from app.api.mutations import Mutation
from app.api.queries import Query


class PatrolSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Domain and validation errors are answers to the client, not server faults: log the rest.
        unexpected = [error for error in errors if not is_expected(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)
        # Rewritten in place: this is the one hook every transport (HTTP, both websocket
        # protocols, subscriptions) runs before the result goes out.
        errors[:] = [with_code(error) for error in errors]


RootQuery = merge_types("Query", (Query, AccessQuery))
RootMutation = merge_types("Mutation", (Mutation, AccessMutation))

schema = PatrolSchema(query=RootQuery, mutation=RootMutation, extensions=[ErrorCodes])
