"""The pinned kubectl against the local cluster, used as against a real cluster: each command
here once failed or printed less than a real kube-apiserver makes it print."""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from kubernetes import client

from app.localcluster import ThreadedLocalCluster, kubeconfig_yaml, start_in_thread
from tests.localcluster.conftest import eventually


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThreadedLocalCluster]:
    running = start_in_thread(tls=True)
    try:
        yield running
    finally:
        running.stop()


@dataclass
class Kubectl:
    binary: Path
    kubeconfig: Path

    def run(
        self, *args: str, ok: bool = True, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.binary), "--kubeconfig", str(self.kubeconfig), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if ok:
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def __call__(self, *args: str) -> str:
        return self.run(*args).stdout

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(self.binary), "--kubeconfig", str(self.kubeconfig), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def k(cluster: ThreadedLocalCluster, kubectl: Path, namespace: str, tmp_path: Path) -> Kubectl:
    path = tmp_path / "kubeconfig"
    path.write_text(
        kubeconfig_yaml(
            cluster.url,
            cluster.token,
            namespace=namespace,
            certificate_authority=cluster.certificate_authority,
        )
    )
    return Kubectl(kubectl, path)


def phase(k: Kubectl, pod: str) -> str:
    return k("get", "pod", pod, "-o", "jsonpath={.status.phase}")


def run_pod(k: Kubectl, name: str, script: str, *extra: str) -> None:
    k("run", name, "--image=busybox", "--restart=Never", *extra, "--", "sh", "-c", script)


def test_create_namespace_sends_protobuf_and_is_understood(k: Kubectl) -> None:
    name = f"ns-{uuid.uuid4().hex[:8]}"

    created = k("create", "namespace", name)

    assert created.strip() == f"namespace/{name} created"
    assert k("get", "namespace", name, "-o", "jsonpath={.status.phase}") == "Active"


def test_run_with_args_only_runs_the_images_command_line(k: Kubectl) -> None:
    run_pod(k, "hello", "echo hi")

    eventually(lambda: phase(k, "hello") == "Succeeded")
    assert k("logs", "hello") == "hi\n"


def test_get_prints_the_servers_columns_for_one_object_and_for_lists(k: Kubectl) -> None:
    run_pod(k, "columns", "echo done")
    eventually(lambda: phase(k, "columns") == "Succeeded")

    one = k("get", "pod", "columns").splitlines()
    wide = k("get", "pods", "-o", "wide").splitlines()
    events = k("get", "events").splitlines()
    nodes = k("get", "nodes").splitlines()

    assert one[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert one[1].split()[:4] == ["columns", "0/1", "Completed", "0"]
    assert wide[0].split()[:6] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP"]
    assert "patrol-local" in wide[1]
    assert events[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert any("Scheduled" in line and "pod/columns" in line for line in events[1:])
    assert nodes[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert nodes[1].split()[:2] == ["patrol-local", "Ready"]


def test_watching_pods_prints_every_update_with_its_columns(k: Kubectl) -> None:
    lines: list[str] = []
    with k.popen("get", "pods", "-w") as watch:
        printed: queue.Queue[str] = queue.Queue()
        assert watch.stdout is not None
        stdout = watch.stdout
        threading.Thread(target=lambda: [printed.put(line) for line in stdout], daemon=True).start()
        try:
            run_pod(k, "watched", "echo done")
            deadline = time.monotonic() + 20
            while not any("Completed" in line for line in lines):
                remaining = deadline - time.monotonic()
                assert remaining > 0, lines
                with contextlib.suppress(queue.Empty):
                    lines.append(printed.get(timeout=remaining))
        finally:
            watch.kill()

    rows = [line.split() for line in lines if line.startswith("watched")]
    assert rows, lines
    assert all(len(row) == 5 for row in rows), rows
    assert rows[-1][2] == "Completed"


def test_logs_follow_ends_with_the_container(k: Kubectl) -> None:
    run_pod(k, "counter", "for i in 1 2 3; do echo $i; sleep 0.3; done")

    followed = k.run("logs", "-f", "counter", "--pod-running-timeout=20s", timeout=20)
    again = k.run("logs", "-f", "counter", timeout=10)

    assert followed.stdout == "1\n2\n3\n"
    assert again.stdout == "1\n2\n3\n"
    assert phase(k, "counter") == "Succeeded"


def test_exec_runs_beside_the_container_and_streaming_it_cannot_do_is_refused(
    k: Kubectl,
) -> None:
    run_pod(k, "shell", "sleep 30")
    k("wait", "--for=condition=Ready", "pod/shell", "--timeout=20s")

    output = k.run("exec", "shell", "--", "sh", "-c", "echo out; echo err >&2; echo $HOSTNAME")
    failed = k.run("exec", "shell", "--", "sh", "-c", "exit 3", ok=False)
    interactive = k.run("exec", "-i", "shell", "--", "sh", ok=False)
    forwarded = k.run("port-forward", "shell", "18080:80", ok=False, timeout=15)

    assert output.stdout == "out\nshell\n" and output.stderr == "err\n"
    assert failed.returncode == 3
    assert "non-interactive exec only" in interactive.stderr
    assert forwarded.returncode != 0
    assert "port-forward is not supported by the local cluster" in forwarded.stderr


def test_events_of_one_pod_are_in_the_order_they_happened(k: Kubectl) -> None:
    run_pod(k, "ordered", "echo done")
    eventually(lambda: phase(k, "ordered") == "Succeeded")

    listed = json.loads(
        k("get", "events", "--field-selector=involvedObject.name=ordered", "-o", "json")
    )

    def at(event: dict[str, str]) -> datetime:
        text = event.get("lastTimestamp") or event["eventTime"]
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    by_reason = {event["reason"]: at(event) for event in listed["items"]}
    assert by_reason["Scheduled"] <= by_reason["Pulling"] <= by_reason["Started"]


def test_everyday_commands_work_as_on_a_real_cluster(k: Kubectl, namespace: str) -> None:
    run_pod(k, "one", "sleep 30", "--labels=app=one,tier=web")
    run_pod(k, "two", "echo two", "--labels=app=two")
    k("wait", "--for=condition=Ready", "pod/one", "--timeout=20s")
    eventually(lambda: phase(k, "two") == "Succeeded")

    as_yaml = k("get", "pod", "one", "-o", "yaml")
    as_json = json.loads(k("get", "pods", "-o", "json"))
    jsonpath = k("get", "pods", "-l", "app=one", "-o", "jsonpath={.items[*].metadata.name}")
    columns = k(
        "get",
        "pods",
        "--field-selector=status.phase=Succeeded",
        "-o",
        "custom-columns=NAME:.metadata.name,PHASE:.status.phase",
    ).split()
    described = k("describe", "pod", "one")
    resources = k("api-resources")
    version = k.run("version")
    info = k("cluster-info")
    k("delete", "pod", "one", "--wait=false")
    k("wait", "--for=delete", "pod/one", "--timeout=20s")
    k("delete", "pods", "--all")

    assert "kind: Pod" in as_yaml and "name: one" in as_yaml
    assert sorted(item["metadata"]["name"] for item in as_json["items"]) == ["one", "two"]
    assert jsonpath == "one"
    assert columns == ["NAME", "PHASE", "two", "Succeeded"]
    assert f"Namespace:        {namespace}" in described and "Events:" in described
    assert "Started" in described
    assert all(kind in resources for kind in ("pods", "namespaces", "events", "nodes"))
    assert "Server Version: v1.37.0-patrol-local" in version.stdout
    assert "skew" not in version.stderr
    assert "Kubernetes control plane is running at https://127.0.0.1:" in info
    assert k("get", "pods", "-o", "name") == ""


def test_nodes_are_read_only(k: Kubectl) -> None:
    deleted = k.run("delete", "node", "patrol-local", ok=False)

    assert (deleted.returncode != 0 and "MethodNotAllowed" in deleted.stderr) or (
        "not allow" in deleted.stderr
    )
    assert "patrol-local" in k("get", "nodes", "-o", "name")


def test_describe_node_shows_capacity(core: client.CoreV1Api, k: Kubectl) -> None:
    described = k("describe", "node", "patrol-local")

    assert "Capacity:" in described and "Kubelet Version:" in described


def manifest(path: Path, name: str, *, label: str = "v1", extra: str = "") -> Path:
    path.write_text(
        f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {{app: {label}}}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    args: [sh, -c, "echo applied"]{extra}
"""
    )
    return path


def test_apply_and_create_validate_fields_on_the_server(k: Kubectl, tmp_path: Path) -> None:
    first = k("apply", "-f", str(manifest(tmp_path / "pod.yaml", "applied")))
    again = k("apply", "-f", str(manifest(tmp_path / "pod.yaml", "applied")))
    edited = k("apply", "-f", str(manifest(tmp_path / "pod.yaml", "applied", label="v2")))
    created = k("create", "-f", str(manifest(tmp_path / "other.yaml", "created")))
    bogus = "\n    bogus: 1"
    strict = k.run(
        "create", "-f", str(manifest(tmp_path / "bad.yaml", "bad", extra=bogus)), ok=False
    )
    warned = k.run(
        "create",
        "-f",
        str(manifest(tmp_path / "warn.yaml", "warned", extra=bogus)),
        "--validate=warn",
    )

    assert first.strip() == "pod/applied created"
    assert again.strip() == "pod/applied unchanged"
    assert edited.strip() == "pod/applied configured"
    assert k("get", "pod", "applied", "-o", "jsonpath={.metadata.labels.app}") == "v2"
    assert created.strip() == "pod/created created"
    assert strict.returncode != 0
    assert 'strict decoding error: unknown field "spec.containers[0].bogus"' in strict.stderr
    assert 'Warning: unknown field "spec.containers[0].bogus"' in warned.stderr
    assert k("get", "pods", "-o", "name").split() == ["pod/applied", "pod/created", "pod/warned"]


def test_init_containers_run_in_order_then_every_container_with_its_own_log(
    k: Kubectl, tmp_path: Path
) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text(
        """apiVersion: v1
kind: Pod
metadata: {name: several}
spec:
  restartPolicy: Never
  initContainers:
  - {name: first, image: busybox, command: [sh, -c, "echo one > order; echo init-one"]}
  - {name: second, image: busybox, command: [sh, -c, "echo two >> order; echo init-two"]}
  containers:
  - {name: reader, image: busybox, command: [sh, -c, "cat order; sleep 0.5"]}
  - {name: talker, image: busybox, command: [sh, -c, "echo from talker; sleep 0.5"]}
"""
    )
    k("apply", "-f", str(path))
    eventually(lambda: phase(k, "several") == "Succeeded")

    statuses = json.loads(k("get", "pod", "several", "-o", "json"))["status"]

    assert k("logs", "several", "-c", "first") == "init-one\n"
    assert k("logs", "several", "-c", "second") == "init-two\n"
    assert k("logs", "several", "-c", "reader") == "one\ntwo\n"
    assert k("logs", "several", "-c", "talker") == "from talker\n"
    defaulted = k.run("logs", "several")
    assert defaulted.stdout == "one\ntwo\n" and 'Defaulted container "reader"' in defaulted.stderr
    assert [s["state"]["terminated"]["exitCode"] for s in statuses["initContainerStatuses"]] == [
        0,
        0,
    ]
    assert sorted(s["name"] for s in statuses["containerStatuses"]) == ["reader", "talker"]
    assert all(
        s["state"]["terminated"]["reason"] == "Completed" for s in statuses["containerStatuses"]
    )


def test_a_failing_init_container_fails_the_pod_before_its_containers_run(
    k: Kubectl, tmp_path: Path
) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text(
        """apiVersion: v1
kind: Pod
metadata: {name: blocked}
spec:
  restartPolicy: Never
  initContainers:
  - {name: gate, image: busybox, command: [sh, -c, "exit 4"]}
  containers:
  - {name: main, image: busybox, command: [sh, -c, "echo never"]}
"""
    )
    k("apply", "-f", str(path))
    eventually(lambda: phase(k, "blocked") == "Failed")

    listed = k("get", "pod", "blocked").splitlines()[1].split()
    statuses = json.loads(k("get", "pod", "blocked", "-o", "json"))["status"]

    assert listed[2] == "Init:Error"
    assert statuses["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 4
    assert "waiting" in statuses["containerStatuses"][0]["state"]
    assert k("logs", "blocked", "-c", "gate") == ""
