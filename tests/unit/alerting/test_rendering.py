from __future__ import annotations

import sys
import time
import uuid
from datetime import timedelta
from types import FrameType
from typing import Any

import pytest

from app.domain.alerting import rendering
from app.domain.alerting.inputs import AlertSubject
from app.domain.alerting.messages import message_context, render_transition
from app.domain.alerting.rendering import (
    MAX_BODY_CHARS,
    MAX_TITLE_CHARS,
    MessageTemplates,
    RenderLimitExceeded,
    render,
    render_message,
)
from app.domain.alerting.rules import ConsecutiveFailures, FailingClusters, Rule, Severity
from app.domain.alerting.state import Transition
from app.models.run import FailureReason, RunStatus
from tests.unit.alerting.story import CHECK, CLUSTERS, PROD, PROD_US, Story, make_rule

BASE_URL = "https://patrol.example.com/"


def firing_story(rule: Rule | None = None) -> tuple[Rule, Story]:
    rule = rule or make_rule(ConsecutiveFailures(), severity=Severity.CRITICAL)
    story = Story(rule)
    story.fails(2)
    story.run(
        RunStatus.TIMED_OUT,
        reason=FailureReason.TIMED_OUT,
        duration=30.25,
        errors=["timed out waiting for checker pod to report in", "HTTP 503"],
    )
    return rule, story


def context_for(rule: Rule, transition: Transition) -> dict[str, Any]:
    return message_context(rule, transition, AlertSubject(CHECK, PROD), base_url=BASE_URL)


def test_the_default_firing_message_reads_well_in_chat_and_email() -> None:
    rule, story = firing_story()
    firing = story.transitions[0]
    message = render_transition(rule, firing, AlertSubject(CHECK, PROD), base_url=BASE_URL)
    assert message.error is None
    assert message.title == "[CRITICAL] FIRING: payments/checkout on prod-eu (timed_out)"
    run = firing.cause.run
    assert run is not None
    assert message.body == (
        "payments/checkout on prod-eu: 3 runs failed in a row.\n"
        "\n"
        "Rule: checkout is failing (critical)\n"
        "Check: payments/checkout\n"
        "Cluster: prod-eu\n"
        "Run status: timed_out (timed_out)\n"
        "Duration: 30.25s\n"
        "Errors:\n"
        "- timed out waiting for checker pod to report in\n"
        "- HTTP 503\n"
        f"Run: https://patrol.example.com/runs/{run.run_id}\n"
        f"Alert {firing.alert_id}, since {firing.at:%Y-%m-%d %H:%M:%S} UTC"
    )


def test_the_default_resolved_and_acknowledged_messages_say_what_happened() -> None:
    rule, story = firing_story()
    story.acknowledge("alice")
    story.succeeds(2)
    subject = AlertSubject(CHECK, PROD)
    acknowledged, resolved = story.transitions[1:]
    ack = render_transition(rule, acknowledged, subject, base_url=BASE_URL)
    assert ack.title == "[CRITICAL] ACKNOWLEDGED: payments/checkout on prod-eu"
    assert "alice acknowledged the alert" in ack.body and "By: alice: looking" in ack.body
    done = render_transition(rule, resolved, subject, base_url=BASE_URL)
    assert done.title == "[CRITICAL] RESOLVED: payments/checkout on prod-eu (succeeded)"
    assert done.body.startswith("payments/checkout on prod-eu recovered.")


def test_a_per_check_alert_lists_its_failing_clusters_by_name() -> None:
    rule = make_rule(FailingClusters(min_clusters=2))
    story = Story(rule)
    story.fails(cluster=PROD)
    story.fails(cluster=PROD_US)
    message = render_transition(
        rule,
        story.transitions[0],
        AlertSubject(CHECK, PROD_US),
        base_url=BASE_URL,
        clusters=CLUSTERS,
    )
    assert message.title == "[WARNING] FIRING: payments/checkout (failed)"
    assert "Failing clusters: prod-eu, prod-us" in message.body
    assert "failing in at least 2 clusters" in message.body


def test_a_rule_template_sees_the_check_cluster_run_and_its_link() -> None:
    rule, story = firing_story()
    templates = MessageTemplates(
        title="{{ check.name }}@{{ cluster.name }} {{ status }}/{{ failure_reason }}",
        body="{{ errors|length }} errors, {{ duration }} ({{ duration_seconds }}s), "
        "{{ run_id }} {{ run_url }} {{ check.labels.team }} {{ severity }} {{ transition }}",
    )
    context = context_for(rule, story.transitions[0])
    message = render_message(templates, context)
    assert message.error is None
    assert message.title == "checkout@prod-eu timed_out/timed_out"
    run_id = context["run_id"]
    assert message.body == (
        f"2 errors, 30.25s (30.25s), {run_id} https://patrol.example.com/runs/{run_id} "
        "payments critical firing"
    )


@pytest.mark.parametrize(
    "escape",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ check.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ (errors.pop)() }}",
        "{{ self._TemplateReference__context }}",
    ],
)
def test_the_sandbox_refuses_attribute_escapes(escape: str) -> None:
    rule, story = firing_story()
    message = render_message(MessageTemplates(body=escape), context_for(rule, story.transitions[0]))
    assert message.error is not None
    assert (
        "unsafe" in message.error
        or "not safely callable" in message.error
        or ("undefined" in message.error)
    )
    assert "class" not in message.body and message.body.startswith("payments/checkout")


def test_a_loop_bomb_is_stopped_by_the_step_budget_not_left_to_hang() -> None:
    bomb = "{% for a in 'x' * 90000 %}{% for b in 'x' * 90000 %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(RenderLimitExceeded, match="too many steps"):
        render(bomb, {}, max_chars=100)
    assert time.monotonic() - started < 5


def test_a_slow_template_is_stopped_by_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rendering, "STEP_BUDGET", 10**12)
    monkeypatch.setattr(rendering, "TIME_LIMIT_SECONDS", 0.2)
    bomb = "{% for a in 'x' * 90000 %}{% for b in 'x' * 90000 %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(RenderLimitExceeded, match="too long"):
        render(bomb, {}, max_chars=100)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "bomb",
    [
        "{% for i in range(10**9) %}x{% endfor %}",
        "{% for i in range(200000) %}x{% endfor %}",
        "{{ 'x' * 1000000000 }}",
        "{{ [0] * 1000000000 }}",
        "{{ 'x'|center(1000000000) }}",
        "{{ 'x'.ljust(1000000000) }}",
        "{{ '{:>1000000000}'.format(1) }}",
        "{{ '%1000000000d'|format(1) }}",
        "{{ 99**99**99**99 }}",
        "{{ lipsum(1000000) }}",
    ],
)
def test_templates_that_would_allocate_or_compute_huge_values_are_refused(bomb: str) -> None:
    started = time.monotonic()
    message = render_message(MessageTemplates(body=bomb), {**_minimal_context()})
    assert message.error is not None
    assert time.monotonic() - started < 5
    assert len(message.body) <= MAX_BODY_CHARS


def test_data_values_may_be_large_numbers() -> None:
    context = {"duration_seconds": 250_000.5}
    assert render("{{ duration_seconds|round|int }}", context, max_chars=100) == "250000"
    assert render("{{ '{:.1f}'.format(duration_seconds) }}", context, max_chars=100) == ("250000.5")


def test_oversized_output_is_capped_and_marked() -> None:
    body = "{% for i in range(5000) %}0123456789{% endfor %}"
    message = render_message(MessageTemplates(title=body, body=body), _minimal_context())
    assert message.error is None
    assert len(message.body) == MAX_BODY_CHARS and message.body.endswith("…")
    assert len(message.title) == MAX_TITLE_CHARS and message.title.endswith("…")


def test_a_title_is_one_line() -> None:
    message = render_message(MessageTemplates(title="a\n\n  b\tc"), _minimal_context())
    assert message.title == "a b c"


def test_a_broken_template_falls_back_to_the_default_and_returns_the_error() -> None:
    rule, story = firing_story()
    context = context_for(rule, story.transitions[0])
    default = render_message(MessageTemplates(), context)
    broken = render_message(MessageTemplates(title="{{ 1 / 0 }}", body="{{ check.nmae }}"), context)
    assert (broken.title, broken.body) == (default.title, default.body)
    assert broken.error is not None
    assert "ZeroDivisionError" in broken.error and "has no attribute 'nmae'" in broken.error


def test_rendering_puts_back_the_trace_function_it_found() -> None:
    def tracer(frame: FrameType, event: str, arg: Any) -> None:
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        render("{{ 1 + 1 }}", {}, max_chars=10)
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)


def _minimal_context() -> dict[str, Any]:
    rule, story = firing_story()
    return context_for(rule, story.transitions[0])


def test_the_run_link_joins_the_base_url_once() -> None:
    rule, story = firing_story()
    for base in ("https://patrol.example.com", "https://patrol.example.com/"):
        context = message_context(
            rule, story.transitions[0], AlertSubject(CHECK, PROD), base_url=base
        )
        assert context["run_url"] == f"https://patrol.example.com/runs/{context['run_id']}"


def test_a_stale_check_message_has_no_run_but_says_since_when() -> None:
    from app.domain.alerting.rules import NoSuccessFor

    rule = make_rule(NoSuccessFor(timedelta(minutes=10)), id=uuid.uuid4())
    story = Story(rule)
    story.tick(timedelta(minutes=15))
    message = render_transition(
        rule, story.transitions[0], AlertSubject(CHECK, PROD), base_url=BASE_URL
    )
    assert message.title == "[WARNING] FIRING: payments/checkout on prod-eu"
    assert "no successful run for 10m0s" in message.body and "Run:" not in message.body
