"""The GraphQL schema. Subscriptions arrive with a later issue: pass `subscription=` here."""

from __future__ import annotations

import strawberry
from graphql.error import GraphQLError
from strawberry.types import ExecutionContext

from app.api.errors import ErrorCodes, is_expected
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


schema = PatrolSchema(query=Query, mutation=Mutation, extensions=[ErrorCodes])
