"""Rotating the secret key: every stored credential (cluster credentials, channel URLs)
re-encrypted under the current key."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.keyring import Keyring
from app.models import Channel, Cluster


@dataclass(frozen=True, slots=True)
class Reencrypted:
    clusters: int
    channels: int


async def reencrypt_credentials(session: AsyncSession, keyring: Keyring) -> Reencrypted:
    """Re-encrypt every cluster credential and every alert channel's URLs with the current key.
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
    channels = (await session.exec(select(Channel))).all()
    for channel in channels:
        channel.urls_encrypted = keyring.reencrypt(channel.urls_encrypted)
        session.add(channel)
    await session.flush()
    return Reencrypted(len(clusters), len(channels))
