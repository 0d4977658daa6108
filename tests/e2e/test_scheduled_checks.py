from app.models import FailureReason, RunStatus, RunTrigger
from tests.fixtures.stack import PatrolStack, eventually, python_checker


async def test_a_scheduled_http_check_succeeds_and_leaves_logs_events_and_no_pod(
    stack: PatrolStack, http_target: str
) -> None:
    check = await stack.add_check(
        "http-ok",
        python_checker("app.checkers.http", CHECK_URL=http_target),
        run_interval="3s",
        timeout="3s",
    )

    first, second = await stack.finalized_runs(check.id, 2)

    for run in (first, second):
        assert run.trigger is RunTrigger.SCHEDULE
        assert run.status is RunStatus.SUCCEEDED and run.ok is True and run.errors == [], run.errors
        assert run.started_at is not None and run.finished_at is not None
        assert run.node_name and run.pod_name
    assert (second.scheduled_at - first.scheduled_at).total_seconds() == 3.0
    async with stack.runtime.session_factory() as session:
        from app.services.lookups import events_by_run_id, logs_by_run_id

        logs = await logs_by_run_id(session, [first.id])
        events = await events_by_run_id(session, [first.id])
    assert "http" in logs[first.id][0].content.lower()
    reasons = [event.reason for event in events[first.id]]
    assert reasons[:1] == ["Scheduled"] and "Started" in reasons
    await eventually(lambda: _no_pods(stack))


async def test_an_http_check_against_a_dead_port_fails_with_the_checkers_errors(
    stack: PatrolStack, dead_url: str
) -> None:
    check = await stack.add_check(
        "http-dead", python_checker("app.checkers.http", CHECK_URL=dead_url), run_interval="1h"
    )

    (run,) = await stack.finalized_runs(check.id, 1)

    assert run.status is RunStatus.FAILED and run.ok is False
    assert run.failure_reason is FailureReason.CHECK_FAILED
    assert any(dead_url.split("/healthz")[0] in error for error in run.errors), run.errors
    await eventually(lambda: _no_pods(stack))


async def _no_pods(stack: PatrolStack) -> bool:
    return stack.live_pods() == []
