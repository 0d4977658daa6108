"""The GraphQL schema. Subscriptions arrive with a later issue: pass `subscription=` here."""

from __future__ import annotations

import strawberry
from graphql.error import GraphQLError
from strawberry.types import ExecutionContext

from app.api.errors import ErrorCodes
from app.api.mutations import Mutation
from app.api.queries import Query
from app.errors import PatrolError


class PatrolSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Domain errors are answers to the client, not server faults: log only the rest.
        unexpected = [e for e in errors if not isinstance(e.original_error, PatrolError)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


schema = PatrolSchema(query=Query, mutation=Mutation, extensions=[ErrorCodes])
