"""Bearer-token authentication, as kube-apiserver does it for static tokens.

Only the public-info endpoints are served to anonymous callers (the paths of the default
`system:public-info-viewer` role); every other request needs `Authorization: Bearer <token>`, and
anything else gets the apiserver's 401 Unauthorized Status."""

from __future__ import annotations

import hmac
import json
import re
import secrets
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from app.localcluster.errors import status_body

PUBLIC_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/version", "/version/"})

UNAUTHORIZED_BODY = json.dumps(status_body(401, "Unauthorized", "Unauthorized")).encode()

# A token travels in an HTTP header and a kubeconfig: printable ASCII, no spaces.
_TOKEN_SHAPE = re.compile(r"[\x21-\x7e]+")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def checked_token(token: str | None) -> str:
    """`token`, or a fresh one when None; refuses tokens no client could send."""
    if token is None:
        return new_token()
    if not _TOKEN_SHAPE.fullmatch(token):
        raise ValueError("a local cluster token must be non-empty printable ASCII without spaces")
    return token


class Authenticator:
    def __init__(self, token: str) -> None:
        self._token = checked_token(token).encode()

    def accepts(self, scope: Scope) -> bool:
        """Whether the request carries this cluster's bearer token."""
        header = _first_header(scope, b"authorization")
        if header is None:
            return False
        # As the apiserver's bearer-token reader: case-insensitive scheme, whitespace-separated.
        parts = header.split()
        if len(parts) < 2 or parts[0].lower() != b"bearer":
            return False
        return hmac.compare_digest(parts[1], self._token)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS


def _first_header(scope: Scope, name: bytes) -> bytes | None:
    headers: Any = scope.get("headers") or ()
    for key, value in headers:
        if key.lower() == name:
            return bytes(value)
    return None


def with_authentication(app: ASGIApp, authenticator: Authenticator) -> ASGIApp:
    """Wraps the whole app, so that unknown paths and methods need the token too (Litestar runs
    its own middleware only for matched routes)."""

    async def authenticated(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in (ScopeType.HTTP, ScopeType.WEBSOCKET) and not (
            is_public(scope["path"]) or authenticator.accepts(scope)
        ):
            if scope["type"] == ScopeType.HTTP:
                await _send_unauthorized(send)
            else:
                await send({"type": "websocket.close", "code": 1008, "reason": "Unauthorized"})
            return
        await app(scope, receive, send)

    return authenticated


async def _send_unauthorized(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(UNAUTHORIZED_BODY)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": UNAUTHORIZED_BODY, "more_body": False})
