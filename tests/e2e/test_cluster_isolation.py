"""One cluster whose credentials cannot be loaded stops nothing but its own work: every other
cluster's repairs go on."""

from __future__ import annotations

import uuid

from app.domain.manifest import MANAGED_BY, MANAGED_BY_LABEL, RUN_ID_LABEL
from app.keyring import Keyring, generate_key
from app.models import Cluster, ConnectionKind
from tests.fixtures.logs import LogFile
from tests.fixtures.stack import PatrolStack, eventually
from workers.jobs import reconcile


async def add_cluster_with_unreadable_credentials(stack: PatrolStack, name: str) -> None:
    """A cluster whose kubeconfig was encrypted under a key this Patrol no longer has (a rotation
    that dropped the old key too early, say)."""
    retired = Keyring(generate_key())
    async with stack.runtime.session_factory() as session:
        session.add(
            Cluster(
                name=name,
                connection_kind=ConnectionKind.KUBECONFIG,
                kubeconfig_encrypted=retired.encrypt("apiVersion: v1\nkind: Config\n"),
            )
        )
        await session.commit()


async def test_the_reconciler_reaps_in_good_clusters_past_one_whose_credentials_fail(
    api_stack: PatrolStack, json_logs: LogFile
) -> None:
    await add_cluster_with_unreadable_credentials(api_stack, "a-broken")
    client = api_stack.runtime.kube.client(api_stack.cluster)
    orphan = f"orphan-{uuid.uuid4().hex[:8]}"
    await client.create_pod(
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": orphan,
                "labels": {MANAGED_BY_LABEL: MANAGED_BY, RUN_ID_LABEL: str(uuid.uuid4())},
            },
            "spec": {
                "restartPolicy": "Never",
                "containers": [
                    {"name": "c", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 60"]}
                ],
            },
        },
    )

    counts = await reconcile({"runtime": api_stack.runtime})

    assert counts == {"relaunch": 0, "reaped": 1, "failed": 1}
    (failure,) = json_logs.records("reaping pods failed")
    assert failure["cluster"] == "a-broken"

    async def gone() -> bool:
        return await client.get_pod("default", orphan) is None

    await eventually(gone, timeout=15)
