"""A simulated single-node scheduler + kubelet that runs each pod's first container locally."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import shutil
import signal
import time
from dataclasses import dataclass, field
from typing import Any

import structlog

from app.localcluster import meta
from app.localcluster.events import EventRecorder
from app.localcluster.ipam import PodIPAllocator
from app.localcluster.logs import DEFAULT_LOG_LIMIT, LogBuffer
from app.localcluster.reaper import Reaper
from app.localcluster.registry import Registry
from app.localcluster.resources import PODS
from app.localcluster.runtime import (
    ImageCommands,
    NoCommandError,
    command_line,
    container_environment,
)
from app.localcluster.store import Object
from app.owned_directories import make_owned_directory

log = structlog.get_logger(__name__)

_NEVER_STARTED = "1970-01-01T00:00:00Z"

# A pod's working directory is named after the process that runs the kubelet, so that the next
# local cluster to start removes those a killed one left (`owned_directories`).
POD_DIRECTORY_PREFIX = "patrol-pod-"


@dataclass(frozen=True)
class Node:
    name: str = "patrol-local"
    ip: str = "127.0.0.1"
    labels: dict[str, str] = field(
        default_factory=lambda: {
            "kubernetes.io/hostname": "patrol-local",
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
        }
    )


@dataclass(frozen=True)
class KubeletTimings:
    """Back-off delays; the real kubelet starts at 10 s and doubles up to 5 min."""

    image_pull_backoff: float = 10.0
    crash_loop_backoff: float = 10.0
    max_backoff: float = 300.0
    output_drain_timeout: float = 2.0


def image_pull_fails(image: str) -> bool:
    """Fault injection: any image whose registry host ends in `.invalid` cannot be pulled."""
    first, _, rest = image.partition("/")
    return bool(rest) and first.split(":")[0].endswith(".invalid")


def normalized_image(image: str) -> str:
    first, _, rest = image.partition("/")
    if not rest:
        image = f"docker.io/library/{image}"
    elif "." not in first and ":" not in first and first != "localhost":
        image = f"docker.io/{image}"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in last:
        image += ":latest"
    return image


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


class Kubelet:
    def __init__(
        self,
        registry: Registry,
        node: Node,
        image_commands: ImageCommands,
        timings: KubeletTimings,
        log_limit: int = DEFAULT_LOG_LIMIT,
    ) -> None:
        self.registry = registry
        self.node = node
        self.image_commands = image_commands
        self.timings = timings
        self.log_limit = log_limit
        self.recorder = EventRecorder(registry, node.name)
        self.ips = PodIPAllocator()
        self.reaper = Reaper()
        self._workers: dict[str, PodWorker] = {}

    def pod_created(self, pod: Object) -> None:
        worker = PodWorker(self, pod)
        self._workers[pod["metadata"]["uid"]] = worker
        worker.start()

    def pod_deletion_requested(self, pod: Object) -> None:
        worker = self._workers.get(pod["metadata"]["uid"])
        if worker is None:
            self.registry.finish_pod_deletion(pod["metadata"]["namespace"], pod["metadata"]["name"])
        else:
            worker.request_deletion(int(pod["metadata"]["deletionGracePeriodSeconds"]))

    def pod_removed(self, pod: Object) -> None:
        worker = self._workers.get(pod["metadata"]["uid"])
        if worker is not None:
            worker.force_remove()

    def worker_for(self, pod: Object) -> PodWorker | None:
        return self._workers.get(pod["metadata"]["uid"])

    def forget(self, worker: PodWorker) -> None:
        self._workers.pop(worker.uid, None)
        self.recorder.forget(worker.uid)

    @property
    def running_processes(self) -> list[int]:
        return [
            w.process.pid
            for w in self._workers.values()
            if w.process and w.process.returncode is None
        ]

    async def shutdown(self) -> None:
        workers = list(self._workers.values())
        for worker in workers:
            worker.force_remove()
        await asyncio.gather(*(worker.done() for worker in workers), return_exceptions=True)
        await self.reaper.close()


class PodWorker:
    """Drives one pod: schedule, pull, run (and restart), stop on deletion."""

    def __init__(self, kubelet: Kubelet, pod: Object) -> None:
        metadata = pod["metadata"]
        self.kubelet = kubelet
        self.namespace: str = metadata["namespace"]
        self.name: str = metadata["name"]
        self.uid: str = metadata["uid"]
        self.container: Object = pod["spec"]["containers"][0]
        self.container_name: str = self.container["name"]
        self.image = normalized_image(self.container["image"])
        self.qos_class: str = pod["status"].get("qosClass", "BestEffort")
        self.phase = "Pending"
        self.state: Object = {"waiting": {"reason": "ContainerCreating"}}
        self.last_state: Object = {}
        self.restart_count = 0
        self.ready = False
        self.started = False
        self.image_id = ""
        self.container_id: str | None = None
        self.bound = False
        self.pod_ip: str | None = None
        self.start_time: str | None = None
        self.conditions: dict[str, Object] = {}
        self.log = LogBuffer(kubelet.log_limit)
        self.previous_log: LogBuffer | None = None
        self.process: asyncio.subprocess.Process | None = None
        # The running container's environment, for `exec` into it.
        self.environment: dict[str, str] = {}
        self._group_ended = False
        self.workdir: str | None = None
        self._reader: asyncio.Task[None] | None = None
        self._deletion = asyncio.Event()
        self._grace_changed = asyncio.Event()
        self._grace_deadline = 0.0
        self._removed = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"pod {self.namespace}/{self.name}"
        )

    async def done(self) -> None:
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    def request_deletion(self, grace_seconds: int) -> None:
        self._grace_deadline = time.monotonic() + grace_seconds
        self._grace_changed.set()
        self._deletion.set()

    def force_remove(self) -> None:
        self._removed = True
        if self._task is not None:
            self._task.cancel()

    def waiting_reason(self) -> str | None:
        waiting = self.state.get("waiting")
        return waiting.get("reason") if waiting else None

    async def _run(self) -> None:
        lifecycle = asyncio.create_task(self._lifecycle())
        deletion = asyncio.create_task(self._deletion.wait())
        try:
            await asyncio.wait({lifecycle, deletion}, return_when=asyncio.FIRST_COMPLETED)
            if lifecycle.done() and not self._deletion.is_set():
                lifecycle.result()
                await deletion
            lifecycle.cancel()
            await asyncio.gather(lifecycle, return_exceptions=True)
            await self._stop_container()
            self.kubelet.registry.finish_pod_deletion(self.namespace, self.name)
        except Exception:
            log.exception("pod worker failed", pod=f"{self.namespace}/{self.name}")
        finally:
            lifecycle.cancel()
            deletion.cancel()
            await self._cleanup()

    def _pod(self) -> Object:
        pod = self.kubelet.registry.store.get(PODS.name, self.namespace, self.name)
        if pod is None or pod["metadata"]["uid"] != self.uid:
            raise asyncio.CancelledError()
        return pod

    async def _lifecycle(self) -> None:
        pod = self._pod()
        node = self.kubelet.node
        node_name = pod["spec"].get("nodeName")
        if node_name and node_name != node.name:
            await asyncio.Event().wait()
        selector: dict[str, str] = pod["spec"].get("nodeSelector") or {}
        if any(node.labels.get(k) != v for k, v in selector.items()):
            message = (
                "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: "
                "0/1 nodes are available: 1 Preemption is not helpful for scheduling."
            )
            self._set_condition("PodScheduled", False, "Unschedulable", message)
            self._write_status()
            self.kubelet.recorder.scheduler_event(
                pod, "Warning", "FailedScheduling", "Scheduling", message
            )
            await asyncio.Event().wait()
        self.bound = True
        self._set_condition("PodScheduled", True)
        self._write_status(bind=not node_name)
        if not node_name:
            self.kubelet.recorder.scheduler_event(
                self._pod(),
                "Normal",
                "Scheduled",
                "Binding",
                f"Successfully assigned {self.namespace}/{self.name} to {node.name}",
            )
        self.pod_ip = self.kubelet.ips.allocate()
        self.start_time = meta.now_rfc3339()
        self._set_condition("PodReadyToStartContainers", True)
        self._set_condition("Initialized", True)
        self._set_not_ready(
            "ContainersNotReady", f"containers with unready status: [{self.container_name}]"
        )
        self._write_status()
        await self._pull_image()
        backoff = self.kubelet.timings.crash_loop_backoff
        while True:
            exit_code = await self._run_container_once()
            policy = pod["spec"].get("restartPolicy", "Always")
            if policy == "Never" or (policy == "OnFailure" and exit_code == 0):
                self._become_terminal(exit_code)
                return
            await self._crash_loop_backoff(backoff)
            backoff = min(backoff * 2, self.kubelet.timings.max_backoff)

    async def _pull_image(self) -> None:
        image = self.container["image"]
        recorder = self.kubelet.recorder
        backoff = self.kubelet.timings.image_pull_backoff
        while True:
            recorder.kubelet_event(
                self._pod(), "Normal", "Pulling", f'Pulling image "{image}"', self.container_name
            )
            if not image_pull_fails(image):
                break
            host = image.split("/", 1)[0]
            reason = (
                f'rpc error: code = Unknown desc = failed to pull and unpack image "{self.image}": failed to resolve '
                f'reference "{self.image}": failed to do request: Head "https://{host}/v2/": dial tcp: lookup {host}: no such host'
            )
            pod = self._pod()
            recorder.kubelet_event(
                pod,
                "Warning",
                "Failed",
                f'Failed to pull image "{image}": {reason}',
                self.container_name,
            )
            recorder.kubelet_event(
                pod, "Warning", "Failed", "Error: ErrImagePull", self.container_name
            )
            self.state = {"waiting": {"reason": "ErrImagePull", "message": reason}}
            self._write_status()
            await asyncio.sleep(min(1.0, backoff))
            pod = self._pod()
            recorder.kubelet_event(
                pod, "Normal", "BackOff", f'Back-off pulling image "{image}"', self.container_name
            )
            recorder.kubelet_event(
                pod, "Warning", "Failed", "Error: ImagePullBackOff", self.container_name
            )
            self.state = {
                "waiting": {
                    "reason": "ImagePullBackOff",
                    "message": f'Back-off pulling image "{image}"',
                }
            }
            self._write_status()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.kubelet.timings.max_backoff)
        digest = hashlib.sha256(self.image.encode()).hexdigest()
        repository = self.image.split("@")[0] if "@" in self.image else self.image.rsplit(":", 1)[0]
        self.image_id = f"{repository}@sha256:{digest}"
        if self.container.get("imagePullPolicy") == "Always":
            message = f'Successfully pulled image "{image}" in 1ms (1ms including waiting). Image size: 0 bytes.'
        else:
            message = f'Container image "{image}" already present on machine'
        recorder.kubelet_event(self._pod(), "Normal", "Pulled", message, self.container_name)

    async def _run_container_once(self) -> int:
        pod = self._pod()
        recorder = self.kubelet.recorder
        self.container_id = f"containerd://{secrets.token_hex(32)}"
        if self.workdir is None:
            self.workdir = str(
                make_owned_directory(POD_DIRECTORY_PREFIX, label=f"{self.name[:40]}-")
            )
        env = container_environment(pod, self.container, self.workdir)
        self.environment = env
        try:
            argv = command_line(pod, self.container, env, self.kubelet.image_commands)
        except NoCommandError as error:
            return self._start_error(str(error))
        recorder.kubelet_event(
            pod,
            "Normal",
            "Created",
            f"Created container: {self.container_name}",
            self.container_name,
        )
        await self.kubelet.reaper.start()
        try:
            self.process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env=env,
                cwd=self.workdir,
                start_new_session=True,
            )
        except OSError as error:
            return self._start_error(
                "failed to create containerd task: failed to create shim task: OCI runtime create failed: "
                f'exec: "{argv[0]}": {error.strerror}'
            )
        self._group_ended = False
        # Before the Started event and the Running status: a container reported running is guarded.
        self.kubelet.reaper.watch(self.process.pid)
        log.debug(
            "container started",
            pod=f"{self.namespace}/{self.name}",
            pid=self.process.pid,
            argv=argv,
        )
        recorder.kubelet_event(
            self._pod(),
            "Normal",
            "Started",
            f"Started container {self.container_name}",
            self.container_name,
        )
        started_at = meta.now_rfc3339()
        self.state = {"running": {"startedAt": started_at}}
        self.started = True
        self.ready = True
        self.phase = "Running"
        self._set_condition("ContainersReady", True)
        self._set_condition("Ready", True)
        self._write_status()
        assert self.process.stdout is not None
        self._reader = asyncio.create_task(self._pump_output(self.process.stdout, self.log))
        returncode = await self.process.wait()
        self._end_group()
        await self._drain_output()
        return self._container_exited(returncode, started_at)

    def _container_exited(self, returncode: int, started_at: str) -> int:
        exit_code = _exit_code(returncode)
        terminated: dict[str, Any] = {
            "exitCode": exit_code,
            "reason": "Completed" if exit_code == 0 else "Error",
            "startedAt": started_at,
            "finishedAt": meta.now_rfc3339(),
            "containerID": self.container_id,
        }
        self.state = {"terminated": terminated}
        self.started = False
        self.ready = False
        # The container's log is complete: a follower (`kubectl logs -f`) ends here.
        self.log.close()
        return exit_code

    def _start_error(self, message: str) -> int:
        self.kubelet.recorder.kubelet_event(
            self._pod(), "Warning", "Failed", f"Error: {message}", self.container_name
        )
        self.state = {
            "terminated": {
                "exitCode": 128,
                "reason": "StartError",
                "message": message,
                "startedAt": _NEVER_STARTED,
                "finishedAt": meta.now_rfc3339(),
                "containerID": self.container_id,
            }
        }
        self.started = False
        self.ready = False
        self.log.close()
        return 128

    def _become_terminal(self, exit_code: int) -> None:
        self.phase = "Succeeded" if exit_code == 0 else "Failed"
        reason = "PodCompleted" if exit_code == 0 else "PodFailed"
        self._set_condition("PodReadyToStartContainers", False)
        self._set_condition("Ready", False, reason)
        self._set_condition("ContainersReady", False, reason)
        self._write_status()

    async def _crash_loop_backoff(self, delay: float) -> None:
        self.restart_count += 1
        self.last_state = self.state
        self.previous_log = self.log
        self.previous_log.close()
        self.log = LogBuffer(self.kubelet.log_limit)
        pod = self._pod()
        pod_ref = f"{self.name}_{self.namespace}({self.uid})"
        self.state = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {int(delay)}s restarting failed container={self.container_name} pod={pod_ref}",
            }
        }
        self._set_not_ready(
            "ContainersNotReady", f"containers with unready status: [{self.container_name}]"
        )
        self._write_status()
        self.kubelet.recorder.kubelet_event(
            pod,
            "Warning",
            "BackOff",
            f"Back-off restarting failed container {self.container_name} in pod {pod_ref}",
            self.container_name,
        )
        await asyncio.sleep(delay)

    async def _stop_container(self) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        self.kubelet.recorder.kubelet_event(
            self._pod(),
            "Normal",
            "Killing",
            f"Stopping container {self.container_name}",
            self.container_name,
        )
        started_at = self.state.get("running", {}).get("startedAt", _NEVER_STARTED)
        self._signal_group(signal.SIGTERM)
        wait = asyncio.create_task(process.wait())
        try:
            while not wait.done():
                self._grace_changed.clear()
                remaining = self._grace_deadline - time.monotonic()
                if remaining <= 0:
                    break
                changed = asyncio.create_task(self._grace_changed.wait())
                await asyncio.wait(
                    {wait, changed}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                )
                changed.cancel()
            if not wait.done():
                self._signal_group(signal.SIGKILL)
            returncode = await wait
        finally:
            wait.cancel()
        self._end_group()
        await self._drain_output()
        exit_code = self._container_exited(returncode, started_at)
        # Since 1.27 the kubelet moves a deleted pod to a terminal phase before the final delete.
        self._become_terminal(exit_code)

    async def _pump_output(self, stream: asyncio.StreamReader, buffer: LogBuffer) -> None:
        while chunk := await stream.read(65536):
            buffer.append(chunk)

    async def _drain_output(self) -> None:
        reader, self._reader = self._reader, None
        if reader is None:
            return
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(reader, self.kubelet.timings.output_drain_timeout)

    def _signal_group(self, signum: signal.Signals) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def _end_group(self) -> None:
        """Kills the container's process group, or what is left of it, and only once: pids wrap
        around, and a later signal could reach a new group with the same id."""
        if self.process is not None and not self._group_ended:
            self._group_ended = True
            self._signal_group(signal.SIGKILL)
            self.kubelet.reaper.forget(self.process.pid)

    async def _cleanup(self) -> None:
        process = self.process
        if process is not None:
            self._end_group()
            if process.returncode is None:
                with contextlib.suppress(Exception):
                    await asyncio.shield(process.wait())
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        self.log.close()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if self.pod_ip is not None:
            self.kubelet.ips.release(self.pod_ip)
        self.kubelet.forget(self)

    def _set_condition(
        self, type_: str, status: bool, reason: str | None = None, message: str | None = None
    ) -> None:
        value = "True" if status else "False"
        existing = self.conditions.get(type_)
        condition: Object = {
            "type": type_,
            "status": value,
            "lastProbeTime": None,
            "lastTransitionTime": (
                existing["lastTransitionTime"]
                if existing and existing["status"] == value
                else meta.now_rfc3339()
            ),
        }
        if reason:
            condition["reason"] = reason
        if message:
            condition["message"] = message
        self.conditions[type_] = condition

    def _set_not_ready(self, reason: str, message: str) -> None:
        self._set_condition("Ready", False, reason, message)
        self._set_condition("ContainersReady", False, reason, message)

    def _write_status(self, bind: bool = False) -> None:
        order = (
            "PodReadyToStartContainers",
            "Initialized",
            "Ready",
            "ContainersReady",
            "PodScheduled",
        )
        status: Object = {
            "phase": self.phase,
            "conditions": [self.conditions[t] for t in order if t in self.conditions],
        }
        if self.bound:
            node_ip = self.kubelet.node.ip
            status["hostIP"] = node_ip
            status["hostIPs"] = [{"ip": node_ip}]
        if self.pod_ip is not None:
            status["podIP"] = self.pod_ip
            status["podIPs"] = [{"ip": self.pod_ip}]
        if self.start_time is not None:
            status["startTime"] = self.start_time
            container_status: Object = {
                "name": self.container_name,
                "state": self.state,
                "lastState": self.last_state,
                "ready": self.ready,
                "restartCount": self.restart_count,
                "image": self.image,
                "imageID": self.image_id,
                "started": self.started,
            }
            if self.container_id is not None and "waiting" not in self.state:
                container_status["containerID"] = self.container_id
            status["containerStatuses"] = [container_status]
        status["qosClass"] = self.qos_class
        self.kubelet.registry.update_pod_status(
            self.namespace,
            self.name,
            status,
            spec_node_name=self.kubelet.node.name if bind else None,
        )
