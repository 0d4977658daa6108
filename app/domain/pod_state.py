"""Reading a checker pod's state (a Kubernetes Pod as a JSON dict) into what it means for its run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.run_lifecycle import FailureReason

IMAGE_PULL_REASONS = frozenset(
    {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"}
)
START_FAILURE_REASONS = frozenset(
    {"CreateContainerConfigError", "CreateContainerError", "RunContainerError"}
)
# A container whose process could not be started at all (containerd's StartError, dockershim's
# ContainerCannotRun) ends terminated, its cause in `message`: no report can come from it.
START_ERROR_REASONS = frozenset({"StartError", "ContainerCannotRun"})


@dataclass(frozen=True, slots=True)
class PodProblem:
    """The pod cannot run the check: the run is an execution error, not a check failure."""

    reason: FailureReason
    message: str


@dataclass(frozen=True, slots=True)
class PodExit:
    phase: str
    exit_code: int | None
    reason: str | None


def _container_statuses(pod: dict[str, Any]) -> list[dict[str, Any]]:
    status = pod.get("status") or {}
    return [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]


def pod_problem(pod: dict[str, Any]) -> PodProblem | None:
    for container in _container_statuses(pod):
        waiting = (container.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason")
        detail = waiting.get("message") or ""
        if reason in IMAGE_PULL_REASONS:
            return PodProblem(
                FailureReason.IMAGE_PULL,
                f"container {container.get('name')}: {reason}: image "
                f"{container.get('image')!r} cannot be pulled. {detail}".strip(),
            )
        if reason in START_FAILURE_REASONS:
            return PodProblem(
                FailureReason.LAUNCH_FAILED,
                f"container {container.get('name')}: {reason}. {detail}".strip(),
            )
        terminated = (container.get("state") or {}).get("terminated") or {}
        if terminated.get("reason") in START_ERROR_REASONS:
            return PodProblem(
                FailureReason.LAUNCH_FAILED,
                f"container {container.get('name')} could not start: "
                f"{terminated.get('message') or terminated['reason']}",
            )
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if (
            condition.get("type") == "PodScheduled"
            and condition.get("status") == "False"
            and condition.get("reason") == "Unschedulable"
        ):
            return PodProblem(
                FailureReason.UNSCHEDULABLE,
                f"pod cannot be scheduled: {condition.get('message') or 'Unschedulable'}",
            )
    return None


def pod_exit(pod: dict[str, Any]) -> PodExit | None:
    """How the pod ended, once it has (phase Succeeded or Failed)."""
    phase = (pod.get("status") or {}).get("phase")
    if phase not in ("Succeeded", "Failed"):
        return None
    for container in (pod.get("status") or {}).get("containerStatuses") or []:
        terminated = (container.get("state") or {}).get("terminated")
        if terminated:
            return PodExit(phase, terminated.get("exitCode"), terminated.get("reason"))
    return PodExit(phase, None, None)


def pod_ip(pod: dict[str, Any]) -> str | None:
    ip: str | None = (pod.get("status") or {}).get("podIP")
    return ip


def node_name(pod: dict[str, Any]) -> str | None:
    name: str | None = (pod.get("spec") or {}).get("nodeName")
    return name
