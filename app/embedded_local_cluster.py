"""The local cluster `patrol serve` runs and registers as `local`: HTTPS (kubectl sends a token to
TLS servers only), at the same port across restarts, its kubeconfig in the data directory."""

from __future__ import annotations

import errno
from contextlib import AsyncExitStack

from app.localcluster import LocalCluster
from app.localcluster.kubeconfig import kubeconfig_yaml
from app.localcluster.kubeconfig_file import recorded_port, write_kubeconfig
from app.logging import get_logger
from app.runtime import Runtime
from app.services.local_cluster import (
    KUBERHEALTHY_IMAGE_EQUIVALENTS,
    KUBERHEALTHY_NAMESPACES,
    LOCAL_CLUSTER_NAME,
    register_local_cluster,
)
from app.settings import Settings
from app.startup import StartupError

log = get_logger(__name__)

HOST = "127.0.0.1"


async def start_local_cluster(settings: Settings, stack: AsyncExitStack) -> LocalCluster:
    """Listening and serving, stopped with `stack`; not registered yet, so that a start that
    fails later leaves the `local` cluster of the database as it was."""
    local = LocalCluster(
        image_commands=KUBERHEALTHY_IMAGE_EQUIVALENTS, tls=True, namespaces=KUBERHEALTHY_NAMESPACES
    )
    path = settings.local_cluster_kubeconfig_path
    if settings.local_cluster_port is not None:
        await _listen(local, settings.local_cluster_port)
    else:
        await _listen_where_it_was(local, recorded_port(path))
    stack.push_async_callback(local.stop)
    write_kubeconfig(
        path,
        kubeconfig_yaml(local.url, local.token, certificate_authority=local.certificate_authority),
    )
    return local


async def _listen(local: LocalCluster, port: int) -> None:
    try:
        await local.start(HOST, port)
    except OSError as error:
        raise StartupError(
            f"the local cluster cannot listen on {HOST}:{port}: {error.strerror or error}; set "
            "PATROL_LOCAL_CLUSTER_PORT to a free port (0 picks one at each start)"
        ) from None


async def _listen_where_it_was(local: LocalCluster, port: int | None) -> None:
    if port is None:
        await local.start(HOST, 0)
        return
    try:
        await local.start(HOST, port)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        log.warning(
            "the local cluster's port of its last start is taken: it listens on another one, "
            "written to its kubeconfig (set PATROL_LOCAL_CLUSTER_PORT to keep one for good)",
            port=port,
        )
        await local.start(HOST, 0)


async def register(runtime: Runtime, local: LocalCluster) -> None:
    """Points the `local` cluster at this start's URL, token and certificate."""
    assert local.certificate_authority is not None
    async with runtime.session_factory() as session:
        await register_local_cluster(
            session,
            runtime.keyring,
            local.url,
            local.token,
            ca_cert=local.certificate_authority.decode(),
        )
    # Logged under a key the redaction of secrets leaves alone: it is a path, not the content.
    path = runtime.settings.local_cluster_kubeconfig_path.resolve()
    log.info(
        "local cluster started",
        url=local.url,
        cluster=LOCAL_CLUSTER_NAME,
        kubectl=f"KUBECONFIG={path} kubectl get pods --all-namespaces",
    )
