from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from kubernetes import client, config

from app.localcluster import ThreadedLocalCluster, kubeconfig_yaml
from tests.localcluster.conftest import eventually, pod_manifest

KUBECTL = shutil.which("kubectl")


def test_the_kubeconfig_snippet_loads_in_the_official_client(
    cluster: ThreadedLocalCluster, tmp_path: Path
) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(kubeconfig_yaml(cluster.url))
    configuration = client.Configuration()

    config.load_kube_config(config_file=str(path), client_configuration=configuration)

    with client.ApiClient(configuration) as api:
        assert client.CoreV1Api(api).read_namespace("default").status.phase == "Active"


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kubectl_gets_logs_and_deletes_pods(
    cluster: ThreadedLocalCluster, core: client.CoreV1Api, namespace: str, tmp_path: Path
) -> None:
    assert KUBECTL is not None
    core.create_namespaced_pod(
        namespace, pod_manifest("visible", ["sh", "-c", "echo from-kubectl"])
    )
    eventually(lambda: core.read_namespaced_pod("visible", namespace).status.phase == "Succeeded")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(kubeconfig_yaml(cluster.url, namespace))

    def kubectl(*args: str) -> str:
        done = subprocess.run(
            [KUBECTL, "--kubeconfig", str(kubeconfig), *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    listed = json.loads(kubectl("get", "pods", "-o", "json"))
    table = kubectl("get", "pods")
    logs = kubectl("logs", "visible")
    kubectl("delete", "pod", "visible", "--wait=false")

    assert [item["metadata"]["name"] for item in listed["items"]] == ["visible"]
    assert "Completed" in table and "visible" in table
    assert logs == "from-kubectl\n"
    assert core.list_namespaced_pod(namespace).items == []


def test_the_cli_prints_the_url_and_a_kubeconfig(tmp_path: Path) -> None:
    script = (
        "import typer; from app.localcluster.cli import local_cluster; app = typer.Typer(); "
        "app.command('local-cluster')(local_cluster); app.command('noop')(lambda: None); app()"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, "local-cluster", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        url = first_line.rsplit(" ", 1)[-1].strip()
        process.send_signal(2)
        rest = process.stdout.read()
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    assert url.startswith("http://127.0.0.1:")
    assert f"server: {url}" in rest
    assert "current-context: patrol-local" in rest
