"""Per-check scheduling with real pods: no global restart, one-shot runs, concurrency Forbid."""

import itertools
from datetime import timedelta

from sqlmodel import select

from app.models import CheckSchedule, RunStatus, RunTrigger
from tests.e2e.checkers import REPORT_TO_INJECTED_URL, python_script
from tests.fixtures.stack import PatrolStack, eventually, graphql

QUICK_OK = python_script(REPORT_TO_INJECTED_URL)


async def schedule_of(stack: PatrolStack, check_id: object) -> CheckSchedule | None:
    async with stack.runtime.session_factory() as session:
        return (
            await session.exec(select(CheckSchedule).where(CheckSchedule.check_id == check_id))
        ).first()


async def test_editing_one_checks_interval_leaves_every_other_schedule_alone(
    stack: PatrolStack,
) -> None:
    checks = [
        await stack.add_check(f"check-{letter}", QUICK_OK, run_interval="2s", timeout="2s")
        for letter in "abcdef"
    ]
    edited, others = checks[0], checks[1:]

    async def each_ran_twice() -> bool:
        counts = [len(await stack.runs(check.id)) for check in checks]
        return min(counts) >= 2

    await eventually(each_ran_twice, timeout=30)
    before = {check.id: (await schedule_of(stack, check.id)) for check in others}

    result = await graphql(
        stack,
        'mutation($id: ID!) { updateCheck(input: {id: $id, runInterval: "3s", timeout: "3s"}) { version runInterval } }',
        id=str(edited.id),
    )
    assert result.get("errors") is None, result
    assert result["data"]["updateCheck"]["runInterval"] == "3s"
    edit_time = (await schedule_of(stack, edited.id)).updated_at  # type: ignore[union-attr]

    async def edited_ran_twice_more() -> bool:
        return (
            len([run for run in await stack.runs(edited.id) if run.scheduled_at > edit_time]) >= 2
        )

    await eventually(edited_ran_twice_more, timeout=30)

    for check in others:
        slots = [run.scheduled_at for run in await stack.runs(check.id)]
        # The rhythm is untouched: every slot lies on the 2 s grid, and a slot not run (its
        # previous run still in flight on a loaded machine) is one the schedule counted as skipped.
        steps = [later - earlier for earlier, later in itertools.pairwise(slots)]
        assert all(step % timedelta(seconds=2) == timedelta(0) for step in steps), slots
        schedule = await schedule_of(stack, check.id)
        assert schedule is not None
        assert schedule.skipped_slots == sum(step // timedelta(seconds=2) - 1 for step in steps)
        assert (schedule.next_due_at - before[check.id].next_due_at) % timedelta(
            seconds=2
        ) == timedelta(0)  # type: ignore[union-attr]
    new_slots = [
        run.scheduled_at for run in await stack.runs(edited.id) if run.scheduled_at > edit_time
    ]
    assert {later - earlier for earlier, later in itertools.pairwise(new_slots)} <= {
        timedelta(seconds=3)
    }


TRIGGER = "mutation($id: ID!) { triggerCheck(id: $id) { id trigger status } }"


async def test_trigger_runs_a_check_once_now_and_the_next_scheduled_run_keeps_its_time(
    stack: PatrolStack,
) -> None:
    check = await stack.add_check("triggered", QUICK_OK, run_interval="4s", timeout="3s")
    (first,) = await stack.finalized_runs(check.id, 1)
    due_before = (await schedule_of(stack, check.id)).next_due_at  # type: ignore[union-attr]

    result = await graphql(stack, TRIGGER, id=str(check.id))

    assert result.get("errors") is None, result
    (manual,) = result["data"]["triggerCheck"]
    assert manual["trigger"] == "MANUAL"
    assert (await schedule_of(stack, check.id)).next_due_at == due_before  # type: ignore[union-attr]

    async def next_scheduled_run_finished() -> bool:
        runs = await stack.runs(check.id)
        return len([run for run in runs if run.finalized_at]) >= 3

    await eventually(next_scheduled_run_finished, timeout=20)
    runs = await stack.runs(check.id)
    manual_run = next(run for run in runs if str(run.id) == manual["id"])
    scheduled = [run for run in runs if run.trigger is RunTrigger.SCHEDULE]
    assert manual_run.status is RunStatus.SUCCEEDED
    assert first.scheduled_at < manual_run.scheduled_at < due_before
    assert scheduled[1].scheduled_at == due_before == first.scheduled_at + timedelta(seconds=4)


async def test_a_second_trigger_while_a_run_is_in_flight_is_a_conflict(stack: PatrolStack) -> None:
    check = await stack.add_check("on-demand", QUICK_OK, timeout="10s")
    assert await schedule_of(stack, check.id) is None

    first = await graphql(stack, TRIGGER, id=str(check.id))
    second = await graphql(stack, TRIGGER, id=str(check.id))

    assert first.get("errors") is None, first
    assert second["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert "in flight" in second["errors"][0]["message"]
    (run,) = await stack.finalized_runs(check.id, 1)
    assert run.trigger is RunTrigger.MANUAL and run.status is RunStatus.SUCCEEDED
    assert len(await stack.runs(check.id)) == 1
