"""Every way a run can end, with real checker pods on the local cluster."""

from app.domain.report_identity import IpFallback
from app.models import FailureReason, RunStatus
from app.services.lookups import logs_by_run_id
from tests.e2e.checkers import REPORT_FROM_POD_IP, REPORT_TO_INJECTED_URL, python_script
from tests.fixtures.stack import PatrolStack, eventually, patrol_settings, shell_checker


async def no_pods(stack: PatrolStack) -> bool:
    return stack.live_pods() == []


async def test_a_checker_that_never_reports_times_out_with_kuberhealthys_message(
    stack: PatrolStack,
) -> None:
    check = await stack.add_check(
        "silent", shell_checker("sleep 60"), timeout="2s", run_interval="1h"
    )

    (run,) = await stack.finalized_runs(check.id, 1)

    assert run.status is RunStatus.TIMED_OUT
    assert run.failure_reason is FailureReason.TIMED_OUT
    assert run.errors == [
        "Check execution error: default/silent: timed out waiting for checker pod to report in"
    ]
    await eventually(lambda: no_pods(stack))


async def test_a_headerless_client_posting_to_the_injected_url_is_identified(
    stack: PatrolStack,
) -> None:
    check = await stack.add_check(
        "legacy-url", python_script(REPORT_TO_INJECTED_URL), run_interval="1h"
    )

    (run,) = await stack.finalized_runs(check.id, 1)

    assert run.status is RunStatus.SUCCEEDED, run.errors


@patrol_settings(report_ip_fallback=IpFallback.LOOPBACK)
async def test_a_headerless_client_posting_to_the_bare_path_is_identified_by_its_pod_ip(
    stack: PatrolStack,
) -> None:
    check = await stack.add_check("legacy-ip", python_script(REPORT_FROM_POD_IP), run_interval="1h")

    (run,) = await stack.finalized_runs(check.id, 1)

    assert run.status is RunStatus.SUCCEEDED, run.errors
    assert run.pod_ip is not None and run.pod_ip.startswith("127.")


async def test_by_default_a_local_pods_loopback_ip_identifies_no_run(stack: PatrolStack) -> None:
    check = await stack.add_check("legacy-ip", python_script(REPORT_FROM_POD_IP), run_interval="1h")

    (run,) = await stack.finalized_runs(check.id, 1)

    assert run.status is RunStatus.ERROR
    assert run.failure_reason is FailureReason.EXITED_WITHOUT_REPORT
    async with stack.runtime.session_factory() as session:
        logs = await logs_by_run_id(session, [run.id])
    assert "status 400" in logs[run.id][0].content and "loopback" in logs[run.id][0].content


async def test_a_checker_that_crashes_before_reporting_is_an_execution_error(
    stack: PatrolStack,
) -> None:
    check = await stack.add_check("crasher", shell_checker("echo boom; exit 3"), run_interval="1h")

    (run,) = await stack.finalized_runs(check.id, 1)

    assert run.status is RunStatus.ERROR
    assert run.failure_reason is FailureReason.EXITED_WITHOUT_REPORT
    assert "exit code 3" in run.errors[0]
    async with stack.runtime.session_factory() as session:
        logs = await logs_by_run_id(session, [run.id])
    assert logs[run.id][0].content.strip() == "boom"


async def test_a_log_longer_than_the_kept_tail_keeps_its_end_and_says_it_was_cut(
    stack: PatrolStack,
) -> None:
    long = await stack.add_check("long-log", shell_checker("seq 1 2500"), run_interval="1h")
    exact = await stack.add_check("tail-sized", shell_checker("seq 1 2000"), run_interval="1h")

    (long_run,) = await stack.finalized_runs(long.id, 1)
    (exact_run,) = await stack.finalized_runs(exact.id, 1)

    async with stack.runtime.session_factory() as session:
        logs = await logs_by_run_id(session, [long_run.id, exact_run.id])
    (long_log,) = logs[long_run.id]
    assert long_log.truncated
    assert long_log.content.splitlines() == [str(n) for n in range(501, 2501)]
    (exact_log,) = logs[exact_run.id]
    assert not exact_log.truncated
    assert exact_log.content.splitlines() == [str(n) for n in range(1, 2001)]


async def test_a_container_that_cannot_start_ends_its_run_with_the_cause_in_its_errors(
    stack: PatrolStack,
) -> None:
    unknown_image = {"containers": [{"name": "c", "image": "example.com/no-entrypoint:1"}]}
    missing_binary = {
        "containers": [{"name": "c", "image": "busybox", "command": ["/nonexistent/checker"]}]
    }
    unknown = await stack.add_check("no-command", unknown_image, run_interval="1h")
    missing = await stack.add_check("no-binary", missing_binary, run_interval="1h")

    (unknown_run,) = await stack.finalized_runs(unknown.id, 1)
    (missing_run,) = await stack.finalized_runs(missing.id, 1)

    for run in (unknown_run, missing_run):
        assert run.status is RunStatus.ERROR
        assert run.failure_reason is FailureReason.LAUNCH_FAILED
    assert unknown_run.errors == [
        'container c could not start: no command specified and image "example.com/'
        'no-entrypoint:1" is not known to the local cluster: give the container a command, or map '
        "the image in its image_commands"
    ]
    assert '"/nonexistent/checker"' in missing_run.errors[0]
    assert "No such file or directory" in missing_run.errors[0]


async def test_an_image_that_cannot_be_pulled_is_an_error_not_a_timeout(stack: PatrolStack) -> None:
    spec = {
        "containers": [{"name": "c", "image": "registry.invalid/checker:1", "command": ["true"]}]
    }
    check = await stack.add_check("bad-image", spec, timeout="30s", run_interval="1h")

    (run,) = await stack.finalized_runs(check.id, 1)

    assert run.status is RunStatus.ERROR
    assert run.failure_reason is FailureReason.IMAGE_PULL
    assert "registry.invalid/checker:1" in run.errors[0]
    assert run.finished_at is not None and run.started_at is not None
    assert (run.finished_at - run.started_at).total_seconds() < 30
    await eventually(lambda: no_pods(stack))


async def test_an_unschedulable_pod_is_an_error_with_the_schedulers_reason(
    stack: PatrolStack,
) -> None:
    spec = {
        "nodeSelector": {"disktype": "ssd"},
        "containers": [{"name": "c", "image": "busybox", "command": ["true"]}],
    }
    check = await stack.add_check("nowhere", spec, timeout="30s", run_interval="1h")

    (run,) = await stack.finalized_runs(check.id, 1)

    assert run.status is RunStatus.ERROR
    assert run.failure_reason is FailureReason.UNSCHEDULABLE
    assert "nodes are available" in run.errors[0]
    await eventually(lambda: no_pods(stack))


async def test_a_pod_deleted_by_someone_else_ends_its_run_as_an_error(stack: PatrolStack) -> None:
    check = await stack.add_check(
        "victim", shell_checker("sleep 60"), timeout="30s", run_interval="1h"
    )

    async def running_pod() -> str | None:
        pods = stack.live_pods()
        return pods[0]["metadata"]["name"] if pods else None

    name = await eventually(running_pod)
    client = stack.runtime.kube.client(stack.cluster)
    await client.delete_pod("default", name)

    (run,) = await stack.finalized_runs(check.id, 1)
    assert run.status is RunStatus.ERROR
    assert run.failure_reason is FailureReason.POD_DELETED
