"""The clients a user points at a local cluster's kubeconfig: the official client and kubectl.
This module's cluster serves HTTPS, as `patrol local-cluster` does."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kubernetes import client, config

from app.localcluster import ThreadedLocalCluster, kubeconfig_yaml, start_in_thread
from tests.localcluster.conftest import eventually, pod_manifest


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThreadedLocalCluster]:
    running = start_in_thread(tls=True)
    try:
        yield running
    finally:
        running.stop()


def kubeconfig(cluster: ThreadedLocalCluster, path: Path, namespace: str = "default") -> Path:
    path.write_text(
        kubeconfig_yaml(
            cluster.url,
            cluster.token,
            namespace=namespace,
            certificate_authority=cluster.certificate_authority,
        )
    )
    return path


def test_the_kubeconfig_snippet_loads_in_the_official_client(
    cluster: ThreadedLocalCluster, tmp_path: Path
) -> None:
    configuration = client.Configuration()

    config.load_kube_config(
        config_file=str(kubeconfig(cluster, tmp_path / "kubeconfig")),
        client_configuration=configuration,
    )

    assert cluster.url.startswith("https://127.0.0.1:")
    with client.ApiClient(configuration) as api:
        assert client.CoreV1Api(api).read_namespace("default").status.phase == "Active"


def test_clients_that_do_not_trust_the_clusters_certificate_cannot_connect(
    cluster: ThreadedLocalCluster,
) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{cluster.url}/healthz")


def test_kubectl_gets_logs_and_deletes_pods(
    cluster: ThreadedLocalCluster,
    core: client.CoreV1Api,
    namespace: str,
    tmp_path: Path,
    kubectl: Path,
) -> None:
    core.create_namespaced_pod(
        namespace, pod_manifest("visible", ["sh", "-c", "echo from-kubectl"])
    )
    eventually(lambda: core.read_namespaced_pod("visible", namespace).status.phase == "Succeeded")
    path = kubeconfig(cluster, tmp_path / "kubeconfig", namespace)

    def run(*args: str) -> str:
        done = subprocess.run(
            [kubectl, "--kubeconfig", str(path), *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    listed = json.loads(run("get", "pods", "-o", "json"))
    table = run("get", "pods")
    logs = run("logs", "visible")
    run("delete", "pod", "visible", "--wait=false")

    assert [item["metadata"]["name"] for item in listed["items"]] == ["visible"]
    assert "Completed" in table and "visible" in table
    assert logs == "from-kubectl\n"
    assert core.list_namespaced_pod(namespace).items == []


def test_kubectl_with_a_wrong_token_is_told_to_log_in(
    cluster: ThreadedLocalCluster, tmp_path: Path, kubectl: Path
) -> None:
    path = kubeconfig(cluster, tmp_path / "kubeconfig")

    done = subprocess.run(
        [kubectl, "--kubeconfig", str(path), "--token", "not-the-token", "get", "pods"],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert done.returncode == 1
    assert "You must be logged in to the server" in done.stderr
