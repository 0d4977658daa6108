"""What CLI commands that talk to a running Patrol share: one GraphQL call over HTTP, as the
holder of an API token, with failures turned into one sentence."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

DEFAULT_SERVER = "http://127.0.0.1:8080"
# Applying a large directory validates every document on the server.
REQUEST_TIMEOUT_SECONDS = 300.0

ServerOption = Annotated[
    str, typer.Option(envvar="PATROL_SERVER", help="Patrol's base URL [PATROL_SERVER].")
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        envvar="PATROL_TOKEN",
        show_default=False,
        help="An API token [PATROL_TOKEN]; default: the embedded default's admin.token.",
    ),
]


class ClientError(Exception):
    """The call did not get an answer: say why in one sentence."""


@dataclass(frozen=True, slots=True)
class PatrolClient:
    server: str
    token: str

    def execute(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.server.rstrip('/')}/graphql"
        try:
            response = httpx.post(
                url,
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=REQUEST_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError as error:
            raise ClientError(f"cannot reach Patrol at {url}: {error}") from None
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            raise ClientError(f"Patrol at {url} answered HTTP {response.status_code}") from None
        errors = body.get("errors") or []
        if errors:
            first = errors[0]
            code = (first.get("extensions") or {}).get("code")
            raise ClientError(f"{first.get('message')}" + (f" ({code})" if code else ""))
        data: dict[str, Any] = body["data"]
        return data


def client(server: str, token: str | None, data_dir: Path) -> PatrolClient:
    if token is None:
        bootstrap = data_dir / "admin.token"
        if not bootstrap.is_file():
            raise ClientError(
                "an API token is required: set PATROL_TOKEN or pass --token "
                "(`patrol token create --role editor --name NAME` makes one)"
            )
        token = bootstrap.read_text().strip()
    return PatrolClient(server, token)


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=code)
