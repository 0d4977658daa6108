"""The rule engine through the database: storylines from decided runs to alert rows, transitions
and notification rows; silences; people's actions; ticks; and engines racing on one cursor."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from app.db import SessionFactory
from app.domain.alerting.matchers import SubjectMatcher
from app.domain.alerting.rules import NoSuccessFor
from app.domain.alerting.silences import OneOffWindow
from app.domain.alerting.silences import Silence as DomainSilence
from app.domain.alerting.state import AlertStatus, TransitionKind
from app.errors import NotFound
from app.keyring import Keyring
from app.models import (
    Alert,
    AlertComment,
    AlertingCursor,
    AlertSubjectState,
    Event,
    EventKind,
    Notification,
    Silence,
)
from app.models.alerting_codec import silence_values
from app.models.columns import utcnow
from app.services.alerting.actions import ActionResult, acknowledge_alert, comment_on_alert
from app.services.alerting.engine import ENGINE_CURSOR, evaluate_new_events
from app.services.alerting.ticks import tick
from tests.fixtures.alerting import (
    World,
    alerts,
    decide,
    make_world,
    notifications,
    transitions,
)

URL = "json://127.0.0.1:9/hook"  # never sent to here: these tests stop before delivery


async def world_of(session_factory: SessionFactory, keyring: Keyring, **options: object) -> World:
    return await make_world(session_factory, keyring, [URL], **options)  # type: ignore[arg-type]


async def test_three_failures_fire_one_alert_with_one_notification_and_two_successes_resolve_it(
    session_factory: SessionFactory, keyring: Keyring
) -> None:
    world = await world_of(session_factory, keyring)
    await decide(world, False, False)
    assert await evaluate_new_events(session_factory) == []
    await decide(world, False)
    (fired,) = await evaluate_new_events(session_factory)
    assert fired.kind is TransitionKind.FIRING
    (alert,) = await alerts(session_factory)
    assert alert.status is AlertStatus.FIRING and alert.cluster_id == world.cluster.id
    (notification,) = await notifications(session_factory)
    assert (notification.transition_id, notification.channel_id) == (fired.id, world.channel_id)

    await decide(world, True)
    assert await evaluate_new_events(session_factory) == []
    await decide(world, True)
    (resolved,) = await evaluate_new_events(session_factory)
    assert resolved.kind is TransitionKind.RESOLVED
    (alert,) = await alerts(session_factory)
    assert alert.status is AlertStatus.RESOLVED and alert.resolved_at is not None
    rows = await transitions(session_factory)
    assert [(row.from_status, row.to_status) for row in rows] == [
        (None, AlertStatus.FIRING),
        (AlertStatus.FIRING, AlertStatus.RESOLVED),
    ]
    assert rows[0].cause_run is not None and rows[0].cause_run["errors"] == ["connection refused"]
    assert len(await notifications(session_factory)) == 2


async def test_each_transition_is_appended_to_the_event_log_for_live_subscribers(
    session_factory: SessionFactory, keyring: Keyring
) -> None:
    world = await world_of(session_factory, keyring)
    await decide(world, False, False, False)
    (fired,) = await evaluate_new_events(session_factory)
    async with session_factory() as session:
        (event,) = (
            await session.exec(select(Event).where(col(Event.kind) == EventKind.ALERT_CHANGED))
        ).all()
    assert event.payload["transitionId"] == str(fired.id)
    assert event.payload["status"] == "firing" and event.check_id == world.check.id


async def test_a_silenced_firing_is_recorded_with_its_silence_and_nothing_is_sent_nor_resolved(
    session_factory: SessionFactory, keyring: Keyring
) -> None:
    world = await world_of(session_factory, keyring)
    now = utcnow()
    silence = DomainSilence(
        id=uuid.uuid4(),
        matcher=SubjectMatcher(check_ids=frozenset({world.check.id})),
        window=OneOffWindow(now - timedelta(minutes=1), now + timedelta(hours=1)),
        author="ana",
        comment="deploying",
    )
    async with session_factory.begin() as session:
        session.add(Silence(**silence_values(silence)))
    await decide(world, False, False, False, True, True)
    fired, resolved = await evaluate_new_events(session_factory)
    assert fired.silenced_by == silence.id and resolved.kind is TransitionKind.RESOLVED
    assert [row.silenced_by for row in await transitions(session_factory)] == [silence.id] * 2
    assert await notifications(session_factory) == []


async def test_acknowledging_records_a_transition_stops_reminders_and_is_idempotent(
    session_factory: SessionFactory, keyring: Keyring
) -> None:
    world = await world_of(session_factory, keyring, reminder_interval=timedelta(minutes=5))
    await decide(world, False, False, False)
    await evaluate_new_events(session_factory)
    (alert,) = await alerts(session_factory)
    (reminder,) = await tick(session_factory, now=utcnow() + timedelta(minutes=6))
    assert reminder.kind is TransitionKind.REMINDER
    async with session_factory.begin() as session:
        done = await acknowledge_alert(session, alert.id, actor="ana", at=utcnow(), comment="on it")
    assert done.result is ActionResult.RECORDED
    async with session_factory.begin() as session:
        again = await acknowledge_alert(session, alert.id, actor="bo", at=utcnow())
    assert again.result is ActionResult.UNCHANGED
    assert await tick(session_factory, now=utcnow() + timedelta(minutes=30)) == []
    (alert,) = await alerts(session_factory)
    assert alert.status is AlertStatus.ACKNOWLEDGED and alert.acknowledged_by == "ana"
    kinds = [row.kind for row in await transitions(session_factory)]
    assert kinds == [TransitionKind.FIRING, TransitionKind.REMINDER, TransitionKind.ACKNOWLEDGED]


async def test_a_comment_is_kept_on_the_alert_and_never_notified(
    session_factory: SessionFactory, keyring: Keyring
) -> None:
    world = await world_of(session_factory, keyring)
    await decide(world, False, False, False)
    await evaluate_new_events(session_factory)
    (alert,) = await alerts(session_factory)
    async with session_factory.begin() as session:
        await comment_on_alert(session, alert.id, actor="ana", at=utcnow(), text="DNS again")
    async with session_factory() as session:
        (comment,) = (await session.exec(select(AlertComment))).all()
    assert comment.text == "DNS again" and comment.transition_id is not None
    assert len(await notifications(session_factory)) == 1
    with pytest.raises(NotFound):
        async with session_factory.begin() as session:
            await comment_on_alert(session, uuid.uuid4(), actor="ana", at=utcnow(), text="?")


async def test_a_check_without_success_for_its_duration_fires_on_a_tick(
    session_factory: SessionFactory, keyring: Keyring
) -> None:
    world = await world_of(session_factory, keyring, condition=NoSuccessFor(timedelta(minutes=10)))
    await decide(world, True)
    await evaluate_new_events(session_factory)
    assert await tick(session_factory, now=utcnow() + timedelta(minutes=5)) == []
    (fired,) = await tick(session_factory, now=utcnow() + timedelta(minutes=11))
    assert fired.kind is TransitionKind.FIRING
    assert await tick(session_factory, now=utcnow() + timedelta(minutes=12)) == []
    assert len(await notifications(session_factory)) == 1


async def test_engines_racing_on_one_cursor_store_one_set_of_rows(
    session_factory: SessionFactory, keyring: Keyring, database_target: object
) -> None:
    world = await world_of(session_factory, keyring)
    await decide(world, False, False, False, True, True, False, False, False)
    # Each engine with its own engine (connection pool), as separate processes would be.
    from tests.fixtures.database import DatabaseTarget

    assert isinstance(database_target, DatabaseTarget)
    from app.db import create_session_factory

    engines = [database_target.engine() for _ in range(3)]
    try:
        results = await asyncio.gather(
            *(evaluate_new_events(create_session_factory(engine), limit=2) for engine in engines)
        )
    finally:
        for engine in engines:
            await engine.dispose()
    # Whoever evaluated what, the log was read once.
    await evaluate_new_events(session_factory)
    kinds = sorted(transition.kind.value for result in results for transition in result)
    assert kinds == ["firing", "firing", "resolved"]
    rows = await transitions(session_factory)
    assert len(rows) == 3 and len(await notifications(session_factory)) == 3
    assert len(await alerts(session_factory)) == 2
    async with session_factory() as session:
        cursor = await session.get(AlertingCursor, ENGINE_CURSOR)
        states = (await session.exec(select(AlertSubjectState))).all()
    assert cursor is not None and cursor.version > 1
    assert len(states) == 1


def expected_kinds(outcomes: list[bool]) -> list[str]:
    """What ConsecutiveFailures(3, 2) says about the runs, in order, written out plainly."""
    kinds, open_, failures, successes = [], False, 0, 0
    for ok in outcomes:
        failures, successes = (0, successes + 1) if ok else (failures + 1, 0)
        if not open_ and failures >= 3:
            kinds.append("firing")
            open_ = True
        elif open_ and successes >= 2:
            kinds.append("resolved")
            open_ = False
    return kinds


@pytest.mark.parametrize("seed", range(4))
async def test_decisions_interleaved_with_two_engines_give_one_transition_per_flip(
    seed: int, session_factory: SessionFactory, keyring: Keyring, database_target: object
) -> None:
    from app.db import create_session_factory
    from tests.fixtures.database import DatabaseTarget

    assert isinstance(database_target, DatabaseTarget)
    chance = random.Random(seed)
    outcomes = [chance.random() < 0.45 for _ in range(20)]
    world = await world_of(session_factory, keyring)
    engines = [database_target.engine() for _ in range(2)]
    deciding = asyncio.Event()
    deciding.set()

    async def decider() -> None:
        for ok in outcomes:
            await decide(world, ok)
        deciding.clear()

    async def evaluator(factory: SessionFactory, limit: int) -> None:
        while deciding.is_set():
            await evaluate_new_events(factory, limit=limit)

    try:
        factories = [create_session_factory(engine) for engine in engines]
        await asyncio.gather(
            decider(), *(evaluator(factory, chance.randint(1, 3)) for factory in factories)
        )
    finally:
        for engine in engines:
            await engine.dispose()
    await evaluate_new_events(session_factory)
    rows = await transitions(session_factory)
    assert [row.kind.value for row in rows] == expected_kinds(outcomes)
    sent = await notifications(session_factory)
    assert sorted(row.transition_id for row in sent) == sorted(row.id for row in rows)


async def test_the_database_refuses_a_second_open_alert_or_notification_for_the_same_key(
    session_factory: SessionFactory, keyring: Keyring
) -> None:
    world = await world_of(session_factory, keyring)
    await decide(world, False, False, False)
    await evaluate_new_events(session_factory)
    (alert,) = await alerts(session_factory)
    (notification,) = await notifications(session_factory)
    twin = Alert(
        id=uuid.uuid4(),
        subject_state_id=alert.subject_state_id,
        rule_id=alert.rule_id,
        check_id=alert.check_id,
        cluster_id=alert.cluster_id,
        status=AlertStatus.ACKNOWLEDGED,
        severity=alert.severity,
        fired_at=utcnow(),
    )
    with pytest.raises(IntegrityError):
        async with session_factory.begin() as session:
            session.add(twin)
    again = Notification(
        transition_id=notification.transition_id,
        channel_id=notification.channel_id,
        alert_id=notification.alert_id,
        next_attempt_at=utcnow(),
    )
    with pytest.raises(IntegrityError):
        async with session_factory.begin() as session:
            session.add(again)
    async with session_factory.begin() as session:
        session.add(Alert(**{**twin.model_dump(), "status": AlertStatus.RESOLVED}))
