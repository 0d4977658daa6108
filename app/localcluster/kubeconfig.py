"""Client-side helpers: a kubeconfig and an official-client ApiClient for a local cluster URL."""

from __future__ import annotations

import kubernetes.client
import yaml

CONTEXT_NAME = "patrol-local"


def kubeconfig_yaml(url: str, namespace: str = "default") -> str:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT_NAME, "cluster": {"server": url}}],
        "users": [{"name": CONTEXT_NAME, "user": {"token": "patrol-local"}}],
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


def api_client(url: str) -> kubernetes.client.ApiClient:
    """Remember to `close()` it (or use it as a context manager)."""
    configuration = kubernetes.client.Configuration(host=url)
    return kubernetes.client.ApiClient(configuration)
