from __future__ import annotations

import time
from datetime import timedelta

import pytest

from app.checkers._budget import Budget
from app.checkers._env import ConfigError
from app.checkers._result import CheckResult
from app.checkers.http import HttpCheckSettings, evaluate

from .servers import ScriptedHttpServer, closed_port


def settings_for(target: ScriptedHttpServer, **overrides: str) -> HttpCheckSettings:
    return HttpCheckSettings.from_env({"CHECK_URL": f"{target.url}/healthz"} | overrides)


def test_passes_when_every_request_gets_the_expected_status(target: ScriptedHttpServer) -> None:
    result = evaluate(settings_for(target, COUNT="3"), Budget.unlimited())

    assert result == CheckResult.passed()
    assert [request.path for request in target.requests] == ["/healthz"] * 3


def test_passes_when_enough_requests_succeed_for_the_passing_percent(
    target: ScriptedHttpServer,
) -> None:
    target.script(200, 503, 200, 200, 200)

    result = evaluate(settings_for(target, COUNT="5", PASSING_PERCENT="80"), Budget.unlimited())

    assert result.ok


def test_fails_with_the_count_and_last_error_when_too_many_requests_fail(
    target: ScriptedHttpServer,
) -> None:
    target.script(200, 503, 200, 500, 200)

    result = evaluate(settings_for(target, COUNT="5", PASSING_PERCENT="80"), Budget.unlimited())

    assert result == CheckResult.failed(
        f"GET {target.url}/healthz: 2/5 requests failed, passing percent 80 not met; "
        "last error: got status 500, expected 200"
    )


def test_sends_the_request_body_with_the_requested_method(target: ScriptedHttpServer) -> None:
    target.script(201)
    settings = settings_for(
        target, REQUEST_TYPE="post", REQUEST_BODY='{"name": "morpheus"}', EXPECTED_STATUS_CODE="201"
    )

    assert evaluate(settings, Budget.unlimited()).ok

    [request] = target.requests
    assert request.method == "POST"
    assert request.body == b'{"name": "morpheus"}'
    assert request.headers["content-type"] == "application/json"


def test_body_methods_send_an_empty_json_object_by_default(target: ScriptedHttpServer) -> None:
    assert evaluate(settings_for(target, REQUEST_TYPE="PUT"), Budget.unlimited()).ok
    assert evaluate(settings_for(target), Budget.unlimited()).ok

    put, get = target.requests
    assert (put.method, put.body) == ("PUT", b"{}")
    assert (get.method, get.body) == ("GET", b"")


def test_an_unexpected_success_status_is_a_failure(target: ScriptedHttpServer) -> None:
    result = evaluate(settings_for(target, EXPECTED_STATUS_CODE="204"), Budget.unlimited())

    assert not result.ok
    assert result.errors[0].endswith("last error: got status 200, expected 204")


def test_a_refused_connection_is_reported_as_a_connection_failure() -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    result = evaluate(HttpCheckSettings.from_env({"CHECK_URL": url}), Budget.unlimited())

    [error] = result.errors
    assert error.startswith(f"GET {url}: 1/1 requests failed, passing percent 100 not met;")
    assert "connection failed" in error


def test_requests_the_deadline_leaves_no_time_for_count_as_failed(
    target: ScriptedHttpServer,
) -> None:
    result = evaluate(settings_for(target, COUNT="2"), Budget(ends_at=time.time() - 1))

    assert target.requests == []
    assert result.errors[0].endswith("last error: 2 not attempted before the run deadline")


def test_waits_the_configured_time_between_requests(target: ScriptedHttpServer) -> None:
    started = time.monotonic()

    assert evaluate(settings_for(target, COUNT="3", SECONDS="50ms"), Budget.unlimited()).ok

    assert time.monotonic() - started >= 0.1


def test_defaults_follow_kuberhealthy_with_at_least_one_request() -> None:
    settings = HttpCheckSettings.from_env(
        {"CHECK_URL": "https://example.com", "COUNT": "0", "PASSING_PERCENT": "0"}
    )

    assert settings == HttpCheckSettings(
        url="https://example.com",
        count=1,
        delay=timedelta(0),
        passing_percent=100,
        method="GET",
        body=None,
        expected_status=200,
    )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "CHECK_URL is not set"),
        ({"CHECK_URL": "ftp://example.com"}, "must be an http:// or https:// URL"),
        ({"CHECK_URL": "http://x", "REQUEST_TYPE": "HEAD"}, "REQUEST_TYPE='HEAD' is not one of"),
        ({"CHECK_URL": "http://x", "COUNT": "-1"}, "COUNT=-1 is below the minimum of 0"),
        ({"CHECK_URL": "http://x", "EXPECTED_STATUS_CODE": "ok"}, "EXPECTED_STATUS_CODE='ok'"),
    ],
)
def test_a_misconfiguration_names_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        HttpCheckSettings.from_env(environ)


def test_passwords_in_the_url_stay_out_of_errors() -> None:
    url = f"http://user:secret@127.0.0.1:{closed_port()}/"

    result = evaluate(HttpCheckSettings.from_env({"CHECK_URL": url}), Budget.unlimited())

    assert "secret" not in result.errors[0]
    assert "user:xxxxx@127.0.0.1" in result.errors[0]
