"""The embedded default cannot be broken by ordinary mistakes: a second start, a port alone, and
kubectl pointed at the local cluster Patrol itself uses."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from tests.e2e.serve import CREATE_CHECK, gql, patrol_serve, refused_start, serve_environment
from tests.fixtures.http_target import free_port
from tests.fixtures.stack import eventually


async def a_run_of_a_new_check_succeeds(url: str, token: str, name: str) -> None:
    """Kuberhealthy's http-check against Patrol's own /healthz, on the `local` cluster."""
    (local,) = (await gql(url, token, "{ clusters { id } }"))["data"]["clusters"]
    spec = {
        "containers": [
            {
                "name": "c",
                "image": "kuberhealthy/http-check:v1.5.0",
                "env": [{"name": "CHECK_URL", "value": f"{url}/healthz"}],
            }
        ]
    }
    created = await gql(
        url,
        token,
        CREATE_CHECK,
        input={
            "name": name,
            "namespace": "default",
            "runInterval": "1h",
            "timeout": "20s",
            "clusterIds": [local["id"]],
            "podSpec": spec,
        },
    )
    check_id = created["data"]["createCheck"]["id"]
    query = """query($id: ID!) {
        runs(first: 1, filter: {checkId: $id}) { edges { node { status errors } } }
    }"""
    finished = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ERROR", "CANCELLED")

    async def decided() -> list[dict[str, object]] | None:
        edges = (await gql(url, token, query, id=check_id))["data"]["runs"]["edges"]
        done = [edge["node"] for edge in edges if edge["node"]["status"] in finished]
        return done or None

    (run,) = await eventually(decided, timeout=30)
    assert run == {"status": "SUCCEEDED", "errors": []}


async def test_a_second_serve_fails_with_one_sentence_and_the_first_keeps_working(
    tmp_path: Path,
) -> None:
    data, port = tmp_path / "data", free_port()
    async with patrol_serve(data, port) as serve:
        same_data = await refused_start(serve_environment(data, free_port()))
        other_data = tmp_path / "other"
        same_port = await refused_start(serve_environment(other_data, port))

        assert same_data == (
            2,
            [
                f"error: another `patrol serve` (pid {serve.process.pid}) is running on the data "
                f"directory {data.resolve()}: stop it first, or give this one its own "
                "PATROL_DATA_DIR"
            ],
        )
        assert same_port == (
            2,
            [
                f"error: cannot listen on 127.0.0.1:{port}: Address already in use; is another "
                "Patrol running there? Choose another port with PATROL_PORT or --port"
            ],
        )
        assert [entry.name for entry in other_data.iterdir()] == ["serve.lock"]
        token = (data / "admin.token").read_text().strip()
        await a_run_of_a_new_check_succeeds(serve.url, token, "after-a-refused-start")


async def test_a_port_alone_gives_a_setup_whose_runs_succeed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with patrol_serve(data, free_port(), public_url=False) as serve:
        token = (data / "admin.token").read_text().strip()
        await a_run_of_a_new_check_succeeds(serve.url, token, "port-alone")


def kubectl_in(kubectl: Path, kubeconfig: Path, *arguments: str) -> str:
    return subprocess.run(
        [str(kubectl), "--kubeconfig", str(kubeconfig), *arguments],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout


async def test_kubectl_works_with_the_data_directorys_kubeconfig_across_quiet_restarts(
    tmp_path: Path, kubectl: Path
) -> None:
    data, port, log = tmp_path / "data", free_port(), tmp_path / "serve.log"
    kubeconfig = data / "kubeconfig"
    servers = []
    for _ in range(2):
        async with patrol_serve(data, port, log=log):
            assert kubeconfig.stat().st_mode & 0o777 == 0o600
            servers.append(
                yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
            )
            namespaces = kubectl_in(kubectl, kubeconfig, "get", "namespaces", "-o", "name").split()
            assert {"namespace/kuberhealthy", "namespace/kube-system", "namespace/default"} <= set(
                namespaces
            )
            assert kubectl_in(kubectl, kubeconfig, "get", "pods", "-n", "kuberhealthy") == ""

    assert servers[0] == servers[1]
    assert servers[0].startswith("https://127.0.0.1:")
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [record["event"] for record in records if record["level"] != "info"] == []
    assert "shutdown failed" not in log.read_text()
    assert sum(record["event"] == "local cluster started" for record in records) == 2
