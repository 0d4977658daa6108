"""`patrol serve` killed with SIGKILL mid-run: its checker processes die with it, and the next
start on the same data directory works, decides the interrupted run and leaves nothing behind."""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path
from typing import Any

from app.adapters.redis_server import registered_server
from tests.e2e.serve import CREATE_CHECK, gql, patrol_serve
from tests.fixtures.http_target import free_port
from tests.fixtures.processes import (
    children_of,
    command_line,
    processes_with,
    running,
    shell_with_a_child,
)
from tests.fixtures.stack import eventually

RUNS = "{ runs(first: 10) { edges { node { id status check { name } } } } }"
TRIGGER = "mutation($id: ID!) { triggerCheck(id: $id) { id } }"


def check_input(name: str, cluster_id: str, container: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": "default",
        "runInterval": "1h",
        "timeout": "15s",
        "clusterIds": [cluster_id],
        "podSpec": {"containers": [{"name": "checker", **container}]},
    }


def pod_directories_of(pid: int) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"patrol-pod-{pid}-*"))


def kill_if_a_redis_server(pid: int | None) -> None:
    """After a failed test: the embedded Redis the killed process left must not outlive it."""
    if pid is not None and running(pid) and "redis-server" in command_line(pid):
        os.kill(pid, signal.SIGKILL)


async def test_a_killed_serve_leaves_no_checker_running_and_the_next_start_decides_its_run(
    tmp_path: Path, sleep_marker: str
) -> None:
    data_dir, port = tmp_path / "data", free_port()
    redis_pid: int | None = None
    try:
        async with patrol_serve(data_dir, port) as serve:
            url, token = serve.url, (data_dir / "admin.token").read_text().strip()
            cluster = await gql(url, token, '{ cluster(name: "local") { id } }')
            local_id = cluster["data"]["cluster"]["id"]
            image = "kuberhealthy/http-check:v1.5.0"
            healthz = [{"name": "CHECK_URL", "value": f"{url}/healthz"}]
            quick = await gql(
                url,
                token,
                CREATE_CHECK,
                input=check_input("quick", local_id, {"image": image, "env": healthz}),
            )
            command = shell_with_a_child(sleep_marker)
            await gql(
                url,
                token,
                CREATE_CHECK,
                input=check_input("long", local_id, {"image": "busybox", "command": command}),
            )

            async def quick_succeeded_and_long_runs() -> bool:
                runs = (await gql(url, token, RUNS))["data"]["runs"]["edges"]
                statuses = {run["node"]["check"]["name"]: run["node"]["status"] for run in runs}
                return statuses == {"quick": "SUCCEEDED", "long": "RUNNING"}

            async def checker_and_its_child() -> bool:
                return len(processes_with(sleep_marker)) == 2

            async def reaper() -> list[int]:
                children = children_of(serve.process.pid)
                return [pid for pid in children if "reaper_process" in command_line(pid)]

            await eventually(checker_and_its_child)
            await eventually(quick_succeeded_and_long_runs)
            [reaper_pid] = await eventually(reaper)
            redis_left = registered_server(data_dir / "redis.db.settings")
            assert redis_left is not None
            redis_pid = int(redis_left.pidfile.read_text())

            await serve.kill()

            async def checkers_gone() -> bool:
                return not processes_with(sleep_marker) and not running(reaper_pid)

            await eventually(checkers_gone, timeout=5)
            killed_pid = serve.process.pid
            assert pod_directories_of(killed_pid)
            assert running(redis_pid)  # a daemon: the next start reuses it

        async with patrol_serve(data_dir, port) as serve:
            assert registered_server(data_dir / "redis.db.settings") == redis_left
            assert not pod_directories_of(killed_pid)
            quick_id = quick["data"]["createCheck"]["id"]
            [rerun] = (await gql(serve.url, token, TRIGGER, id=quick_id))["data"]["triggerCheck"]

            async def decided() -> bool:
                runs = (await gql(serve.url, token, RUNS))["data"]["runs"]["edges"]
                by_id = {run["node"]["id"]: run["node"] for run in runs}
                long_runs = [run for run in by_id.values() if run["check"]["name"] == "long"]
                return by_id[rerun["id"]]["status"] == "SUCCEEDED" and [
                    run["status"] for run in long_runs
                ] in (["TIMED_OUT"], ["ERROR"])

            await eventually(decided, timeout=40)

        assert not running(redis_pid)
        assert not redis_left.directory.exists()
        assert not (data_dir / "redis.db.settings").exists()
    finally:
        kill_if_a_redis_server(redis_pid)
