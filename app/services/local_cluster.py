"""Registering Patrol's own local cluster, so that checks run with no real cluster at all."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.keyring import Keyring
from app.models import Cluster, ConnectionKind
from app.models.columns import utcnow

LOCAL_CLUSTER_NAME = "local"

# Official Kuberhealthy checker images have no command in their pod specs; on the local cluster
# they run as Patrol's built-in checker that reads the same settings.
KUBERHEALTHY_IMAGE_EQUIVALENTS: dict[str, list[str]] = {
    "kuberhealthy/http-check": ["python", "-m", "app.checkers.http"],
    "kuberhealthy/network-connection-check": ["python", "-m", "app.checkers.tcp"],
    "kuberhealthy/ssl-expiry-check": ["python", "-m", "app.checkers.tls"],
    "kuberhealthy/dns-resolution-check": ["python", "-m", "app.checkers.dns"],
}

# Where Kuberhealthy's checks and their examples run: present from the start, as on a cluster
# with Kuberhealthy installed.
KUBERHEALTHY_NAMESPACES = ("kuberhealthy", "kube-system", "default")


async def register_local_cluster(
    session: AsyncSession,
    keyring: Keyring,
    api_url: str,
    token: str,
    ca_cert: str | None = None,
) -> Cluster:
    """Create the `local` cluster, or point it at this start's URL, token and (for an HTTPS one)
    certificate: all are new at each start, so the row is always rewritten, and its new
    `updated_at` makes every process rebuild its client for it."""
    cluster = (
        await session.exec(select(Cluster).where(Cluster.name == LOCAL_CLUSTER_NAME))
    ).first()
    if cluster is None:
        cluster = Cluster(
            name=LOCAL_CLUSTER_NAME,
            description="Patrol's built-in local cluster: checker pods run as local processes",
            connection_kind=ConnectionKind.LOCAL,
            labels={"patrol.dev/local": "true"},
        )
    cluster.api_url = api_url
    cluster.token_encrypted = keyring.encrypt(token)
    cluster.ca_cert_encrypted = None if ca_cert is None else keyring.encrypt(ca_cert)
    cluster.updated_at = utcnow()
    session.add(cluster)
    await session.commit()
    await session.refresh(cluster)
    return cluster
