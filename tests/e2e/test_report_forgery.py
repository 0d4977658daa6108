"""Forged reports over real HTTP: knowing a run's id, or being able to bind its pod's loopback IP,
is not enough to decide it; the secret in the pod's reporting URL is."""

import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest
import structlog
from pydantic import SecretStr

from app.domain.manifest import reporting_url
from app.domain.report_identity import IpFallback
from app.keyring import Keyring, generate_key
from app.logging import configure_logging
from app.models import Run, RunStatus
from app.services.lookups import logs_by_run_id
from app.services.report_identity import report_secret
from tests.e2e.runs import POD_IP, reporting_url_of, running_run, status_of
from tests.fixtures.stack import PatrolStack, patrol_settings, python_checker

OK = b'{"OK": true, "Errors": []}'
PREVIOUS_KEY, CURRENT_KEY = generate_key(), generate_key()

Forgery = Callable[[PatrolStack, Run, Run], tuple[str, dict[str, str]]]


@pytest.fixture
async def client(stack: PatrolStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=10) as client:
        yield client


@pytest.fixture
async def from_pod_ip(stack: PatrolStack) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose connections come from the pod IP the runs of `running_run` have."""
    transport = httpx.AsyncHTTPTransport(local_address=POD_IP)
    async with httpx.AsyncClient(base_url=stack.api_url, transport=transport, timeout=10) as client:
        yield client


def header_only(stack: PatrolStack, target: Run, _other: Run) -> tuple[str, dict[str, str]]:
    return "/check", {"kh-run-uuid": str(target.id)}


def url_without_secret(stack: PatrolStack, target: Run, _other: Run) -> tuple[str, dict[str, str]]:
    return f"/check?kh-run-uuid={target.id}", {"kh-run-uuid": str(target.id)}


def url_with_a_wrong_secret(
    stack: PatrolStack, target: Run, _other: Run
) -> tuple[str, dict[str, str]]:
    return reporting_url(stack.api_url, target.id, "A" * 43), {"kh-run-uuid": str(target.id)}


def url_with_another_runs_secret(
    stack: PatrolStack, target: Run, other: Run
) -> tuple[str, dict[str, str]]:
    secret = report_secret(stack.runtime.keyring, other.id)
    return reporting_url(stack.api_url, target.id, secret), {}


def url_signed_with_a_key_patrol_does_not_have(
    stack: PatrolStack, target: Run, _other: Run
) -> tuple[str, dict[str, str]]:
    secret = report_secret(Keyring(generate_key()), target.id)
    return reporting_url(stack.api_url, target.id, secret), {}


def another_runs_url_with_this_runs_header(
    stack: PatrolStack, target: Run, other: Run
) -> tuple[str, dict[str, str]]:
    return reporting_url_of(stack, other), {"kh-run-uuid": str(target.id)}


def a_secret_without_the_run_in_the_url(
    stack: PatrolStack, target: Run, _other: Run
) -> tuple[str, dict[str, str]]:
    secret = report_secret(stack.runtime.keyring, target.id)
    return f"/check?kh-run-secret={secret}", {"kh-run-uuid": str(target.id)}


@pytest.mark.parametrize(
    "forge",
    [
        header_only,
        url_without_secret,
        url_with_a_wrong_secret,
        url_with_another_runs_secret,
        url_signed_with_a_key_patrol_does_not_have,
        another_runs_url_with_this_runs_header,
        a_secret_without_the_run_in_the_url,
    ],
)
async def test_a_forged_report_is_refused_and_decides_no_run(
    stack: PatrolStack, client: httpx.AsyncClient, forge: Forgery
) -> None:
    target, other = await running_run(stack, "target"), await running_run(stack, "other")
    url, headers = forge(stack, target, other)

    response = await client.post(url, content=OK, headers=headers)

    assert response.status_code == 400, response.text
    assert await status_of(stack, target) is RunStatus.RUNNING
    assert await status_of(stack, other) is RunStatus.RUNNING


async def test_the_same_report_with_the_runs_own_reporting_url_is_accepted(
    stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    run = await running_run(stack, "genuine")

    response = await client.post(
        reporting_url_of(stack, run), content=OK, headers={"kh-run-uuid": str(run.id)}
    )

    assert response.status_code == 200, response.text
    assert await status_of(stack, run) is RunStatus.SUCCEEDED


async def test_a_report_from_a_loopback_pod_ip_is_refused_by_default(
    stack: PatrolStack, from_pod_ip: httpx.AsyncClient
) -> None:
    run = await running_run(stack, "local-pod")

    bare = await from_pod_ip.post("/externalCheckStatus", content=OK)
    with_header = await from_pod_ip.post(
        "/externalCheckStatus", content=OK, headers={"kh-run-uuid": str(run.id)}
    )

    assert bare.status_code == 400 and "loopback" in bare.text
    assert with_header.status_code == 400 and "loopback" in with_header.text
    assert await status_of(stack, run) is RunStatus.RUNNING


@patrol_settings(report_ip_fallback=IpFallback.LOOPBACK)
async def test_a_report_from_a_loopback_pod_ip_is_accepted_when_the_loopback_policy_is_on(
    stack: PatrolStack, from_pod_ip: httpx.AsyncClient
) -> None:
    run = await running_run(stack, "local-pod")

    response = await from_pod_ip.post("/externalCheckStatus", content=OK)

    assert response.status_code == 200, response.text
    assert await status_of(stack, run) is RunStatus.SUCCEEDED


@patrol_settings(report_ip_fallback=IpFallback.LOOPBACK)
async def test_a_header_naming_another_run_than_the_pod_ips_is_refused(
    stack: PatrolStack, from_pod_ip: httpx.AsyncClient
) -> None:
    run = await running_run(stack, "local-pod")
    other = await running_run(stack, "elsewhere", pod_ip="127.42.200.2")

    response = await from_pod_ip.post(
        "/externalCheckStatus", content=OK, headers={"kh-run-uuid": str(other.id)}
    )

    assert response.status_code == 400
    assert await status_of(stack, run) is RunStatus.RUNNING
    assert await status_of(stack, other) is RunStatus.RUNNING


async def test_a_forwarded_for_header_from_a_local_process_does_not_claim_a_pods_ip(
    stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    run = await running_run(stack, "cluster-pod", pod_ip="10.244.1.7")

    response = await client.post(
        "/externalCheckStatus", content=OK, headers={"X-Forwarded-For": "10.244.1.7"}
    )

    assert response.status_code == 400 and "127.0.0.1" in response.text
    assert await status_of(stack, run) is RunStatus.RUNNING


@patrol_settings(secret_key=SecretStr(CURRENT_KEY), previous_secret_keys=SecretStr(PREVIOUS_KEY))
async def test_a_run_launched_before_a_key_rotation_can_still_report(
    stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    run = await running_run(stack, "rotated")
    url = reporting_url(stack.api_url, run.id, report_secret(Keyring(PREVIOUS_KEY), run.id))

    response = await client.post(url, content=OK)

    assert response.status_code == 200, response.text
    assert await status_of(stack, run) is RunStatus.SUCCEEDED


def is_json_object(line: str) -> bool:
    return line.startswith("{")


@pytest.fixture
def logging_restored(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Undo `production_logging()` after the test, before `capsys` closes the stream it uses."""
    root = logging.getLogger()
    level, structlog_config = root.level, structlog.get_config()
    names = ("uvicorn.access", "arq.worker", "arq.jobs", "httpx", "httpcore")
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for handler in root.handlers[:]:
        if isinstance(handler.formatter, structlog.stdlib.ProcessorFormatter):
            root.removeHandler(handler)
    root.setLevel(level)
    for name, original in levels.items():
        logging.getLogger(name).setLevel(original)
    structlog.configure(**structlog_config)


def production_logging() -> None:
    """Patrol's own log configuration, at DEBUG, writing JSON lines to the current stderr."""
    configure_logging("DEBUG", "json")
    # The test's own client (Patrol does not use httpx) logs every URL it requests.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


async def test_a_real_checker_pod_reports_and_no_log_ever_shows_its_secret(
    stack: PatrolStack,
    client: httpx.AsyncClient,
    logging_restored: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    production_logging()
    check = await stack.add_check(
        "self",
        python_checker("app.checkers.http", CHECK_URL=f"{stack.api_url}/healthz"),
        run_interval="1h",
    )
    (run,) = await stack.finalized_runs(check.id, 1)
    assert run.status is RunStatus.SUCCEEDED, run.errors
    url = reporting_url_of(stack, run)
    secret = report_secret(stack.runtime.keyring, run.id)
    assert urlsplit(url).query.endswith(secret)

    duplicate = await client.post(url, content=OK, headers={"kh-run-uuid": str(run.id)})
    mismatched = await client.post(url, content=OK, headers={"kh-run-uuid": str(check.id)})
    invalid = await client.post(url, content=b"{not json")

    assert [duplicate.status_code, mismatched.status_code, invalid.status_code] == [400] * 3
    captured = capsys.readouterr()
    assert secret not in captured.err and secret not in captured.out
    refusals = [
        record
        for record in map(json.loads, filter(is_json_object, captured.err.splitlines()))
        if record["event"] == "report refused"
    ]
    assert [record["verdict"] for record in refusals] == [
        "already_decided",
        "unidentified",
        "invalid",
    ]
    assert all(
        record["level"] == "info"
        and record["source"] == "127.0.0.1"
        and record["run_id"] == str(run.id)
        and record["reason"]
        for record in refusals
    )
    async with stack.runtime.session_factory() as session:
        pod_logs = await logs_by_run_id(session, [run.id])
    assert all(secret not in log.content for log in pod_logs[run.id])
