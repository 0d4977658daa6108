"""A simulated single-node scheduler + kubelet: each pod's init containers run one after the other,
then all its containers together, each as a local process group with its own log and state."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import shutil
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

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

    def pids_of(self, namespace: str, name: str) -> list[int]:
        """The process ids of the pod's running containers."""
        return [
            runner.process.pid
            for worker in self._workers.values()
            if (worker.namespace, worker.name) == (namespace, name)
            for runner in worker.runners()
            if runner.process and runner.process.returncode is None
        ]

    @property
    def running_processes(self) -> list[int]:
        return [
            runner.process.pid
            for worker in self._workers.values()
            for runner in worker.runners()
            if runner.process and runner.process.returncode is None
        ]

    async def shutdown(self) -> None:
        workers = list(self._workers.values())
        for worker in workers:
            worker.force_remove()
        await asyncio.gather(*(worker.done() for worker in workers), return_exceptions=True)
        await self.reaper.close()


class PodWorker:
    """Drives one pod: schedule, run its init containers in order then its containers together
    (restarting them as the restart policy says), stop them on deletion."""

    def __init__(self, kubelet: Kubelet, pod: Object) -> None:
        metadata = pod["metadata"]
        self.kubelet = kubelet
        self.namespace: str = metadata["namespace"]
        self.name: str = metadata["name"]
        self.uid: str = metadata["uid"]
        self.restart_policy: str = pod["spec"].get("restartPolicy", "Always")
        self.init_containers = [
            ContainerRunner(self, spec, init=True)
            for spec in pod["spec"].get("initContainers") or []
        ]
        self.containers = [
            ContainerRunner(self, spec, init=False, initializing=bool(self.init_containers))
            for spec in pod["spec"]["containers"]
        ]
        self.qos_class: str = pod["status"].get("qosClass", "BestEffort")
        self.phase = "Pending"
        self.bound = False
        self.pod_ip: str | None = None
        self.start_time: str | None = None
        self.conditions: dict[str, Object] = {}
        self.workdir: str | None = None
        self._deletion = asyncio.Event()
        self._grace_changed = asyncio.Event()
        self._grace_deadline = 0.0
        self._removed = False
        self._task: asyncio.Task[None] | None = None

    def runners(self) -> list[ContainerRunner]:
        return [*self.init_containers, *self.containers]

    def runner(self, name: str) -> ContainerRunner | None:
        return next((runner for runner in self.runners() if runner.name == name), None)

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
            await self._stop_containers()
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
        self.workdir = str(make_owned_directory(POD_DIRECTORY_PREFIX, label=f"{self.name[:40]}-"))
        self._set_condition("PodReadyToStartContainers", True)
        if self.init_containers:
            self._set_condition(
                "Initialized",
                False,
                "ContainersNotInitialized",
                f"containers with incomplete status: [{_names(self.init_containers)}]",
            )
        else:
            self._set_condition("Initialized", True)
        self._update_readiness()
        self._write_status()
        for index, init in enumerate(self.init_containers):
            if not await self._run_init_container(init):
                self._become_terminal(succeeded=False)
                return
            pending = self.init_containers[index + 1 :]
            if pending:
                self._set_condition(
                    "Initialized",
                    False,
                    "ContainersNotInitialized",
                    f"containers with incomplete status: [{_names(pending)}]",
                )
        if self.init_containers:
            self._set_condition("Initialized", True)
            for runner in self.containers:
                runner.state = {"waiting": {"reason": "ContainerCreating"}}
            self._write_status()
        exit_codes = await asyncio.gather(*(self._keep_running(c) for c in self.containers))
        self._become_terminal(succeeded=all(code == 0 for code in exit_codes))

    async def _run_init_container(self, runner: ContainerRunner) -> bool:
        """Runs an init container to success, restarting it unless the policy is Never."""
        await runner.pull()
        backoff = self.kubelet.timings.crash_loop_backoff
        while True:
            exit_code = await runner.run_once()
            if exit_code == 0:
                return True
            if self.restart_policy == "Never":
                return False
            await runner.crash_loop_backoff(backoff)
            backoff = min(backoff * 2, self.kubelet.timings.max_backoff)

    async def _keep_running(self, runner: ContainerRunner) -> int:
        """Runs a container until the restart policy lets it rest; returns its last exit code."""
        await runner.pull()
        backoff = self.kubelet.timings.crash_loop_backoff
        while True:
            exit_code = await runner.run_once()
            policy = self.restart_policy
            if policy == "Never" or (policy == "OnFailure" and exit_code == 0):
                return exit_code
            await runner.crash_loop_backoff(backoff)
            backoff = min(backoff * 2, self.kubelet.timings.max_backoff)

    def _become_terminal(self, *, succeeded: bool) -> None:
        self.phase = "Succeeded" if succeeded else "Failed"
        reason = "PodCompleted" if succeeded else "PodFailed"
        self._set_condition("PodReadyToStartContainers", False)
        self._set_condition("Ready", False, reason)
        self._set_condition("ContainersReady", False, reason)
        self._write_status()

    async def _stop_containers(self) -> None:
        running = [runner for runner in self.runners() if runner.is_running()]
        if not running:
            return
        codes = await asyncio.gather(*(runner.stop(self._grace) for runner in running))
        # Since 1.27 the kubelet moves a deleted pod to a terminal phase before the final delete.
        if self.phase not in ("Succeeded", "Failed"):
            self._become_terminal(succeeded=all(code == 0 for code in codes))

    async def _grace(self, wait: asyncio.Task[int]) -> None:
        """Waits for `wait` until the (possibly shortened) grace period of the deletion ends."""
        while not wait.done():
            self._grace_changed.clear()
            remaining = self._grace_deadline - time.monotonic()
            if remaining <= 0:
                return
            changed = asyncio.create_task(self._grace_changed.wait())
            await asyncio.wait(
                {wait, changed}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            changed.cancel()

    async def _cleanup(self) -> None:
        await asyncio.gather(*(runner.cleanup() for runner in self.runners()))
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

    def _update_readiness(self) -> None:
        unready = [runner for runner in self.containers if not runner.ready]
        if self.phase in ("Succeeded", "Failed"):
            return
        if unready:
            message = f"containers with unready status: [{_names(unready)}]"
            self._set_condition("Ready", False, "ContainersNotReady", message)
            self._set_condition("ContainersReady", False, "ContainersNotReady", message)
        else:
            self._set_condition("ContainersReady", True)
            self._set_condition("Ready", True)

    def container_changed(self) -> None:
        """A container started, ended or is waiting: recompute the pod's phase and readiness."""
        if self.phase not in ("Succeeded", "Failed") and any(
            runner.is_running() for runner in self.containers
        ):
            self.phase = "Running"
        self._update_readiness()
        self._write_status()

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
            if self.init_containers:
                status["initContainerStatuses"] = [r.status() for r in self.init_containers]
            status["containerStatuses"] = [r.status() for r in self.containers]
        status["qosClass"] = self.qos_class
        self.kubelet.registry.update_pod_status(
            self.namespace,
            self.name,
            status,
            spec_node_name=self.kubelet.node.name if bind else None,
        )


class ContainerRunner:
    """One container of a pod: pulls its image, runs it as a process group, keeps its log."""

    def __init__(
        self, worker: PodWorker, spec: Object, *, init: bool, initializing: bool = False
    ) -> None:
        self.worker = worker
        self.kubelet = worker.kubelet
        self.spec = spec
        self.init = init
        self.name: str = spec["name"]
        self.image = normalized_image(spec["image"])
        self.state: Object = {
            "waiting": {"reason": "PodInitializing" if initializing else "ContainerCreating"}
        }
        self.last_state: Object = {}
        self.restart_count = 0
        self.ready = False
        self.started = False
        self.image_id = ""
        self.container_id: str | None = None
        self.log = LogBuffer(worker.kubelet.log_limit)
        self.previous_log: LogBuffer | None = None
        self.process: asyncio.subprocess.Process | None = None
        # The running container's environment, for `exec` into it.
        self.environment: dict[str, str] = {}
        self._group_ended = False
        self._reader: asyncio.Task[None] | None = None
        self._output: BinaryIO | None = None

    @property
    def field_path(self) -> str:
        return f"spec.{'initContainers' if self.init else 'containers'}{{{self.name}}}"

    def is_running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def waiting_reason(self) -> str | None:
        waiting = self.state.get("waiting")
        return waiting.get("reason") if waiting else None

    def status(self) -> Object:
        status: Object = {
            "name": self.name,
            "state": self.state,
            "lastState": self.last_state,
            "ready": self.ready,
            "restartCount": self.restart_count,
            "image": self.image,
            "imageID": self.image_id,
            "started": self.started,
        }
        if self.container_id is not None and "waiting" not in self.state:
            status["containerID"] = self.container_id
        return status

    def _event(self, type_: str, reason: str, message: str) -> None:
        self.kubelet.recorder.kubelet_event(
            self.worker._pod(), type_, reason, message, self.name, field_path=self.field_path
        )

    def _changed(self) -> None:
        self.worker.container_changed()

    async def pull(self) -> None:
        image = self.spec["image"]
        backoff = self.kubelet.timings.image_pull_backoff
        while True:
            self._event("Normal", "Pulling", f'Pulling image "{image}"')
            if not image_pull_fails(image):
                break
            host = image.split("/", 1)[0]
            reason = (
                f'rpc error: code = Unknown desc = failed to pull and unpack image "{self.image}": failed to resolve '
                f'reference "{self.image}": failed to do request: Head "https://{host}/v2/": dial tcp: lookup {host}: no such host'
            )
            self._event("Warning", "Failed", f'Failed to pull image "{image}": {reason}')
            self._event("Warning", "Failed", "Error: ErrImagePull")
            self.state = {"waiting": {"reason": "ErrImagePull", "message": reason}}
            self._changed()
            await asyncio.sleep(min(1.0, backoff))
            self._event("Normal", "BackOff", f'Back-off pulling image "{image}"')
            self._event("Warning", "Failed", "Error: ImagePullBackOff")
            self.state = {
                "waiting": {
                    "reason": "ImagePullBackOff",
                    "message": f'Back-off pulling image "{image}"',
                }
            }
            self._changed()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.kubelet.timings.max_backoff)
        digest = hashlib.sha256(self.image.encode()).hexdigest()
        repository = self.image.split("@")[0] if "@" in self.image else self.image.rsplit(":", 1)[0]
        self.image_id = f"{repository}@sha256:{digest}"
        if self.spec.get("imagePullPolicy") == "Always":
            message = f'Successfully pulled image "{image}" in 1ms (1ms including waiting). Image size: 0 bytes.'
        else:
            message = f'Container image "{image}" already present on machine'
        self._event("Normal", "Pulled", message)

    async def run_once(self) -> int:
        pod = self.worker._pod()
        self.container_id = f"containerd://{secrets.token_hex(32)}"
        assert self.worker.workdir is not None
        env = container_environment(pod, self.spec, self.worker.workdir)
        self.environment = env
        try:
            argv = command_line(pod, self.spec, env, self.kubelet.image_commands)
        except NoCommandError as error:
            return self._start_error(str(error))
        self._event("Normal", "Created", f"Created container: {self.name}")
        await self.kubelet.reaper.start()
        # The output pipe is this runner's own, not the Process's: it closes it however reading
        # ends (see `_pump_output`).
        read_end, write_end = os.pipe()
        try:
            self.process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=write_end,
                stderr=asyncio.subprocess.STDOUT,
                env=env,
                cwd=self.worker.workdir,
                start_new_session=True,
            )
        except OSError as error:
            os.close(read_end)
            return self._start_error(
                "failed to create containerd task: failed to create shim task: OCI runtime create failed: "
                f'exec: "{argv[0]}": {error.strerror}'
            )
        finally:
            os.close(write_end)
        self._group_ended = False
        # Before the Started event and the Running status: a container reported running is guarded.
        self.kubelet.reaper.watch(self.process.pid)
        log.debug(
            "container started",
            pod=f"{self.worker.namespace}/{self.worker.name}",
            container=self.name,
            pid=self.process.pid,
            argv=argv,
        )
        self._event("Normal", "Started", f"Started container {self.name}")
        started_at = meta.now_rfc3339()
        self.state = {"running": {"startedAt": started_at}}
        self.started = True
        self.ready = not self.init
        self._changed()
        self._output = os.fdopen(read_end, "rb", buffering=0)
        self._reader = asyncio.create_task(self._pump_output(self._output, self.log))
        returncode = await self.process.wait()
        self._end_group()
        await self._drain_output()
        exit_code = self._exited(returncode, started_at)
        self._changed()
        return exit_code

    def _exited(self, returncode: int, started_at: str) -> int:
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
        self._event("Warning", "Failed", f"Error: {message}")
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
        self._changed()
        return 128

    async def crash_loop_backoff(self, delay: float) -> None:
        self.restart_count += 1
        self.last_state = self.state
        self.previous_log = self.log
        self.previous_log.close()
        self.log = LogBuffer(self.kubelet.log_limit)
        worker = self.worker
        pod_ref = f"{worker.name}_{worker.namespace}({worker.uid})"
        self.state = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {int(delay)}s restarting failed container={self.name} pod={pod_ref}",
            }
        }
        self._changed()
        self._event(
            "Warning",
            "BackOff",
            f"Back-off restarting failed container {self.name} in pod {pod_ref}",
        )
        await asyncio.sleep(delay)

    async def stop(self, grace: Callable[[asyncio.Task[int]], Awaitable[None]]) -> int:
        """SIGTERM, then SIGKILL once `grace` returns with the process still alive."""
        process = self.process
        assert process is not None
        self._event("Normal", "Killing", f"Stopping container {self.name}")
        started_at = self.state.get("running", {}).get("startedAt", _NEVER_STARTED)
        self._signal_group(signal.SIGTERM)
        wait = asyncio.create_task(process.wait())
        try:
            await grace(wait)
            if not wait.done():
                self._signal_group(signal.SIGKILL)
            returncode = await wait
        finally:
            wait.cancel()
        self._end_group()
        await self._drain_output()
        return self._exited(returncode, started_at)

    async def _pump_output(self, pipe: BinaryIO, buffer: LogBuffer) -> None:
        """Appends the container's output until its end. The pipe is closed however this ends:
        a read cancelled (at cleanup, or after the drain timeout) would otherwise leave it open,
        to be found unclosed after its event loop is gone."""
        stream = asyncio.StreamReader()
        try:
            transport, _ = await asyncio.get_running_loop().connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(stream), pipe
            )
        except BaseException:
            pipe.close()
            raise
        try:
            while chunk := await stream.read(65536):
                buffer.append(chunk)
        finally:
            transport.close()

    async def _drain_output(self) -> None:
        reader, self._reader = self._reader, None
        if reader is None:
            return
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(reader, self.kubelet.timings.output_drain_timeout)
        self._close_output()

    def _close_output(self) -> None:
        """Closes the pipe even if its reader was cancelled before it began (closing twice is
        harmless)."""
        if self._output is not None:
            self._output.close()
            self._output = None

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

    async def cleanup(self) -> None:
        process = self.process
        if process is not None:
            self._end_group()
            if process.returncode is None:
                with contextlib.suppress(Exception):
                    await asyncio.shield(process.wait())
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        self._close_output()
        self.log.close()


def _names(runners: list[ContainerRunner]) -> str:
    return " ".join(runner.name for runner in runners)
