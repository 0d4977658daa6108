"""Creates and deletes 1,000 pods on the local cluster; prints RSS and CPU time as it goes.

Run: .venv/bin/python bench/localcluster_churn.py [--pods 1000] [--batch 100]
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import time

import structlog
from kubernetes import client

from app.localcluster import start_in_thread

NAMESPACE = "default"


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds() -> tuple[float, float]:
    """(this process, its reaped children) user+system CPU seconds."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def wait_until(probe: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("pods did not settle in time")
        time.sleep(0.05)


def run_batch(core: client.CoreV1Api, batch: int, size: int) -> None:
    names = [f"churn-{batch}-{i}" for i in range(size)]
    for name in names:
        core.create_namespaced_pod(
            NAMESPACE,
            {
                "metadata": {"name": name, "labels": {"bench": "churn"}},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "app", "image": "busybox:1.36", "command": ["true"]}],
                },
            },
        )
    wait_until(
        lambda: all(
            p.status.phase in ("Succeeded", "Failed")
            for p in core.list_namespaced_pod(NAMESPACE, label_selector="bench=churn").items
        )
    )
    for name in names:
        core.delete_namespaced_pod(name, NAMESPACE)
    wait_until(lambda: not core.list_namespaced_pod(NAMESPACE, label_selector="bench=churn").items)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    # Events are capped (the real apiserver expires them after 1 h); a cap reached early in the run
    # separates steady-state memory from the event store filling up.
    parser.add_argument("--max-events", type=int, default=1000)
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    cluster = start_in_thread(max_events=options.max_events)
    started = time.monotonic()
    samples: list[tuple[int, float]] = []
    try:
        with cluster.api_client() as api:
            core = client.CoreV1Api(api)
            print(
                f"{'pods':>6} {'rss MiB':>8} {'cpu s':>7} {'child cpu s':>11} {'events':>7} {'elapsed s':>9}"
            )
            done = 0
            batch = 0
            while done < options.pods:
                size = min(options.batch, options.pods - done)
                run_batch(core, batch, size)
                done += size
                batch += 1
                own, children = cpu_seconds()
                events = len(core.list_namespaced_event(NAMESPACE).items)
                samples.append((done, rss_mib()))
                print(
                    f"{done:>6} {samples[-1][1]:>8.1f} {own:>7.2f} {children:>11.2f} {events:>7} {time.monotonic() - started:>9.1f}"
                )
            leftover = cluster.call(lambda c: (len(c.kubelet._workers), c.store.count("pods")))
    finally:
        cluster.stop()
    warm_index = min(2, len(samples) - 1)
    warm = samples[warm_index][1]
    final = samples[-1][1]
    growth = final - warm
    print(
        f"\nRSS after warm-up ({samples[warm_index][0]} pods): {warm:.1f} MiB; at the end: {final:.1f} MiB; "
        f"growth {growth:+.1f} MiB ({growth / warm * 100:+.1f}%)"
    )
    print(f"kubelet workers / pods left after churn: {leftover}")
    print(
        f"memory {'stays flat' if growth < max(10.0, warm * 0.1) else 'GROWS'}; pid {os.getpid()}"
    )


if __name__ == "__main__":
    main()
