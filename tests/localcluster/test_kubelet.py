from __future__ import annotations

import ipaddress
import os
import signal
import uuid

import pytest
from kubernetes import client

from app.localcluster import ThreadedLocalCluster
from tests.localcluster.conftest import eventually, pod_manifest


def finished(core: client.CoreV1Api, namespace: str, name: str) -> client.V1Pod:
    def probe() -> client.V1Pod | None:
        pod = core.read_namespaced_pod(name, namespace)
        return pod if pod.status.phase in ("Succeeded", "Failed") else None

    return eventually(probe)


def running(core: client.CoreV1Api, namespace: str, name: str) -> client.V1Pod:
    def probe() -> client.V1Pod | None:
        pod = core.read_namespaced_pod(name, namespace)
        return pod if pod.status.phase == "Running" else None

    return eventually(probe)


def event_reasons(core: client.CoreV1Api, namespace: str, name: str) -> list[str]:
    events = core.list_namespaced_event(
        namespace, field_selector=f"involvedObject.name={name}"
    ).items
    return [event.reason for event in events]


def pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_failing_command_ends_failed_with_its_exit_code_and_output_in_the_log(
    core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_pod(namespace, pod_manifest("exits-3", ["sh", "-c", "echo hi; exit 3"]))

    pod = finished(core, namespace, "exits-3")

    terminated = pod.status.container_statuses[0].state.terminated
    assert pod.status.phase == "Failed"
    assert terminated.exit_code == 3
    assert terminated.reason == "Error"
    assert core.read_namespaced_pod_log("exits-3", namespace) == "hi\n"


def test_a_successful_command_ends_succeeded_with_reason_completed(
    core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_pod(namespace, pod_manifest("exits-0", ["sh", "-c", "echo done >&2"]))

    pod = finished(core, namespace, "exits-0")

    assert pod.status.phase == "Succeeded"
    assert pod.status.container_statuses[0].state.terminated.reason == "Completed"
    assert core.read_namespaced_pod_log("exits-0", namespace) == "done\n"
    assert {c.type: c.reason for c in pod.status.conditions}["Ready"] == "PodCompleted"


def test_a_running_pod_is_bound_and_gets_its_own_loopback_ip(
    core: client.CoreV1Api, namespace: str
) -> None:
    for name in ("ip-a", "ip-b"):
        core.create_namespaced_pod(namespace, pod_manifest(name, ["sleep", "30"]))

    pods = [running(core, namespace, name) for name in ("ip-a", "ip-b")]

    ips = {pod.status.pod_ip for pod in pods}
    assert len(ips) == 2
    assert all(
        ipaddress.ip_address(ip) in ipaddress.ip_network("127.0.0.0/8") and ip != "127.0.0.1"
        for ip in ips
    )
    assert all(pod.spec.node_name == "patrol-local" for pod in pods)
    status = pods[0].status.container_statuses[0]
    assert status.ready and status.started and status.state.running.started_at
    assert status.container_id.startswith("containerd://")
    assert {c.type: c.status for c in pods[0].status.conditions}["Ready"] == "True"
    assert (
        core.list_namespaced_pod(namespace, field_selector=f"status.podIP={pods[0].status.pod_ip}")
        .items[0]
        .metadata.name
        == pods[0].metadata.name
    )
    for name in ("ip-a", "ip-b"):
        core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)


def test_the_container_environment_resolves_field_refs_and_values(
    core: client.CoreV1Api, namespace: str
) -> None:
    env = [
        {"name": "GREETING", "value": "hello"},
        {"name": "DOUBLE", "value": "$(GREETING)-$(GREETING)"},
        {"name": "MY_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "MY_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "MY_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
    ]
    script = 'echo "$DOUBLE $MY_NAMESPACE $MY_NAME ${SECRET-unset} $MY_IP"'
    core.create_namespaced_pod(
        namespace, pod_manifest("env", ["sh", "-c", script], container={"env": env})
    )

    pod = finished(core, namespace, "env")

    assert (
        core.read_namespaced_pod_log("env", namespace)
        == f"hello-hello {namespace} env unset {pod.status.pod_ip}\n"
    )


def test_deleting_a_running_pod_kills_its_process_and_records_killing(
    cluster: ThreadedLocalCluster, core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_pod(namespace, pod_manifest("sleeper", ["sleep", "60"]))
    pod = running(core, namespace, "sleeper")
    pids = cluster.call(lambda c: c.kubelet.pids_of(namespace, "sleeper"))

    deleted = core.delete_namespaced_pod("sleeper", namespace, grace_period_seconds=5)

    assert deleted.metadata.deletion_timestamp is not None
    assert deleted.metadata.deletion_grace_period_seconds == 5
    eventually(
        lambda: (
            not core.list_namespaced_pod(namespace, field_selector="metadata.name=sleeper").items
        )
    )
    assert not pid_exists(pids[0])
    assert "Killing" in event_reasons(core, namespace, "sleeper")
    assert pod.status.pod_ip


# Forks a child into a session of its own (out of reach of the container's group kill) that
# keeps the container's output pipe open, prints its pid, and exits.
ESCAPING = """
import os, sys, time
child = os.fork()
if child == 0:
    os.setsid()
    time.sleep(60)
    os._exit(0)
print(child, flush=True)
"""


def open_fds_on(pipe: str) -> list[str]:
    return [fd for fd in os.listdir("/proc/self/fd") if _link(f"/proc/self/fd/{fd}") == pipe]


def _link(path: str) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def test_a_container_ends_with_its_main_process_though_a_stray_keeps_its_output_open(
    core: client.CoreV1Api, namespace: str
) -> None:
    """As in Kubernetes, the container's end is its main process's. Its output pipe's read end
    (the kubelet's, in this process) is then closed: left open, it would outlive its event loop
    and surface later as an unclosed transport."""
    core.create_namespaced_pod(namespace, pod_manifest("escapes", ["python3", "-c", ESCAPING]))
    assert finished(core, namespace, "escapes").status.phase == "Succeeded"
    stray = int(eventually(lambda: core.read_namespaced_pod_log("escapes", namespace).strip()))
    try:
        pipe = os.readlink(f"/proc/{stray}/fd/1")
        assert pipe.startswith("pipe:")
        # Closed once the output drain gives up on the end that never comes (2 s here).
        eventually(lambda: not open_fds_on(pipe))
    finally:
        os.kill(stray, signal.SIGKILL)


def test_a_process_that_ignores_sigterm_is_killed_when_the_grace_period_ends(
    cluster: ThreadedLocalCluster, core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_pod(
        namespace,
        pod_manifest(
            "stubborn", ["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"]
        ),
    )
    running(core, namespace, "stubborn")
    eventually(lambda: core.read_namespaced_pod_log("stubborn", namespace))
    (pid,) = cluster.call(lambda c: c.kubelet.pids_of(namespace, "stubborn"))

    core.delete_namespaced_pod("stubborn", namespace, grace_period_seconds=1)

    eventually(
        lambda: (
            not core.list_namespaced_pod(namespace, field_selector="metadata.name=stubborn").items
        )
    )
    assert not pid_exists(pid)


def test_the_kubelet_emits_the_usual_start_events_in_order(
    core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_pod(namespace, pod_manifest("eventful", ["true"], image="busybox:1.36"))
    finished(core, namespace, "eventful")

    events = core.list_namespaced_event(
        namespace, field_selector="involvedObject.name=eventful"
    ).items

    assert [e.reason for e in events] == ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    scheduled, pulling = events[0], events[1]
    assert scheduled.reporting_component == "default-scheduler" and scheduled.action == "Binding"
    assert pulling.source.component == "kubelet" and pulling.count == 1
    assert pulling.involved_object.field_path == "spec.containers{app}"
    assert events[2].message == 'Container image "busybox:1.36" already present on machine'
    assert all(e.metadata.name.startswith("eventful.") for e in events)


def test_an_unpullable_image_leaves_the_pod_pending_with_pull_errors(
    core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_pod(
        namespace, pod_manifest("unpullable", ["true"], image="registry.invalid/x:1")
    )

    def backing_off() -> client.V1Pod | None:
        pod = core.read_namespaced_pod("unpullable", namespace)
        statuses = pod.status.container_statuses or []
        waiting = statuses[0].state.waiting if statuses else None
        return pod if waiting and waiting.reason == "ImagePullBackOff" else None

    pod = backing_off_pod = eventually(backing_off)
    messages = [
        e.message
        for e in core.list_namespaced_event(
            namespace, field_selector="involvedObject.name=unpullable"
        ).items
    ]

    assert pod.status.phase == "Pending"
    assert backing_off_pod.status.container_statuses[0].image_id == ""
    assert "Error: ErrImagePull" in messages
    assert "Error: ImagePullBackOff" in messages
    assert 'Back-off pulling image "registry.invalid/x:1"' in messages
    with pytest.raises(client.ApiException) as raised:
        core.read_namespaced_pod_log("unpullable", namespace)
    assert raised.value.status == 400


def test_a_pod_whose_node_selector_matches_no_node_stays_pending_unschedulable(
    core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_pod(
        namespace, pod_manifest("homeless", ["true"], nodeSelector={"disk": "ssd"})
    )

    def unschedulable() -> client.V1PodCondition | None:
        conditions = core.read_namespaced_pod("homeless", namespace).status.conditions or []
        return next(
            (c for c in conditions if c.type == "PodScheduled" and c.reason == "Unschedulable"),
            None,
        )

    condition = eventually(unschedulable)
    events = core.list_namespaced_event(
        namespace, field_selector="involvedObject.name=homeless,reason=FailedScheduling"
    ).items

    assert condition.status == "False"
    assert events[0].type == "Warning" and events[0].action == "Scheduling"
    assert not core.read_namespaced_pod_log("homeless", namespace)
    assert core.read_namespaced_pod("homeless", namespace).spec.node_name is None


def test_a_container_without_a_command_or_known_image_fails_to_start(
    core: client.CoreV1Api, namespace: str
) -> None:
    manifest = pod_manifest("commandless", [], image="registry.example/unknown:1")
    del manifest["spec"]["containers"][0]["command"]
    core.create_namespaced_pod(namespace, manifest)

    pod = finished(core, namespace, "commandless")

    terminated = pod.status.container_statuses[0].state.terminated
    assert (pod.status.phase, terminated.reason, terminated.exit_code) == (
        "Failed",
        "StartError",
        128,
    )
    assert any(
        m.startswith("Error: ")
        for m in [
            e.message
            for e in core.list_namespaced_event(
                namespace, field_selector="involvedObject.name=commandless,type=Warning"
            ).items
        ]
    )


def test_an_image_listed_in_image_commands_supplies_the_entrypoint(
    core: client.CoreV1Api, namespace: str
) -> None:
    manifest = pod_manifest(
        "mapped", [], image="patrol-test/python:1", container={"args": ["print('from python')"]}
    )
    del manifest["spec"]["containers"][0]["command"]
    core.create_namespaced_pod(namespace, manifest)

    pod = finished(core, namespace, "mapped")

    assert pod.status.phase == "Succeeded"
    assert core.read_namespaced_pod_log("mapped", namespace) == "from python\n"


@pytest.mark.parametrize("image", ["busybox", "busybox:1.36", "docker.io/library/alpine:3.20"])
def test_args_without_a_command_are_the_argv_of_an_image_without_an_entrypoint(
    core: client.CoreV1Api, namespace: str, image: str
) -> None:
    name = f"args-{uuid.uuid4().hex[:6]}"
    manifest = pod_manifest(name, [], image=image, container={"args": ["sh", "-c", "echo hi"]})
    del manifest["spec"]["containers"][0]["command"]
    core.create_namespaced_pod(namespace, manifest)

    pod = finished(core, namespace, name)

    assert pod.status.phase == "Succeeded"
    assert core.read_namespaced_pod_log(name, namespace) == "hi\n"


def test_logs_honour_tail_lines_and_limit_bytes(core: client.CoreV1Api, namespace: str) -> None:
    core.create_namespaced_pod(
        namespace, pod_manifest("chatty", ["sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done"])
    )
    finished(core, namespace, "chatty")

    assert core.read_namespaced_pod_log("chatty", namespace, tail_lines=2) == "line4\nline5\n"
    assert core.read_namespaced_pod_log("chatty", namespace, limit_bytes=8) == "line1\nli"
    with pytest.raises(client.ApiException) as raised:
        core.read_namespaced_pod_log("chatty", namespace, tail_lines=-1)
    assert raised.value.status == 422


def test_a_crashing_container_with_on_failure_restarts_into_crash_loop_back_off(
    core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_pod(
        namespace,
        pod_manifest("crasher", ["sh", "-c", "echo boom; exit 1"], restartPolicy="OnFailure"),
    )

    def restarted() -> client.V1ContainerStatus | None:
        statuses = core.read_namespaced_pod("crasher", namespace).status.container_statuses or []
        return statuses[0] if statuses and statuses[0].restart_count >= 1 else None

    status = eventually(restarted)

    assert status.last_state.terminated.exit_code == 1
    assert "BackOff" in event_reasons(core, namespace, "crasher")
    assert core.read_namespaced_pod_log("crasher", namespace, previous=True) == "boom\n"
    core.delete_namespaced_pod("crasher", namespace, grace_period_seconds=0)


def test_events_can_be_listed_cluster_wide_by_involved_object_uid(
    core: client.CoreV1Api, namespace: str
) -> None:
    pod = core.create_namespaced_pod(namespace, pod_manifest("traced", ["true"]))
    finished(core, namespace, "traced")

    events = core.list_event_for_all_namespaces(
        field_selector=f"involvedObject.uid={pod.metadata.uid}"
    ).items

    assert {e.involved_object.name for e in events} == {"traced"}
    assert len(events) == 5
