from typing import Any

from app.domain.pod_state import PodExit, pod_exit, pod_problem
from app.models import FailureReason


def pod(phase: str, **status: Any) -> dict[str, Any]:
    return {"spec": {"nodeName": "n1"}, "status": {"phase": phase, **status}}


def waiting(reason: str, message: str = "") -> dict[str, Any]:
    return {
        "name": "c",
        "image": "registry.invalid/x:1",
        "state": {"waiting": {"reason": reason, "message": message}},
    }


def test_image_pull_failures_are_execution_errors() -> None:
    for reason in ("ErrImagePull", "ImagePullBackOff"):
        problem = pod_problem(pod("Pending", containerStatuses=[waiting(reason)]))
        assert problem is not None
        assert problem.reason is FailureReason.IMAGE_PULL
        assert reason in problem.message and "registry.invalid/x:1" in problem.message


def test_an_unschedulable_pod_is_an_execution_error_with_the_scheduler_message() -> None:
    problem = pod_problem(
        pod(
            "Pending",
            conditions=[
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/1 nodes are available",
                }
            ],
        )
    )
    assert problem is not None
    assert problem.reason is FailureReason.UNSCHEDULABLE
    assert "0/1 nodes are available" in problem.message


def test_a_container_still_creating_is_no_problem() -> None:
    assert pod_problem(pod("Pending", containerStatuses=[waiting("ContainerCreating")])) is None
    assert pod_problem(pod("Running")) is None


def test_a_finished_pod_reports_its_exit_code() -> None:
    terminated = {"name": "c", "state": {"terminated": {"exitCode": 3, "reason": "Error"}}}
    assert pod_exit(pod("Failed", containerStatuses=[terminated])) == PodExit("Failed", 3, "Error")
    assert pod_exit(pod("Running")) is None


def test_a_container_that_could_not_start_is_a_launch_failure_with_the_runtime_message() -> None:
    terminated = {
        "name": "c",
        "state": {
            "terminated": {
                "exitCode": 128,
                "reason": "StartError",
                "message": 'exec: "nope": executable file not found in $PATH',
            }
        },
    }
    problem = pod_problem(pod("Failed", containerStatuses=[terminated]))

    assert problem is not None
    assert problem.reason is FailureReason.LAUNCH_FAILED
    assert problem.message == (
        'container c could not start: exec: "nope": executable file not found in $PATH'
    )


def test_a_container_that_exited_with_an_error_is_no_pod_problem() -> None:
    terminated = {"name": "c", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}
    assert pod_problem(pod("Failed", containerStatuses=[terminated])) is None
