"""Patrol registers its local cluster with the cluster's token and reaches it with that token,
also after a restart that changed the token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.adapters.kube import KubeGateway
from app.db import SessionFactory
from app.keyring import Keyring
from app.localcluster import LocalCluster
from app.models import ConnectionKind
from app.services.local_cluster import register_local_cluster


@pytest.fixture
async def gateway(keyring: Keyring) -> AsyncIterator[KubeGateway]:
    gateway = KubeGateway(keyring, threads_per_cluster=2)
    try:
        yield gateway
    finally:
        gateway.close()


async def test_the_local_cluster_is_stored_with_its_token_and_reached_with_it(
    session_factory: SessionFactory, gateway: KubeGateway, keyring: Keyring
) -> None:
    local = LocalCluster()
    await local.start()
    try:
        async with session_factory() as session:
            cluster = await register_local_cluster(session, keyring, local.url, local.token)

        pods, _ = await gateway.client(cluster).list_pods("default", "app=none")
    finally:
        await local.stop()

    assert cluster.connection_kind is ConnectionKind.LOCAL
    assert cluster.token_encrypted is not None
    assert keyring.decrypt(cluster.token_encrypted) == local.token
    assert pods == []


async def test_a_restart_with_a_new_token_is_re_registered_and_reached_with_the_new_token(
    session_factory: SessionFactory, gateway: KubeGateway, keyring: Keyring
) -> None:
    first = LocalCluster()
    await first.start()
    async with session_factory() as session:
        before = await register_local_cluster(session, keyring, first.url, first.token)
    await gateway.client(before).list_pods("default", "app=none")
    port = int(first.url.rsplit(":", 1)[-1])
    await first.stop()
    second = LocalCluster()
    await second.start(port=port)
    try:
        async with session_factory() as session:
            after = await register_local_cluster(session, keyring, second.url, second.token)

        pods, _ = await gateway.client(after).list_pods("default", "app=none")
    finally:
        await second.stop()

    assert after.id == before.id
    assert after.api_url == before.api_url
    assert after.token_encrypted is not None
    assert keyring.decrypt(after.token_encrypted) == second.token != first.token
    assert after.updated_at > before.updated_at
    assert pods == []
