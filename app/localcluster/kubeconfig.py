"""Client-side helpers: a kubeconfig and an official-client ApiClient for a local cluster URL."""

from __future__ import annotations

import base64

import kubernetes.client
import yaml

CONTEXT_NAME = "patrol-local"


def kubeconfig_yaml(
    url: str,
    token: str,
    *,
    namespace: str = "default",
    certificate_authority: bytes | None = None,
) -> str:
    """`certificate_authority` (PEM) is the one an HTTPS local cluster serves with."""
    cluster: dict[str, str] = {"server": url}
    if certificate_authority is not None:
        cluster["certificate-authority-data"] = base64.b64encode(certificate_authority).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT_NAME, "cluster": cluster}],
        "users": [{"name": CONTEXT_NAME, "user": {"token": token}}],
        "contexts": [
            {
                "name": CONTEXT_NAME,
                "context": {"cluster": CONTEXT_NAME, "user": CONTEXT_NAME, "namespace": namespace},
            }
        ],
        "current-context": CONTEXT_NAME,
        "preferences": {},
    }
    return str(yaml.safe_dump(config, sort_keys=False))


def api_client(
    url: str, token: str, *, certificate_authority_file: str | None = None
) -> kubernetes.client.ApiClient:
    """Remember to `close()` it (or use it as a context manager)."""
    configuration = kubernetes.client.Configuration(host=url)
    configuration.api_key = {"authorization": f"Bearer {token}"}
    configuration.ssl_ca_cert = certificate_authority_file
    return kubernetes.client.ApiClient(configuration)
