"""Who is calling: API tokens on the GraphQL endpoint, over HTTP and websocket alike.

HTTP requests carry `Authorization: Bearer <token>`; a missing or bad token is a 401 before any
GraphQL runs (the GraphiQL page itself is served to anyone, it holds no data). A websocket may send
the header on its upgrade request or, as browsers must, `{"Authorization": "Bearer <token>"}` in its
`connection_init` payload; a bad one closes the socket with 4403.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from cross_web import HTTPException
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.types import ExceptionHandlersMap, Guard, Scope
from strawberry.exceptions import ConnectionRejectionError
from strawberry.litestar import make_graphql_controller
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from app.api.context import Context, build_context
from app.api.limits import OperationLimits
from app.api.schema import create_schema
from app.db import SessionFactory
from app.domain import json_nesting
from app.domain.access import ANONYMOUS, Principal
from app.keyring import Keyring
from app.logging import get_logger
from app.metrics import AUTH_REFUSALS
from app.models.columns import utcnow
from app.services.dispatch import Dispatcher
from app.services.event_fanout import EventFanout
from app.services.live_logs import LiveLogs
from app.services.ports import ClusterAccess
from app.services.tokens import authenticate

log = get_logger(__name__)
GRAPHQL_PATH = "/graphql"
PRINCIPAL_STATE = "patrol_principal"
TOKEN_REQUIRED = "an API token is required: send `Authorization: Bearer <token>`"


class BadCredentials(Exception):
    """A token was presented and is malformed, unknown or revoked."""


class Authenticator:
    def __init__(self, session_factory: SessionFactory, keyring: Keyring, *, anonymous_read: bool):
        self._session_factory = session_factory
        self._keyring = keyring
        self._anonymous_read = anonymous_read

    async def principal(self, authorization: str | None) -> Principal | None:
        """The principal for an Authorization value; None when none was given and anonymous
        access is off. Raises BadCredentials for a token that does not authenticate."""
        if authorization is None or not authorization.strip():
            return ANONYMOUS if self._anonymous_read else None
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise BadCredentials("the Authorization header must read `Bearer <token>`")
        async with self._session_factory.begin() as session:
            principal = await authenticate(session, self._keyring, token.strip(), now=utcnow())
        if principal is None:
            raise BadCredentials("the API token is unknown or revoked")
        return principal


def _client(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def _refuse(reason: str, client: str | None, transport: str) -> None:
    AUTH_REFUSALS.labels(transport=transport).inc()
    log.info(
        "request refused: not authenticated", reason=reason, client=client, transport=transport
    )


def graphql_controller(
    session_factory: SessionFactory,
    keyring: Keyring,
    dispatcher: Dispatcher,
    live: EventFanout | None,
    *,
    anonymous_read: bool,
    limits: OperationLimits,
    clusters: ClusterAccess | None = None,
    live_logs: LiveLogs | None = None,
) -> type[Any]:
    authenticator = Authenticator(session_factory, keyring, anonymous_read=anonymous_read)

    async def require_token(
        connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
    ) -> None:
        is_websocket = connection.scope["type"] == ScopeType.WEBSOCKET
        header = connection.headers.get("authorization")
        if is_websocket and header is None:
            return  # authenticated by its connection_init payload
        if (
            not is_websocket
            and connection.scope.get("method") == "GET"
            and "query" not in connection.query_params
        ):
            return  # the GraphiQL page
        transport = "websocket" if is_websocket else "http"
        try:
            principal = await authenticator.principal(header)
        except BadCredentials as error:
            _refuse(str(error), _client(connection.scope), transport)
            raise NotAuthorizedException(str(error)) from None
        if principal is None:
            _refuse("no token", _client(connection.scope), transport)
            raise NotAuthorizedException(TOKEN_REQUIRED)
        connection.scope.setdefault("state", {})[PRINCIPAL_STATE] = principal

    async def get_context(scope: Scope) -> Context:
        return build_context(
            session_factory,
            keyring=keyring,
            principal=(scope.get("state") or {}).get(PRINCIPAL_STATE),
            dispatcher=dispatcher,
            live=live,
            client=_client(scope),
            clusters=clusters,
            live_logs=live_logs,
        )

    base = make_graphql_controller(
        create_schema(limits),
        path=GRAPHQL_PATH,
        context_getter=get_context,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
    )

    class PatrolGraphQLController(base):  # type: ignore[valid-type,misc]
        guards: ClassVar[list[Guard]] = [require_token]
        exception_handlers: ClassVar[ExceptionHandlersMap] = {
            NotAuthorizedException: unauthenticated_response
        }

        def parse_json(self, data: str | bytes) -> Any:
            """HTTP bodies and GET parameters: a 400 that says what is wrong."""
            try:
                return json_nesting.loads(data)
            except json_nesting.TooDeeplyNested as error:
                reason = f"The request body is refused: {error}."
            except (json.JSONDecodeError, UnicodeDecodeError):
                reason = "Unable to parse request body as JSON"
            log.info("request refused: unreadable body", reason=reason, size=len(data))
            raise HTTPException(400, reason)

        def decode_json(self, data: str | bytes) -> object:
            """Websocket messages: Strawberry answers a JSONDecodeError as an invalid message."""
            try:
                return json_nesting.loads(data)
            except (json_nesting.TooDeeplyNested, UnicodeDecodeError) as error:
                raise json.JSONDecodeError(str(error), "", 0) from None

        async def on_ws_connect(self, context: Context) -> Any:
            if context.principal is not None:
                return await super().on_ws_connect(context)
            params = context.connection_params or {}
            presented = _authorization_param(params)
            try:
                principal = await authenticator.principal(presented)
            except BadCredentials as error:
                _refuse(str(error), context.client, "websocket")
                raise ConnectionRejectionError({"message": str(error)}) from None
            if principal is None:
                _refuse("no token", context.client, "websocket")
                raise ConnectionRejectionError({"message": TOKEN_REQUIRED})
            context.principal = principal
            return await super().on_ws_connect(context)

    return PatrolGraphQLController


def _authorization_param(params: dict[str, Any]) -> str | None:
    for key, value in params.items():
        if key.lower() == "authorization" and isinstance(value, str):
            return value
    return None


def unauthenticated_response(
    _request: Request[Any, Any, Any], error: NotAuthorizedException
) -> Response[dict[str, Any]]:
    """A 401 shaped as a GraphQL response, so GraphQL clients can show why."""
    return Response(
        {"errors": [{"message": error.detail, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="patrol"'},
    )
