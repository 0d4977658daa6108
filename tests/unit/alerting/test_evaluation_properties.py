"""Properties of the state machine over random interleavings of runs (late, duplicated, from
several clusters), ticks, acknowledgements, comments and silences."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.alerting.evaluation import alert_key, evaluate, new_state
from app.domain.alerting.inputs import (
    Acknowledge,
    AlertInput,
    AlertSubject,
    ClusterIdentity,
    Comment,
    RunDecided,
    Tick,
)
from app.domain.alerting.matchers import SubjectMatcher
from app.domain.alerting.rules import (
    Condition,
    ConsecutiveFailures,
    DurationAbove,
    ExecutionErrors,
    FailingClusters,
    FailuresInWindow,
    NoSuccessFor,
    Rule,
)
from app.domain.alerting.silences import OneOffWindow, RecurringWindow, Silence
from app.domain.alerting.state import AlertState, NotificationIntent, Transition, TransitionKind
from app.models.run import FailureReason, RunStatus
from tests.unit.alerting.story import CHECK, PROD, PROD_US, STAGING, T0, decided, make_rule

EXAMPLES = settings(max_examples=300, deadline=None, database=None)
CLUSTERS = (PROD, PROD_US, STAGING)
STATUSES = (
    RunStatus.SUCCEEDED,
    RunStatus.SUCCEEDED,
    RunStatus.FAILED,
    RunStatus.FAILED,
    RunStatus.ERROR,
    RunStatus.TIMED_OUT,
    RunStatus.CANCELLED,
)
REASONS = {
    RunStatus.FAILED: FailureReason.CHECK_FAILED,
    RunStatus.ERROR: FailureReason.IMAGE_PULL,
    RunStatus.TIMED_OUT: FailureReason.TIMED_OUT,
    RunStatus.CANCELLED: FailureReason.CANCELLED,
}

thresholds = st.integers(min_value=1, max_value=4)
conditions: st.SearchStrategy[Condition] = st.one_of(
    st.builds(ConsecutiveFailures, thresholds, thresholds),
    st.integers(min_value=1, max_value=6).flatmap(
        lambda runs: st.builds(
            FailuresInWindow, st.integers(min_value=1, max_value=runs), st.just(runs), thresholds
        )
    ),
    st.builds(FailingClusters, st.integers(min_value=1, max_value=3), thresholds, thresholds),
    st.builds(
        NoSuccessFor,
        st.integers(min_value=1, max_value=30).map(_minutes := lambda m: timedelta(minutes=m)),
    ),
    st.builds(
        DurationAbove,
        st.floats(min_value=1, max_value=3).map(lambda s: timedelta(seconds=s)),
        thresholds,
        thresholds,
    ),
)
rules = st.builds(
    make_rule,
    conditions,
    reminder_interval=st.one_of(st.none(), st.integers(1, 20).map(_minutes)),
    send_on_resolved=st.booleans(),
    execution_errors=st.sampled_from(ExecutionErrors),
    channel_ids=st.sampled_from([(), (uuid.UUID(int=1),), (uuid.UUID(int=1), uuid.UUID(int=2))]),
)
silences = st.lists(
    st.one_of(
        st.builds(
            lambda start, length, cluster: Silence(
                uuid.uuid4(),
                SubjectMatcher(cluster_ids=frozenset({cluster.id}))
                if cluster
                else SubjectMatcher(namespaces=frozenset({CHECK.namespace})),
                OneOffWindow(T0 + _minutes(start), T0 + _minutes(start + length)),
                "carol",
            ),
            st.integers(0, 120),
            st.integers(1, 60),
            st.sampled_from([None, PROD]),
        ),
        st.builds(
            lambda minute, length: Silence(
                uuid.uuid4(),
                SubjectMatcher(check_ids=frozenset({CHECK.id})),
                RecurringWindow(f"{minute} * * * *", _minutes(length)),
                "carol",
            ),
            st.integers(0, 59),
            st.integers(1, 30),
        ),
    ),
    max_size=2,
)


@dataclass(frozen=True)
class RunStep:
    cluster: int
    status: RunStatus
    started: int  # minutes after T0; arrival order is the list order, so runs come late
    duration: float
    number: int | None = None  # the run's id; its place in the script when None


@dataclass(frozen=True)
class Replay:
    which: int  # feed an earlier run again


@dataclass(frozen=True)
class Advance:
    minutes: int


@dataclass(frozen=True)
class Act:
    acknowledge: bool
    own_alert: bool


steps = st.lists(
    st.one_of(
        st.builds(
            RunStep,
            st.integers(0, 2),
            st.sampled_from(STATUSES),
            st.integers(0, 90),
            st.floats(0.5, 4),
        ),
        st.builds(Replay, st.integers(0, 50)),
        st.builds(Advance, st.integers(0, 30)),
        st.builds(Act, st.booleans(), st.booleans()),
    ),
    max_size=40,
)


@dataclass
class Played:
    state: AlertState
    transitions: list[Transition]
    notifications: list[NotificationIntent]


def play(rule: Rule, script: list[object], hush: list[Silence], *, twice: bool = False) -> Played:
    state = new_state(alert_key(rule, CHECK.id, PROD.id), T0)
    now = T0
    runs: list[tuple[RunDecided, ClusterIdentity]] = []
    transitions: list[Transition] = []
    notifications: list[NotificationIntent] = []

    def feed(event: AlertInput, cluster: ClusterIdentity) -> None:
        nonlocal state
        for _ in range(2 if twice and isinstance(event, RunDecided) else 1):
            evaluation = evaluate(
                rule, state, event, subject=AlertSubject(CHECK, cluster), silences=hush
            )
            state = evaluation.state
            transitions.extend(evaluation.transitions)
            notifications.extend(evaluation.notifications)

    for number, step in enumerate(script):
        match step:
            case RunStep(cluster=index, status=status, started=minutes, duration=seconds):
                number = number if step.number is None else step.number
                cluster = CLUSTERS[index]
                started = T0 + _minutes(minutes)
                run = decided(
                    status,
                    cluster=cluster,
                    started_at=started,
                    run_id=uuid.UUID(int=number + 1),
                    duration=seconds,
                    reason=REASONS.get(status),
                    decided_at=max(now, started + timedelta(seconds=seconds)),
                )
                runs.append((run, cluster))
                feed(run, cluster)
            case Replay(which=which) if runs:
                feed(*runs[which % len(runs)])
            case Advance(minutes=minutes):
                now += _minutes(minutes)
                feed(Tick(now), PROD)
            case Act(acknowledge=acknowledge, own_alert=own):
                target = state.alert.id if own and state.alert else uuid.uuid4()
                event = (
                    Acknowledge(target, "alice", now)
                    if acknowledge
                    else Comment(target, "bob", now, "note")
                )
                feed(event, PROD)
    return Played(state, transitions, notifications)


@EXAMPLES
@given(rules, steps, silences)
def test_one_open_alert_at_most_and_never_a_resolved_without_its_firing(
    rule: Rule, script: list[object], hush: list[Silence]
) -> None:
    played = play(rule, script, hush)
    by_alert: dict[uuid.UUID, list[Transition]] = defaultdict(list)
    open_alert: uuid.UUID | None = None
    for transition in played.transitions:
        history = by_alert[transition.alert_id]
        if transition.kind is TransitionKind.FIRING:
            assert open_alert is None, "a second alert opened while one was open"
            assert history == [], "an alert fired twice"
            open_alert = transition.alert_id
        else:
            assert history and history[0].kind is TransitionKind.FIRING
            assert transition.alert_id == open_alert, "a transition on a closed alert"
        if transition.kind is TransitionKind.RESOLVED:
            open_alert = None
        history.append(transition)
    assert (played.state.alert.id if played.state.alert else None) == open_alert


@EXAMPLES
@given(rules, steps, silences)
def test_notifications_are_unique_withheld_under_silence_and_resolved_only_after_a_sent_firing(
    rule: Rule, script: list[object], hush: list[Silence]
) -> None:
    played = play(rule, script, hush)
    keys = [(intent.transition_id, intent.channel_id) for intent in played.notifications]
    assert len(keys) == len(set(keys))
    assert len({t.id for t in played.transitions}) == len(played.transitions)
    notified = {intent.transition_id for intent in played.notifications}
    sent_about: set[uuid.UUID] = set()
    acknowledged: set[uuid.UUID] = set()
    for transition in played.transitions:
        if transition.id in notified:
            assert transition.silenced_by is None
            assert {
                i.channel_id for i in played.notifications if i.transition_id == transition.id
            } == set(rule.channel_ids)
        if transition.kind is TransitionKind.RESOLVED and transition.id in notified:
            assert transition.alert_id in sent_about, "resolved sent for a firing never sent"
            assert rule.send_on_resolved
        if transition.kind is TransitionKind.REMINDER:
            assert transition.alert_id not in acknowledged, "a reminder after acknowledging"
        if transition.kind is TransitionKind.ACKNOWLEDGED:
            assert transition.alert_id not in acknowledged, "acknowledged twice"
            acknowledged.add(transition.alert_id)
        if transition.kind is TransitionKind.COMMENTED:
            assert transition.id not in notified
        if transition.id in notified:
            sent_about.add(transition.alert_id)


@EXAMPLES
@given(rules, steps, silences)
def test_a_run_delivered_twice_in_a_row_changes_nothing(
    rule: Rule, script: list[object], hush: list[Silence]
) -> None:
    once, twice = play(rule, script, hush), play(rule, script, hush, twice=True)
    assert twice.transitions == once.transitions
    assert twice.notifications == once.notifications
    assert twice.state == once.state


@settings(max_examples=200, deadline=None, database=None)
@given(
    rules,
    st.lists(
        st.builds(
            RunStep,
            st.integers(0, 2),
            st.sampled_from(STATUSES),
            st.integers(0, 90),
            st.floats(0.5, 4),
        ),
        max_size=25,
    ),
    st.randoms(use_true_random=False),
)
def test_what_a_state_remembers_does_not_depend_on_the_order_runs_arrive_in(
    rule: Rule, script: list[RunStep], random: object
) -> None:
    """The windows of newest runs do. A cluster's failing flag has hysteresis, so it follows
    arrival order; runs of one check and cluster never overlap (one in flight at a time), so
    only a replay brings one late, and replays of counted runs are ignored."""
    numbered = [replace(step, number=number) for number, step in enumerate(script)]
    shuffled = list(numbered)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    first, second = play(rule, list(numbered), []), play(rule, shuffled, [])
    assert first.state.window == second.state.window
    assert [t.window for t in first.state.clusters] == [t.window for t in second.state.clusters]
    assert first.state.last_success_at == second.state.last_success_at
