"""The Strawberry context: who is asking, the session factory and this request's DataLoaders."""

from __future__ import annotations

from typing import Any

from strawberry.litestar import BaseContext
from strawberry.types import Info as StrawberryInfo

from app.api.dataloaders import Loaders
from app.db import SessionFactory
from app.domain.access import Principal
from app.keyring import Keyring
from app.services.dispatch import DatabaseOnly, Dispatcher
from app.services.event_fanout import EventFanout
from app.services.live_logs import LiveLogs
from app.services.ports import ClusterAccess


class Context(BaseContext, kw_only=True):
    session_factory: SessionFactory
    loaders: Loaders
    dispatcher: Dispatcher
    keyring: Keyring
    # The process's live updates; None where nothing follows the event log (some tests, tools).
    live: EventFanout | None = None
    clusters: ClusterAccess | None = None
    # Runs' logs for runLogs; None where this process reads none.
    live_logs: LiveLogs | None = None
    # None until authenticated: a websocket authenticates with its connection_init payload.
    principal: Principal | None = None
    client: str | None = None
    # Set by Strawberry from a websocket's connection_init payload.
    connection_params: dict[str, Any] | None = None


Info = StrawberryInfo[Context, None]


def build_context(
    session_factory: SessionFactory,
    *,
    keyring: Keyring,
    principal: Principal | None,
    dispatcher: Dispatcher | None = None,
    live: EventFanout | None = None,
    client: str | None = None,
    clusters: ClusterAccess | None = None,
    live_logs: LiveLogs | None = None,
) -> Context:
    """A fresh context (fresh loader caches) for one operation; tests pass it to schema.execute."""
    return Context(
        session_factory=session_factory,
        loaders=Loaders.create(session_factory),
        dispatcher=dispatcher or DatabaseOnly(),
        live=live,
        keyring=keyring,
        principal=principal,
        client=client,
        clusters=clusters,
        live_logs=live_logs,
    )
