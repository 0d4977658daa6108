"""Storylines over the rule evaluation state machine, one condition at a time."""

from __future__ import annotations

import uuid
from datetime import timedelta

from app.domain.alerting.evaluation import evaluate
from app.domain.alerting.inputs import AlertSubject
from app.domain.alerting.matchers import SubjectMatcher
from app.domain.alerting.rules import (
    ConsecutiveFailures,
    DurationAbove,
    ExecutionErrors,
    FailingClusters,
    FailuresInWindow,
    NoSuccessFor,
)
from app.domain.alerting.silences import OneOffWindow, Silence
from app.domain.alerting.state import AlertStatus, CauseKind
from app.models.run import FailureReason, RunStatus
from tests.unit.alerting.story import (
    CHAT,
    CHECK,
    EMAIL,
    PROD,
    PROD_US,
    STAGING,
    Story,
    decided,
    make_rule,
)


def test_fails_fails_fails_fires_then_succeeds_twice_resolves() -> None:
    story = Story(make_rule(ConsecutiveFailures()))
    story.fails(2)
    assert story.recorded == []
    story.fails()
    assert story.recorded == ["firing"]
    assert story.sent == ["firing"]
    assert {intent.channel_id for intent in story.notifications} == {CHAT, EMAIL}
    story.succeeds()
    assert story.alert is not None and story.alert.status is AlertStatus.FIRING
    story.succeeds()
    assert story.recorded == ["firing", "resolved"]
    assert story.sent == ["firing", "resolved"]
    assert story.alert is None


def test_each_transition_names_its_cause_and_time() -> None:
    story = Story(make_rule(ConsecutiveFailures(failure_threshold=1, success_threshold=1)))
    failed = story.run(RunStatus.FAILED)
    succeeded = story.run(RunStatus.SUCCEEDED)
    firing, resolved = story.transitions
    assert (firing.cause.kind, firing.cause.run, firing.at) == (
        CauseKind.RUN,
        failed,
        failed.decided_at,
    )
    assert (resolved.cause.run, resolved.at) == (succeeded, succeeded.decided_at)
    assert firing.alert_id == resolved.alert_id
    assert resolved.alert_fired_at == firing.at


def test_a_success_between_failures_starts_the_count_again() -> None:
    story = Story(make_rule(ConsecutiveFailures()))
    story.fails(2)
    story.succeeds()
    story.fails(2)
    assert story.recorded == []
    story.fails()
    assert story.recorded == ["firing"]


def test_a_failure_while_recovering_keeps_the_alert_open() -> None:
    story = Story(make_rule(ConsecutiveFailures()))
    story.fails(3)
    story.succeeds()
    story.fails()
    story.succeeds()
    assert story.recorded == ["firing"]
    story.succeeds()
    assert story.recorded == ["firing", "resolved"]


def test_a_check_that_fails_again_after_resolving_opens_a_new_alert() -> None:
    story = Story(make_rule(ConsecutiveFailures(failure_threshold=1, success_threshold=1)))
    story.fails()
    first = story.alert
    story.succeeds()
    story.fails()
    assert first is not None and story.alert is not None
    assert story.alert.id != first.id
    assert story.recorded == ["firing", "resolved", "firing"]


def test_resolved_is_recorded_but_not_sent_when_send_on_resolved_is_off() -> None:
    story = Story(make_rule(ConsecutiveFailures(), send_on_resolved=False))
    story.fails(3)
    story.succeeds(2)
    assert story.recorded == ["firing", "resolved"]
    assert story.sent == ["firing"]


def test_a_rule_without_channels_records_alerts_and_sends_nothing() -> None:
    story = Story(make_rule(ConsecutiveFailures(), channel_ids=(), reminder_interval=None))
    story.fails(3)
    story.tick(timedelta(hours=1))
    story.succeeds(2)
    assert story.recorded == ["firing", "resolved"]
    assert story.notifications == []


def test_a_reminder_follows_the_interval_while_firing() -> None:
    story = Story(make_rule(ConsecutiveFailures(), reminder_interval=timedelta(minutes=30)))
    story.fails(3)
    story.tick(timedelta(minutes=29))
    assert story.recorded == ["firing"]
    story.tick(timedelta(minutes=2))
    assert story.recorded == ["firing", "reminder"]
    story.tick(timedelta(minutes=10))
    assert story.recorded == ["firing", "reminder"]
    story.tick(timedelta(minutes=20))
    assert story.sent == ["firing", "reminder", "reminder"]
    assert story.transitions[-1].cause.kind is CauseKind.TICK


def test_no_reminder_after_the_alert_is_acknowledged() -> None:
    story = Story(make_rule(ConsecutiveFailures(), reminder_interval=timedelta(minutes=30)))
    story.fails(3)
    story.acknowledge("alice")
    story.tick(timedelta(hours=5))
    assert story.recorded == ["firing", "acknowledged"]
    assert story.sent == ["firing", "acknowledged"]
    assert story.alert is not None and story.alert.acknowledged_by == "alice"
    story.succeeds(2)
    assert story.recorded == ["firing", "acknowledged", "resolved"]


def test_acknowledging_twice_or_a_stale_alert_changes_nothing() -> None:
    story = Story(make_rule(ConsecutiveFailures()))
    story.fails(3)
    story.acknowledge()
    again = story.acknowledge()
    stale = story.acknowledge(alert_id=uuid.uuid4())
    assert again.transitions == () and stale.transitions == ()
    assert story.recorded == ["firing", "acknowledged"]


def test_acknowledging_when_nothing_is_open_changes_nothing() -> None:
    story = Story(make_rule(ConsecutiveFailures()))
    evaluation = story.acknowledge(alert_id=uuid.uuid4())
    assert evaluation.transitions == () and evaluation.state == story.state


def test_comments_are_recorded_with_their_author_and_never_sent() -> None:
    story = Story(make_rule(ConsecutiveFailures()))
    story.fails(3)
    story.comment("upstream outage, vendor ticket 4411")
    assert story.recorded == ["firing", "commented"]
    assert story.sent == ["firing"]
    note = story.transitions[-1]
    assert (note.cause.actor, note.cause.text) == ("bob", "upstream outage, vendor ticket 4411")


def silence_over_the_story(story: Story, *, hours: int = 1) -> Silence:
    return Silence(
        id=uuid.UUID(int=901),
        matcher=SubjectMatcher(namespaces=frozenset({"payments"})),
        window=OneOffWindow(story.now, story.now + timedelta(hours=hours)),
        author="carol",
        comment="database migration",
    )


def test_a_silenced_alert_is_recorded_with_its_silence_and_nothing_is_sent() -> None:
    story = Story(make_rule(ConsecutiveFailures(), reminder_interval=timedelta(minutes=5)))
    silence = silence_over_the_story(story)
    story.silences.append(silence)
    story.fails(3)
    story.tick(timedelta(minutes=10))
    story.succeeds(2)
    assert story.recorded == ["firing", "resolved"]
    assert [t.silenced_by for t in story.transitions] == [silence.id, silence.id]
    assert story.notifications == []


def test_no_resolved_is_sent_for_a_firing_that_was_never_sent() -> None:
    story = Story(make_rule(ConsecutiveFailures()))
    story.silences.append(silence_over_the_story(story, hours=1))
    story.fails(3)
    story.now += timedelta(hours=2)  # the silence is over, but no tick came
    story.succeeds(2)
    assert story.recorded == ["firing", "resolved"]
    assert story.transitions[-1].silenced_by is None
    assert story.sent == []


def test_a_silenced_firing_is_announced_once_the_silence_ends() -> None:
    story = Story(make_rule(ConsecutiveFailures(), reminder_interval=timedelta(hours=4)))
    story.silences.append(silence_over_the_story(story, hours=1))
    story.fails(3)
    story.tick(timedelta(minutes=30))
    assert story.sent == []
    story.tick(timedelta(minutes=40))
    assert story.recorded == ["firing", "reminder"]
    assert story.sent == ["reminder"]
    story.tick(timedelta(minutes=10))
    story.succeeds(2)
    assert story.sent == ["reminder", "resolved"]


def test_a_silence_that_starts_while_firing_withholds_reminders_and_the_resolved() -> None:
    story = Story(make_rule(ConsecutiveFailures(), reminder_interval=timedelta(minutes=10)))
    story.fails(3)
    story.silences.append(silence_over_the_story(story, hours=1))
    story.tick(timedelta(minutes=30))
    story.succeeds(2)
    assert story.recorded == ["firing", "resolved"]
    assert story.sent == ["firing"]


def test_a_silence_for_another_namespace_does_not_hush_this_check() -> None:
    story = Story(make_rule(ConsecutiveFailures()))
    story.silences.append(
        Silence(
            id=uuid.uuid4(),
            matcher=SubjectMatcher(namespaces=frozenset({"search"})),
            window=OneOffWindow(story.now, story.now + timedelta(hours=1)),
            author="carol",
        )
    )
    story.fails(3)
    assert story.sent == ["firing"]


def test_three_of_five_tolerates_flapping_and_fires_once() -> None:
    story = Story(make_rule(FailuresInWindow(failures=3, runs=5)))
    story.fails()
    story.succeeds()
    story.fails()
    story.succeeds()
    assert story.recorded == []
    story.fails()
    assert story.recorded == ["firing"]
    story.succeeds()
    story.fails()
    story.succeeds()
    assert story.recorded == ["firing"]
    story.succeeds(2)
    assert story.recorded == ["firing", "resolved"]


def test_three_of_five_does_not_resolve_while_three_of_the_last_five_failed() -> None:
    story = Story(make_rule(FailuresInWindow(failures=3, runs=5, success_threshold=2)))
    story.fails(3)
    story.succeeds(2)
    assert story.recorded == ["firing"]
    story.succeeds()
    assert story.recorded == ["firing", "resolved"]
    story.fails()
    assert story.recorded == ["firing", "resolved"]


def test_two_of_three_clusters_fire_one_alert_for_the_check() -> None:
    rule = make_rule(FailingClusters(min_clusters=2))
    story = Story(rule)
    assert story.state.key.cluster_id is None
    story.succeeds(cluster=PROD_US)
    story.succeeds(cluster=STAGING)
    story.fails(cluster=PROD)
    assert story.recorded == []
    story.fails(cluster=PROD)
    assert story.recorded == []
    story.fails(cluster=PROD_US)
    assert story.recorded == ["firing"]
    assert set(story.transitions[0].failing_clusters) == {PROD.id, PROD_US.id}
    story.fails(cluster=STAGING)
    assert story.recorded == ["firing"]
    story.succeeds(cluster=PROD)
    story.succeeds(cluster=STAGING)
    assert story.recorded == ["firing", "resolved"]
    assert story.transitions[-1].failing_clusters == (PROD_US.id,)


def test_a_cluster_silence_does_not_hush_an_alert_about_several_clusters() -> None:
    story = Story(make_rule(FailingClusters(min_clusters=2)))
    story.silences.append(
        Silence(
            id=uuid.uuid4(),
            matcher=SubjectMatcher(cluster_ids=frozenset({PROD.id})),
            window=OneOffWindow(story.now, story.now + timedelta(hours=1)),
            author="carol",
        )
    )
    story.fails(cluster=PROD)
    story.fails(cluster=PROD_US)
    assert story.sent == ["firing"]


def test_a_check_with_no_success_for_ten_minutes_goes_stale_on_a_tick() -> None:
    story = Story(make_rule(NoSuccessFor(timedelta(minutes=10))))
    story.succeeds()
    story.fails(3)
    story.tick(timedelta(minutes=5))
    assert story.recorded == []
    story.tick(timedelta(minutes=3))
    assert story.recorded == ["firing"]
    assert story.transitions[0].cause.kind is CauseKind.TICK
    story.tick(timedelta(minutes=5))
    assert story.recorded == ["firing"]
    story.succeeds()
    assert story.recorded == ["firing", "resolved"]


def test_a_check_that_never_ran_goes_stale_from_when_it_was_first_watched() -> None:
    story = Story(make_rule(NoSuccessFor(timedelta(minutes=10))))
    story.tick(timedelta(minutes=9))
    assert story.recorded == []
    story.tick(timedelta(minutes=1))
    assert story.recorded == ["firing"]


def test_a_late_old_success_does_not_resolve_a_stale_alert() -> None:
    story = Story(make_rule(NoSuccessFor(timedelta(minutes=10))))
    story.tick(timedelta(minutes=30))
    assert story.recorded == ["firing"]
    old = decided(RunStatus.SUCCEEDED, started_at=story.now - timedelta(minutes=25))
    story.feed(old.__class__(**{**_fields(old), "decided_at": story.now}))
    assert story.recorded == ["firing"]


def _fields(run: object) -> dict[str, object]:
    return {name: getattr(run, name) for name in run.__dataclass_fields__}  # type: ignore[attr-defined]


def test_runs_slower_than_the_threshold_fire_and_a_fast_run_resolves() -> None:
    story = Story(make_rule(DurationAbove(timedelta(seconds=10), failure_threshold=2)))
    story.run(RunStatus.SUCCEEDED, duration=12.0)
    assert story.recorded == []
    story.run(RunStatus.SUCCEEDED, duration=15.5)
    assert story.recorded == ["firing"]
    story.run(RunStatus.SUCCEEDED, duration=None)
    story.run(RunStatus.SUCCEEDED, duration=3.0)
    assert story.recorded == ["firing", "resolved"]


def test_execution_errors_count_as_failures_by_default() -> None:
    story = Story(make_rule(ConsecutiveFailures()))
    story.errors(FailureReason.IMAGE_PULL)
    story.errors(FailureReason.TIMED_OUT)
    story.fails()
    assert story.recorded == ["firing"]


def test_a_rule_can_ignore_execution_errors() -> None:
    story = Story(make_rule(ConsecutiveFailures(), execution_errors=ExecutionErrors.IGNORE))
    story.fails(2)
    story.errors(FailureReason.UNSCHEDULABLE, times=5)
    assert story.recorded == []
    story.fails()
    assert story.recorded == ["firing"]


def test_a_rule_can_watch_only_execution_errors() -> None:
    story = Story(make_rule(ConsecutiveFailures(), execution_errors=ExecutionErrors.ONLY))
    story.fails(5)
    assert story.recorded == []
    story.errors(FailureReason.IMAGE_PULL, times=3)
    assert story.recorded == ["firing"]
    story.fails(2)
    assert story.recorded == ["firing", "resolved"]


def test_cancelled_runs_neither_fail_nor_succeed() -> None:
    story = Story(make_rule(ConsecutiveFailures()))
    story.fails(2)
    story.run(RunStatus.CANCELLED, reason=FailureReason.CANCELLED)
    story.fails()
    assert story.recorded == ["firing"]


def test_a_duplicate_run_is_not_counted_twice() -> None:
    story = Story(make_rule(ConsecutiveFailures()))
    story.fails(2)
    run = story.run(RunStatus.SUCCEEDED)
    before = story.state
    story.feed(run)
    assert story.state == before
    failed = story.run(RunStatus.FAILED)
    story.feed(failed)
    story.feed(failed)
    assert story.recorded == []


def test_a_late_run_older_than_the_newest_runs_counted_changes_nothing() -> None:
    story = Story(make_rule(ConsecutiveFailures()))
    story.succeeds(3)
    late = decided(RunStatus.FAILED, started_at=story.now - timedelta(minutes=10))
    evaluation = story.feed(late)
    assert evaluation.transitions == ()
    assert evaluation.state == story.state
    assert late.run_id not in {kept.run_id for kept in story.state.window}


def test_a_late_run_counts_where_it_started_among_the_newest() -> None:
    story = Story(make_rule(ConsecutiveFailures()))
    story.succeeds()
    first = story.now
    story.now += timedelta(minutes=1)  # a run started here is decided late
    story.fails(2)
    late = decided(RunStatus.FAILED, started_at=first + timedelta(seconds=30))
    story.feed(late)
    assert story.recorded == ["firing"]
    assert story.transitions[0].cause.run == late


def test_a_run_the_rule_does_not_select_changes_nothing() -> None:
    rule = make_rule(
        ConsecutiveFailures(failure_threshold=1),
        selector=SubjectMatcher(cluster_labels={"env": "prod"}),
    )
    story = Story(rule, cluster=STAGING)
    story.fails(5)
    assert story.recorded == []


def test_a_run_of_another_cluster_does_not_touch_a_per_cluster_alert() -> None:
    story = Story(make_rule(ConsecutiveFailures(failure_threshold=1)))
    story.fails(cluster=PROD_US)
    assert story.recorded == [] and story.state.window == ()


def test_evaluating_the_same_input_twice_gives_the_same_ids() -> None:
    rule = make_rule(ConsecutiveFailures(failure_threshold=1))
    story = Story(rule)
    run = decided(RunStatus.FAILED, started_at=story.now)
    subject = AlertSubject(CHECK, PROD)
    once = evaluate(rule, story.state, run, subject=subject)
    twice = evaluate(rule, story.state, run, subject=subject)
    assert once == twice
    assert once.notifications[0].transition_id == once.transitions[0].id
