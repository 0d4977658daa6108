"""The Strawberry context: the session factory and this request's DataLoaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from strawberry.litestar import BaseContext
from strawberry.types import Info as StrawberryInfo

from app.api.dataloaders import Loaders
from app.db import SessionFactory
from app.services.dispatch import DatabaseOnly, Dispatcher


class Context(BaseContext, kw_only=True):
    session_factory: SessionFactory
    loaders: Loaders
    dispatcher: Dispatcher


Info = StrawberryInfo[Context, None]


def build_context(session_factory: SessionFactory, dispatcher: Dispatcher | None = None) -> Context:
    """A fresh context (fresh loader caches) for one operation; tests pass it to schema.execute."""
    return Context(
        session_factory=session_factory,
        loaders=Loaders.create(session_factory),
        dispatcher=dispatcher or DatabaseOnly(),
    )


def make_context_getter(
    session_factory: SessionFactory, dispatcher: Dispatcher
) -> Callable[[], Awaitable[Context]]:
    """The `context_getter` for strawberry.litestar.make_graphql_controller."""

    async def get_context() -> Context:
        return build_context(session_factory, dispatcher)

    return get_context
