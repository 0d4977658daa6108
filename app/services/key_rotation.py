"""Rotating the secret key: every stored credential re-encrypted under the current key."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.keyring import Keyring
from app.models import Cluster


async def reencrypt_credentials(session: AsyncSession, keyring: Keyring) -> int:
    """Re-encrypt every cluster credential with the current key; returns how many clusters.
    Only flushes: the caller commits."""
    clusters = (
        await session.exec(
            select(Cluster).where(
                col(Cluster.kubeconfig_encrypted).is_not(None)
                | col(Cluster.token_encrypted).is_not(None)
                | col(Cluster.ca_cert_encrypted).is_not(None)
            )
        )
    ).all()
    for cluster in clusters:
        for attribute in ("kubeconfig_encrypted", "token_encrypted", "ca_cert_encrypted"):
            ciphertext = getattr(cluster, attribute)
            if ciphertext is not None:
                setattr(cluster, attribute, keyring.reencrypt(ciphertext))
        session.add(cluster)
    await session.flush()
    return len(clusters)
