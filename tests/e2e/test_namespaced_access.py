"""Under the namespaced RBAC in deploy/ (nothing cluster-wide), the pod watch and the reaper still
work: they list and watch pods per namespace. Emulated by refusing every cluster-wide pod request
(`/api/v1/pods`) with 403, as such an API server would."""

from __future__ import annotations

import uuid

from app.domain.manifest import MANAGED_BY, MANAGED_BY_LABEL, RUN_ID_LABEL
from app.models import FailureReason, RunStatus
from tests.fixtures.stack import PatrolStack, eventually
from workers.jobs import reconcile

CLUSTER_WIDE_PODS = "/api/v1/pods"


async def test_the_watch_and_the_reaper_need_no_cluster_wide_access(api_stack: PatrolStack) -> None:
    api_stack.local.faults.fail_requests(count=10**6, status=403, path_contains=CLUSTER_WIDE_PODS)
    await api_stack.start_worker()
    spec = {
        "containers": [{"name": "c", "image": "registry.invalid/checker:1", "command": ["true"]}]
    }
    check = await api_stack.add_check("bad-image", spec, timeout="60s", run_interval="1h")

    # Only the watch sees an image that cannot be pulled: well before the deadline.
    (run,) = await api_stack.finalized_runs(check.id, 1, timeout=45)
    assert run.status is RunStatus.ERROR
    assert run.failure_reason is FailureReason.IMAGE_PULL

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
            "spec": {"containers": [{"name": "c", "image": "busybox:1.36", "command": ["true"]}]},
        },
    )
    counts = await reconcile({"runtime": api_stack.runtime})
    assert counts["failed"] == 0 and counts["reaped"] >= 1

    async def gone() -> bool:
        return await client.get_pod("default", orphan) is None

    await eventually(gone, timeout=15)
