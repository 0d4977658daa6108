"""A process hosting a local cluster, for the tests that kill it:
`python -m tests.localcluster.crash_host MODE` starts pods running `sleep $SLEEP_MARKER` under a
shell, prints `ready` once they run (a pod is Running once the kubelet has told the reaper about
it), then waits to be killed. MODE is one of

- `event-loop`: a `LocalCluster` on the main thread's event loop, as `patrol serve` runs it;
- `thread`: a `ThreadedLocalCluster`, the pod asked for from a thread that ends before `ready`;
- `lost-reaper`: `thread`, with the kubelet's reaper killed between two pods (another takes
  its place, and must learn about the first pod)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from typing import Any

import httpx
from kubernetes import client

from app.localcluster import LocalCluster, ThreadedLocalCluster, start_in_thread
from tests.fixtures.processes import shell_with_a_child
from tests.localcluster.conftest import eventually


def pod(name: str, marker: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {"name": "c", "image": "busybox:1.36", "command": shell_with_a_child(marker)}
            ],
        },
    }


async def on_the_event_loop(marker: str) -> None:
    local = LocalCluster()
    url = await local.start()
    headers = {"Authorization": f"Bearer {local.token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers) as http:
        created = await http.post("/api/v1/namespaces/default/pods", json=pod("crash", marker))
        created.raise_for_status()
        async with asyncio.timeout(10):
            while (await http.get("/api/v1/namespaces/default/pods/crash")).json()["status"][
                "phase"
            ] != "Running":
                await asyncio.sleep(0.02)
    print("ready", flush=True)
    await asyncio.Event().wait()


def on_a_thread(marker: str, *, lose_the_reaper: bool) -> None:
    cluster = start_in_thread()
    run_from_a_passing_thread(cluster, pod("crash", marker))
    if lose_the_reaper:
        reaper = cluster.call(lambda c: c.kubelet.reaper.pid)
        assert reaper is not None
        os.kill(reaper, signal.SIGKILL)
        eventually(lambda: cluster.call(lambda c: c.kubelet.reaper.pid) not in (None, reaper))
        run_from_a_passing_thread(cluster, pod("after-the-reaper", marker))
    print("ready", flush=True)
    threading.Event().wait()


def run_from_a_passing_thread(cluster: ThreadedLocalCluster, manifest: dict[str, Any]) -> None:
    """Creates the pod from a thread that ends once the pod runs."""

    def create() -> None:
        with cluster.api_client() as api:
            core = client.CoreV1Api(api)
            core.create_namespaced_pod("default", manifest)
            name = manifest["metadata"]["name"]
            eventually(lambda: core.read_namespaced_pod(name, "default").status.phase == "Running")

    asker = threading.Thread(target=create)
    asker.start()
    asker.join()


def main() -> None:
    # From the environment: a host whose command line held the marker would pass for a pod.
    mode, marker = sys.argv[1], os.environ["SLEEP_MARKER"]
    if mode == "event-loop":
        asyncio.run(on_the_event_loop(marker))
    else:
        on_a_thread(marker, lose_the_reaper=mode == "lost-reaper")


if __name__ == "__main__":
    main()
