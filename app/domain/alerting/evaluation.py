"""The rule evaluation state machine: `evaluate(rule, state, input) -> Evaluation`, pure.

Runs are placed by start time, not by arrival: a state keeps the newest runs a condition needs
(deduplicated by run id), so a duplicate is ignored, a late run counts where it belongs if it is
among the newest, and one older than all of them changes nothing. The window after a set of runs
does not depend on the order they arrived in.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from app.domain.alerting.inputs import (
    Acknowledge,
    AlertInput,
    AlertSubject,
    Comment,
    RunDecided,
    Tick,
)
from app.domain.alerting.matchers import matches
from app.domain.alerting.rules import (
    ConsecutiveFailures,
    DurationAbove,
    ExecutionErrors,
    FailingClusters,
    FailuresInWindow,
    NoSuccessFor,
    Rule,
)
from app.domain.alerting.silences import Silence, silencing
from app.domain.alerting.state import (
    Alert,
    AlertKey,
    AlertState,
    AlertStatus,
    Cause,
    CauseKind,
    ClusterTrack,
    Evaluation,
    NotificationIntent,
    Observation,
    Transition,
    TransitionKind,
)
from app.domain.run_lifecycle import FailureReason, RunStatus

_IDS = uuid.UUID("5d0c6a8e-3b1f-4f3e-9a52-7f0e2c1b9d44")
_EXECUTION_ERROR_STATUSES = (RunStatus.ERROR, RunStatus.TIMED_OUT)


def alert_key(rule: Rule, check_id: uuid.UUID, cluster_id: uuid.UUID) -> AlertKey:
    return AlertKey(rule.id, check_id, None if rule.per_check else cluster_id)


def new_state(key: AlertKey, now: datetime) -> AlertState:
    """The state of an identity the engine starts watching at `now` (stale checks count from it)."""
    return AlertState(key=key, watching_since=now)


def evaluate(
    rule: Rule,
    state: AlertState,
    event: AlertInput,
    *,
    subject: AlertSubject,
    silences: Sequence[Silence] = (),
) -> Evaluation:
    """One step. `subject` is the check (and the run's cluster) the input concerns; `silences`
    are all silences, active or not, that may cover it."""
    step = _Step(rule, state, subject, silences)
    match event:
        case RunDecided():
            return step.run_decided(event)
        case Tick():
            return step.tick(event)
        case Acknowledge():
            return step.acknowledge(event)
        case Comment():
            return step.comment(event)


def is_bad(run: RunDecided, policy: ExecutionErrors) -> bool | None:
    """Whether the run counts as a failure under the rule's execution-errors policy; None when
    it does not count at all (cancelled, or an execution error the rule ignores)."""
    if run.status is RunStatus.CANCELLED or not run.status.is_terminal:
        return None
    if run.status is RunStatus.SUCCEEDED:
        return False
    execution_error = run.status in _EXECUTION_ERROR_STATUSES or run.failure_reason not in (
        None,
        FailureReason.CHECK_FAILED,
    )
    match policy:
        case ExecutionErrors.COUNT:
            return True
        case ExecutionErrors.IGNORE:
            return None if execution_error else True
        case ExecutionErrors.ONLY:
            return execution_error


def window_size(rule: Rule) -> int:
    match rule.condition:
        case (
            ConsecutiveFailures(failure_threshold=f, success_threshold=s)
            | DurationAbove(failure_threshold=f, success_threshold=s)
            | FailingClusters(failure_threshold=f, success_threshold=s)
        ):
            return max(f, s)
        case FailuresInWindow(runs=runs, success_threshold=s):
            return max(runs, s)
        case NoSuccessFor():
            return 0


def failing_clusters(state: AlertState) -> tuple[uuid.UUID, ...]:
    return tuple(track.cluster_id for track in state.clusters if track.failing)


class _Step:
    def __init__(
        self,
        rule: Rule,
        state: AlertState,
        subject: AlertSubject,
        silences: Sequence[Silence],
    ) -> None:
        self.rule = rule
        self.state = state
        self.silences = silences
        self.selected = subject
        # A per-check alert is about the check as a whole: silences are matched without a cluster.
        self.subject = AlertSubject(subject.check) if rule.per_check else subject

    def no_transition(self) -> Evaluation:
        return Evaluation(self.state)

    def run_decided(self, run: RunDecided) -> Evaluation:
        key = self.state.key
        if run.check_id != key.check_id or key.cluster_id not in (None, run.cluster_id):
            return self.no_transition()
        if not matches(self.rule.selector, self.selected):
            return self.no_transition()
        observation = self.observe(run)
        if observation is None:
            return self.no_transition()
        condition, cause = self.rule.condition, Cause(CauseKind.RUN, run=run)
        if isinstance(condition, NoSuccessFor):
            return self.success_seen(run, observation, condition, cause)
        state = self.counted(observation)
        if state is None:
            return self.no_transition()
        self.state = state
        if state.alert is None and _met(self.rule, state):
            return self.fire(run.decided_at, cause)
        if state.alert is not None and _recovered(self.rule, state):
            return self.resolve(run.decided_at, cause)
        return self.no_transition()

    def observe(self, run: RunDecided) -> Observation | None:
        bad = is_bad(run, self.rule.execution_errors)
        if bad is None:
            return None
        condition = self.rule.condition
        if isinstance(condition, DurationAbove):
            if run.duration_seconds is None:
                return None
            bad = run.duration_seconds > condition.threshold.total_seconds()
        return Observation(run.run_id, run.cluster_id, run.ordered_at, bad)

    def counted(self, observation: Observation) -> AlertState | None:
        size = window_size(self.rule)
        condition = self.rule.condition
        if not isinstance(condition, FailingClusters):
            window = _insert(self.state.window, observation, size)
            return None if window is None else replace(self.state, window=window)
        tracks = {track.cluster_id: track for track in self.state.clusters}
        track = tracks.get(observation.cluster_id) or ClusterTrack(
            observation.cluster_id, (), False
        )
        window = _insert(track.window, observation, size)
        if window is None:
            return None
        if _newest_are(window, condition.failure_threshold, bad=True):
            failing = True
        elif _newest_are(window, condition.success_threshold, bad=False):
            failing = False
        else:
            failing = track.failing
        tracks[track.cluster_id] = ClusterTrack(track.cluster_id, window, failing)
        return replace(self.state, clusters=tuple(tracks[id_] for id_ in sorted(tracks)))

    def success_seen(
        self, run: RunDecided, observation: Observation, condition: NoSuccessFor, cause: Cause
    ) -> Evaluation:
        if observation.bad:
            return self.no_transition()
        succeeded_at = run.finished_at or run.decided_at
        last = self.state.last_success_at
        if last is not None and succeeded_at <= last:
            return self.no_transition()
        self.state = replace(self.state, last_success_at=succeeded_at)
        if self.state.alert is not None and run.decided_at - succeeded_at < condition.duration:
            return self.resolve(run.decided_at, cause)
        return self.no_transition()

    def tick(self, tick: Tick) -> Evaluation:
        now, alert, condition = tick.now, self.state.alert, self.rule.condition
        if alert is None:
            if isinstance(condition, NoSuccessFor) and matches(self.rule.selector, self.selected):
                since = self.state.last_success_at or self.state.watching_since
                if now - since >= condition.duration:
                    return self.fire(now, Cause(CauseKind.TICK))
            return self.no_transition()
        if alert.status is not AlertStatus.FIRING or not self.rule.channel_ids:
            return self.no_transition()
        if silencing(self.silences, self.subject, now) is not None:
            return self.no_transition()
        if alert.notified:
            interval = self.rule.reminder_interval
            last = alert.last_notified_at
            if interval is None or (last is not None and now < last + interval):
                return self.no_transition()
        # Else its firing was silenced and the silence is over: the first word receivers get.
        return self.remind(now)

    def acknowledge(self, event: Acknowledge) -> Evaluation:
        alert = self.state.alert
        if alert is None or alert.id != event.alert_id or alert.status is not AlertStatus.FIRING:
            return self.no_transition()
        acknowledged = replace(
            alert,
            status=AlertStatus.ACKNOWLEDGED,
            acknowledged_by=event.actor,
            acknowledged_at=event.at,
        )
        cause = Cause(CauseKind.PERSON, actor=event.actor, text=event.comment)
        return self.record(
            acknowledged, TransitionKind.ACKNOWLEDGED, event.at, cause, notify_if=alert.notified
        )

    def comment(self, event: Comment) -> Evaluation:
        alert = self.state.alert
        if alert is None or alert.id != event.alert_id:
            return self.no_transition()
        cause = Cause(CauseKind.PERSON, actor=event.actor, text=event.text)
        return self.record(alert, TransitionKind.COMMENTED, event.at, cause, notify_if=False)

    def fire(self, at: datetime, cause: Cause) -> Evaluation:
        alert = Alert(
            id=_alert_id(self.state.key, self.state.alerts_opened),
            status=AlertStatus.FIRING,
            fired_at=at,
            notified=False,
            last_notified_at=None,
        )
        self.state = replace(self.state, alerts_opened=self.state.alerts_opened + 1)
        return self.record(alert, TransitionKind.FIRING, at, cause, notify_if=True)

    def remind(self, at: datetime) -> Evaluation:
        assert self.state.alert is not None
        return self.record(
            self.state.alert, TransitionKind.REMINDER, at, Cause(CauseKind.TICK), notify_if=True
        )

    def resolve(self, at: datetime, cause: Cause) -> Evaluation:
        assert self.state.alert is not None
        alert = replace(self.state.alert, status=AlertStatus.RESOLVED)
        notify_if = self.rule.send_on_resolved and alert.notified
        return self.record(alert, TransitionKind.RESOLVED, at, cause, notify_if=notify_if)

    def record(
        self, alert: Alert, kind: TransitionKind, at: datetime, cause: Cause, *, notify_if: bool
    ) -> Evaluation:
        """Record the transition; notify the rule's channels if `notify_if` and no silence
        covers the alert at `at`."""
        silence = silencing(self.silences, self.subject, at)
        transition = Transition(
            id=uuid.uuid5(alert.id, str(alert.transitions)),
            alert_id=alert.id,
            key=self.state.key,
            kind=kind,
            at=at,
            cause=cause,
            alert_fired_at=alert.fired_at,
            silenced_by=silence.id if silence is not None else None,
            failing_clusters=failing_clusters(self.state),
        )
        notify = notify_if and silence is None and bool(self.rule.channel_ids)
        alert = replace(alert, transitions=alert.transitions + 1)
        if notify:
            alert = replace(alert, notified=True, last_notified_at=at)
        open_alert = None if alert.status is AlertStatus.RESOLVED else alert
        self.state = replace(self.state, alert=open_alert)
        intents = (
            tuple(NotificationIntent(transition.id, channel) for channel in self.rule.channel_ids)
            if notify
            else ()
        )
        return Evaluation(self.state, (transition,), intents)


def _alert_id(key: AlertKey, ordinal: int) -> uuid.UUID:
    """Deterministic, so evaluating the same input twice names the same alert."""
    return uuid.uuid5(_IDS, f"{key.rule_id}/{key.check_id}/{key.cluster_id}/{ordinal}")


def _insert(
    window: tuple[Observation, ...], observation: Observation, size: int
) -> tuple[Observation, ...] | None:
    """The newest `size` runs including `observation`; None when it is a duplicate or older than
    all of them (nothing changes)."""
    if any(kept.run_id == observation.run_id for kept in window):
        return None
    merged = sorted((*window, observation), key=lambda kept: (kept.ordered_at, kept.run_id))
    newest = tuple(merged[-size:])
    return newest if observation in newest else None


def _newest_are(window: tuple[Observation, ...], count: int, *, bad: bool) -> bool:
    return len(window) >= count and all(kept.bad is bad for kept in window[-count:])


def _met(rule: Rule, state: AlertState) -> bool:
    match rule.condition:
        case (
            ConsecutiveFailures(failure_threshold=threshold)
            | DurationAbove(failure_threshold=threshold)
        ):
            return _newest_are(state.window, threshold, bad=True)
        case FailuresInWindow(failures=failures, runs=runs):
            return sum(kept.bad for kept in state.window[-runs:]) >= failures
        case FailingClusters(min_clusters=clusters):
            return len(failing_clusters(state)) >= clusters
        case NoSuccessFor():
            return False


def _recovered(rule: Rule, state: AlertState) -> bool:
    match rule.condition:
        case (
            ConsecutiveFailures(success_threshold=threshold)
            | DurationAbove(success_threshold=threshold)
        ):
            return _newest_are(state.window, threshold, bad=False)
        case FailuresInWindow(failures=failures, runs=runs, success_threshold=threshold):
            still = sum(kept.bad for kept in state.window[-runs:]) >= failures
            return not still and _newest_are(state.window, threshold, bad=False)
        case FailingClusters(min_clusters=clusters):
            return len(failing_clusters(state)) < clusters
        case NoSuccessFor():
            return False
