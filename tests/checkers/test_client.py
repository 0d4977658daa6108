from __future__ import annotations

import time
from datetime import timedelta

import pytest

from app.checkers.client import (
    ReportingEndpointUnavailable,
    ReportingNotConfigured,
    ReportNotDelivered,
    ReportRejected,
    ReportTarget,
    ReportTooLate,
    RetryPolicy,
    report_failure,
    report_success,
    send_report,
    wait_for_reporting_endpoint,
)

from .reporting import FAST_RETRIES, REPORT_PATH, REPORT_QUERY, RUN_UUID, reporting_env
from .servers import ScriptedHttpServer, closed_port


def test_report_success_posts_ok_with_the_run_uuid_to_the_url_as_given(
    receiver: ScriptedHttpServer,
) -> None:
    report_success(environ=reporting_env(receiver), policy=FAST_RETRIES)

    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == REPORT_PATH
    assert request.query == REPORT_QUERY
    assert request.headers["kh-run-uuid"] == RUN_UUID
    assert request.headers["content-type"] == "application/json"
    assert request.body == b'{"OK": true, "Errors": []}'


def test_report_failure_sends_every_error(receiver: ScriptedHttpServer) -> None:
    report_failure(["disk full", "db down"], environ=reporting_env(receiver), policy=FAST_RETRIES)

    [request] = receiver.requests
    assert request.json() == {"OK": False, "Errors": ["disk full", "db down"]}


def test_server_errors_are_retried_until_the_report_is_accepted(
    receiver: ScriptedHttpServer,
) -> None:
    receiver.script(503, 503, 200)

    report_success(environ=reporting_env(receiver), policy=FAST_RETRIES)

    requests = receiver.requests
    assert len(requests) == 3
    assert all(request.headers["kh-run-uuid"] == RUN_UUID for request in requests)


def test_a_rejected_report_is_not_retried(receiver: ScriptedHttpServer) -> None:
    receiver.script((400, "run 5f0c is unknown or expired"))

    with pytest.raises(ReportRejected) as raised:
        report_success(environ=reporting_env(receiver), policy=FAST_RETRIES)

    assert raised.value.status == 400
    assert raised.value.message == "run 5f0c is unknown or expired"
    assert len(receiver.requests) == 1


def test_a_report_after_the_deadline_is_too_late_and_not_retried(
    receiver: ScriptedHttpServer,
) -> None:
    receiver.script((410, "deadline passed"))

    with pytest.raises(ReportTooLate, match="deadline passed"):
        report_failure(["slow"], environ=reporting_env(receiver), policy=FAST_RETRIES)

    assert len(receiver.requests) == 1


def test_a_redirect_is_not_followed_because_it_would_drop_the_report(
    receiver: ScriptedHttpServer,
) -> None:
    receiver.script(302)

    with pytest.raises(ReportRejected) as raised:
        report_success(environ=reporting_env(receiver), policy=FAST_RETRIES)

    assert raised.value.status == 302
    assert [request.method for request in receiver.requests] == ["POST"]


def test_retries_stop_when_the_run_deadline_passes(receiver: ScriptedHttpServer) -> None:
    receiver.script(503)
    target = ReportTarget(url=receiver.url, run_uuid=RUN_UUID, deadline=time.time() + 0.4)
    patient = RetryPolicy(
        budget=timedelta(seconds=30),
        initial_backoff=timedelta(milliseconds=20),
        max_backoff=timedelta(milliseconds=50),
    )
    started = time.monotonic()

    with pytest.raises(ReportNotDelivered, match="HTTP 503"):
        send_report(target, ok=True, errors=(), policy=patient)

    assert time.monotonic() - started < 2
    assert len(receiver.requests) > 1


def test_retries_stop_when_the_retry_budget_runs_out(receiver: ScriptedHttpServer) -> None:
    receiver.script(502)
    short = RetryPolicy(
        budget=timedelta(milliseconds=300),
        initial_backoff=timedelta(milliseconds=20),
        max_backoff=timedelta(milliseconds=50),
    )
    started = time.monotonic()

    with pytest.raises(ReportNotDelivered, match=r"gave up after \d+ attempt"):
        send_report(
            ReportTarget(url=receiver.url, run_uuid=RUN_UUID), ok=True, errors=(), policy=short
        )

    assert time.monotonic() - started < 2


def test_an_unreachable_endpoint_is_retried_then_reported_as_not_delivered() -> None:
    url = f"http://127.0.0.1:{closed_port()}/check"
    target = ReportTarget(url=url, run_uuid=RUN_UUID, deadline=time.time() + 0.3)

    with pytest.raises(ReportNotDelivered, match="could not reach"):
        send_report(target, ok=True, errors=(), policy=FAST_RETRIES)


def test_missing_reporting_variables_are_named_in_the_error() -> None:
    with pytest.raises(ReportingNotConfigured, match="KH_REPORTING_URL and KH_RUN_UUID not set"):
        report_success(environ={})


def test_a_malformed_deadline_is_named_in_the_error(receiver: ScriptedHttpServer) -> None:
    environ = reporting_env(receiver) | {"KH_CHECK_RUN_DEADLINE": "soon"}

    with pytest.raises(ReportingNotConfigured, match="KH_CHECK_RUN_DEADLINE"):
        report_success(environ=environ)


def test_a_failure_without_error_text_is_refused_before_sending(
    receiver: ScriptedHttpServer,
) -> None:
    with pytest.raises(ValueError, match="non-blank"):
        report_failure([" "], environ=reporting_env(receiver))
    with pytest.raises(TypeError):
        report_failure("a single string", environ=reporting_env(receiver))

    assert receiver.requests == []


def test_waiting_for_the_endpoint_polls_with_get_until_it_answers_200(
    receiver: ScriptedHttpServer,
) -> None:
    receiver.script(503, 200)

    wait_for_reporting_endpoint(5, environ=reporting_env(receiver), policy=FAST_RETRIES)

    requests = receiver.requests
    assert [request.method for request in requests] == ["GET", "GET"]
    assert requests[-1].query == REPORT_QUERY


def test_waiting_for_an_endpoint_that_never_answers_200_times_out(
    receiver: ScriptedHttpServer,
) -> None:
    receiver.script(503)

    with pytest.raises(ReportingEndpointUnavailable, match="did not answer 200"):
        wait_for_reporting_endpoint(
            timedelta(milliseconds=200), environ=reporting_env(receiver), policy=FAST_RETRIES
        )


def test_backoff_doubles_up_to_the_cap_and_jitter_only_shortens_it() -> None:
    policy = RetryPolicy(
        initial_backoff=timedelta(seconds=1), max_backoff=timedelta(seconds=5), jitter=0
    )
    assert [policy.backoff(attempt) for attempt in range(1, 6)] == [1, 2, 4, 5, 5]

    jittered = RetryPolicy(initial_backoff=timedelta(seconds=1), jitter=0.25)
    assert all(0.75 <= jittered.backoff(1) <= 1 for _ in range(50))
