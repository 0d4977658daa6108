"""Reading a kubeconfig a user registers, without ever quoting it back (it holds credentials).

Only self-contained kubeconfigs are accepted: certificates and keys inline (`*-data`), tokens
inline. File references would read files on Patrol's host, and exec or auth-provider plugins would
run commands there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import yaml

from app.errors import InvalidInput

FIELD = "kubeconfig"
_FILE_REFERENCES = {
    "certificate-authority": "certificate-authority-data",
    "client-certificate": "client-certificate-data",
    "client-key": "client-key-data",
    "tokenFile": "token",
}
_PLUGINS = ("exec", "auth-provider")


@dataclass(frozen=True, slots=True)
class Kubeconfig:
    document: dict[str, Any]
    context: str
    server: str


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(f"{FIELD}: {message}", field=FIELD)


def parse_kubeconfig(text: str, context: str | None = None) -> Kubeconfig:
    """The parsed kubeconfig with the context to use; InvalidInput naming what is wrong."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise _invalid(f"not valid YAML{where}") from None
    if not isinstance(document, dict):
        raise _invalid("must be a YAML mapping (apiVersion: v1, kind: Config)")
    chosen = context or document.get("current-context")
    if not isinstance(chosen, str) or not chosen:
        raise _invalid("no context given and no current-context set")
    context_entry = _named(document, "contexts", chosen).get("context")
    if not isinstance(context_entry, dict):
        raise _invalid(f"context {chosen!r} has no cluster and user")
    cluster_name, user_name = context_entry.get("cluster"), context_entry.get("user")
    cluster = _named(document, "clusters", cluster_name).get("cluster")
    if not isinstance(cluster, dict):
        raise _invalid(f"cluster {cluster_name!r} has no server")
    server = cluster.get("server")
    parsed = urlparse(server) if isinstance(server, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise _invalid(f"cluster {cluster_name!r}: server must be an http(s) URL")
    if parsed.username or parsed.password:
        raise _invalid(f"cluster {cluster_name!r}: server URL must not carry credentials")
    _refuse_host_references(cluster, f"cluster {cluster_name!r}")
    if user_name is not None:
        user = _named(document, "users", user_name).get("user") or {}
        if not isinstance(user, dict):
            raise _invalid(f"user {user_name!r} must be a mapping")
        _refuse_host_references(user, f"user {user_name!r}")
        for plugin in _PLUGINS:
            if plugin in user:
                raise _invalid(
                    f"user {user_name!r}: {plugin} plugins are not supported (they would run on "
                    "Patrol's host); use a token or client certificate data"
                )
    return Kubeconfig(document, chosen, server.rstrip("/"))  # type: ignore[union-attr]


def _named(document: dict[str, Any], section: str, name: object) -> dict[str, Any]:
    entries = document.get(section)
    if not isinstance(entries, list):
        raise _invalid(f"{section} must be a list")
    for entry in entries:
        if isinstance(entry, dict) and entry.get("name") == name:
            return entry
    raise _invalid(f"no entry named {name!r} in {section}")


def _refuse_host_references(entry: dict[str, Any], where: str) -> None:
    for reference, inline in _FILE_REFERENCES.items():
        if entry.get(reference):
            raise _invalid(
                f"{where}: {reference} names a file on Patrol's host; inline it as {inline}"
            )
