"""Kuberhealthy's status outputs: the status JSON at `/json` (and at `/` for a client that asks
for JSON), and the per-check series of `/metrics`.

Kuberhealthy served both to anyone. Patrol's checks, namespaces and error texts are API data, so
both need a token of any role (`Authorization: Bearer`), as GraphQL queries do, unless
`PATROL_ANONYMOUS_READ=true`. Without one, `/metrics` still serves Patrol's own metrics and says
in a comment why the check series are missing. Reads go through the API's engine."""

from __future__ import annotations

import socket
from typing import Any

from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.response import File

from app.api.authentication import TOKEN_REQUIRED, Authenticator, BadCredentials
from app.console import console_directory, console_page
from app.domain.kuberhealthy.metrics import render_kuberhealthy_metrics
from app.domain.kuberhealthy.status import status_document
from app.models.columns import utcnow
from app.runtime import Runtime
from app.services import kuberhealthy_status

WITHHELD = (
    "# Kuberhealthy check series withheld: send a token of any role "
    "(Authorization: Bearer <token>) or set PATROL_ANONYMOUS_READ=true\n"
)


class StatusAccess:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._authenticator = Authenticator(
            runtime.api_session_factory,
            runtime.keyring,
            anonymous_read=runtime.settings.anonymous_read,
        )
        # In Kubernetes, the pod's name: what Kuberhealthy reports as its current master.
        self.current_master = socket.gethostname()

    async def refusal(self, request: Request[Any, Any, Any]) -> str | None:
        """Why the caller may not read check status; None when it may."""
        try:
            principal = await self._authenticator.principal(request.headers.get("authorization"))
        except BadCredentials as error:
            return str(error)
        return TOKEN_REQUIRED if principal is None else None

    async def document(self, namespaces: list[str] | None, cluster: str | None) -> dict[str, Any]:
        async with self._runtime.api_session_factory() as session:
            states = await kuberhealthy_status.check_states(
                session, namespaces=namespaces, cluster=cluster
            )
            clusters = await kuberhealthy_status.cluster_names(session, only=cluster)
        return status_document(
            states, current_master=self.current_master, with_cluster_in_key=len(clusters) > 1
        )

    async def metrics(self) -> str:
        async with self._runtime.api_session_factory() as session:
            states = await kuberhealthy_status.check_states(session)
            clusters = await kuberhealthy_status.cluster_names(session)
        return render_kuberhealthy_metrics(
            states, clusters, current_master=self.current_master, now=utcnow()
        )


def status_handlers(runtime: Runtime) -> list[HTTPRouteHandler]:
    access = StatusAccess(runtime)

    async def answer(request: Request[Any, Any, Any]) -> Response[Any]:
        refusal = await access.refusal(request)
        if refusal is not None:
            return Response(
                {"error": refusal},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="patrol"'},
            )
        namespaces = [
            name.strip()
            for name in (request.query_params.get("namespace") or "").split(",")
            if name.strip()
        ]
        cluster = request.query_params.get("cluster") or None
        return Response(await access.document(namespaces or None, cluster))

    @get("/json")
    async def status_json(request: Request[Any, Any, Any]) -> Response[Any]:
        return await answer(request)

    console = console_directory(runtime.settings.console_dir)

    @get("/")
    async def root(request: Request[Any, Any, Any]) -> Response[Any] | File:
        # Kuberhealthy's dashboards read its status at `/` as JSON; people get the console.
        if "application/json" in request.headers.get("accept", ""):
            return await answer(request)
        return console_page(console)

    return [status_json, root]
