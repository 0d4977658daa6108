"""`patrol local-cluster`, run as a user runs it: the venv's `patrol` in a subprocess."""

from __future__ import annotations

import signal
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
import yaml
from kubernetes import client, config

from app.localcluster import start_in_thread
from tests.fixtures.processes import processes_with, shell_with_a_child
from tests.localcluster.conftest import eventually, pod_manifest

PATROL = str(Path(sys.executable).with_name("patrol"))
REPOSITORY = Path(__file__).parents[2]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", ""])
def test_the_cli_refuses_a_non_loopback_host_without_expose(host: str) -> None:
    done = subprocess.run(
        [PATROL, "local-cluster", "--host", host, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPOSITORY,
    )

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"error: {host!r} is not a loopback address, and whoever reaches the local cluster can "
        "run commands on this machine; pass --expose to listen there anyway."
    ]


@pytest.fixture
def local_cluster_command() -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [PATROL, "local-cluster", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPOSITORY,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def read_until_kubeconfig(stdout: IO[str]) -> tuple[list[str], dict[str, Any]]:
    """The lines before the kubeconfig, and the kubeconfig (YAML up to the next blank line)."""
    preamble: list[str] = []
    while (line := stdout.readline()) != "kubeconfig:\n":
        assert line, f"the command ended before printing a kubeconfig: {preamble}"
        preamble.append(line.rstrip("\n"))
    assert stdout.readline() == "\n"
    document: list[str] = []
    while (line := stdout.readline()) not in ("\n", ""):
        document.append(line)
    return preamble, yaml.safe_load("".join(document))


def test_the_cli_prints_a_kubeconfig_whose_token_works(
    local_cluster_command: subprocess.Popen[str], tmp_path: Path
) -> None:
    assert local_cluster_command.stdout is not None
    preamble, kubeconfig = read_until_kubeconfig(local_cluster_command.stdout)
    url = preamble[0].rsplit(" ", 1)[-1]
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig))
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(path), client_configuration=configuration)
    with client.ApiClient(configuration) as api:
        phase = client.CoreV1Api(api).read_namespace("default").status.phase
    trusted = ssl.create_default_context(cafile=configuration.ssl_ca_cert)
    anonymous = httpx.get(f"{url}/api/v1/namespaces", verify=trusted)

    local_cluster_command.send_signal(signal.SIGINT)

    assert local_cluster_command.wait(15) == 0
    assert url.startswith("https://127.0.0.1:")
    assert preamble == [
        f"Local cluster listening on {url}",
        f"Fault injection: POST {url}/_local/faults",
    ]
    assert kubeconfig["clusters"][0]["cluster"]["server"] == url
    assert kubeconfig["current-context"] == "patrol-local"
    assert len(kubeconfig["users"][0]["user"]["token"]) >= 43
    assert phase == "Active"
    assert anonymous.status_code == 401


def test_a_killed_cli_leaves_no_pod_running_and_the_next_start_removes_its_files(
    local_cluster_command: subprocess.Popen[str], tmp_path: Path, sleep_marker: str
) -> None:
    assert local_cluster_command.stdout is not None
    _, kubeconfig = read_until_kubeconfig(local_cluster_command.stdout)
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig))
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(path), client_configuration=configuration)
    with client.ApiClient(configuration) as api:
        core = client.CoreV1Api(api)
        core.create_namespaced_pod(
            "default", pod_manifest("long", shell_with_a_child(sleep_marker))
        )
        # Running: the kubelet has told its reaper about the pod's process group.
        eventually(lambda: core.read_namespaced_pod("long", "default").status.phase == "Running")
    eventually(lambda: len(processes_with(sleep_marker)) == 2)
    pid = local_cluster_command.pid

    def files_left() -> list[str]:
        return sorted(path.name for path in Path(tempfile.gettempdir()).glob(f"patrol-*-{pid}-*"))

    left_by_the_killed_cluster = files_left()

    local_cluster_command.kill()
    local_cluster_command.wait()

    eventually(lambda: not processes_with(sleep_marker), timeout=5)
    assert [name.split(f"-{pid}-")[0] for name in left_by_the_killed_cluster] == [
        "patrol-local-cluster",
        "patrol-pod",
    ]
    start_in_thread().stop()
    assert files_left() == []


def test_the_cli_writes_a_private_kubeconfig_that_kubectl_uses(
    tmp_path: Path, kubectl: Path
) -> None:
    path = tmp_path / "kube" / "config"
    process = subprocess.Popen(
        [PATROL, "local-cluster", "--port", "0", "--kubeconfig", str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPOSITORY,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().rstrip("\n") for _ in range(3)]
        namespaces = subprocess.run(
            [str(kubectl), "--kubeconfig", str(path), "get", "namespaces", "-o", "name"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        process.send_signal(signal.SIGINT)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    assert lines[2] == f"kubeconfig written to {path} (export KUBECONFIG={path})"
    assert path.stat().st_mode & 0o777 == 0o600
    assert namespaces.returncode == 0, namespaces.stderr
    assert "namespace/default" in namespaces.stdout.split()
