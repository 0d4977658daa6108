"""The report endpoint's contract over real HTTP, with runs placed in the database as a launch
would leave them and reports sent as their pods would send them."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from app.domain.manifest import reporting_url
from app.models import RunStatus
from app.services.report_identity import report_secret
from tests.e2e.runs import reporting_url_of, running_run, status_of
from tests.fixtures.stack import PatrolStack


@pytest.fixture
async def client(stack: PatrolStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=10) as client:
        yield client


async def test_get_on_both_paths_answers_200_without_side_effects(
    stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    run = await running_run(stack, "probe")
    for url in ("/check", "/externalCheckStatus", reporting_url_of(stack, run)):
        response = await client.get(url, headers={"kh-run-uuid": str(run.id)})
        assert response.status_code == 200
    assert await status_of(stack, run) is RunStatus.RUNNING


async def test_a_report_to_the_reporting_url_with_the_header_decides_the_run_once(
    stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    run = await running_run(stack, "go-client")
    url = reporting_url_of(stack, run)
    first = await client.post(
        url,
        content=b'{"ok": false, "errors": ["disk full"]}',
        headers={"kh-run-uuid": str(run.id)},
    )
    duplicate = await client.post(
        url, content=b'{"OK": true}', headers={"kh-run-uuid": str(run.id)}
    )

    assert first.status_code == 200
    assert duplicate.status_code == 400 and "already decided" in duplicate.text
    decided = await stack.run(run.id)
    assert decided is not None
    assert decided.status is RunStatus.FAILED and decided.errors == ["disk full"]


async def test_the_reporting_url_is_enough_without_a_header_on_either_path(
    stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    v3, v2 = await running_run(stack, "v3"), await running_run(stack, "v2")
    by_v3_path = await client.post(reporting_url_of(stack, v3), content=b'{"OK":true}')
    by_v2_path = await client.post(
        reporting_url_of(stack, v2).replace("/check?", "/externalCheckStatus?"),
        content=b'{"OK":true}',
    )

    assert (by_v3_path.status_code, by_v2_path.status_code) == (200, 200)
    assert await status_of(stack, v3) is RunStatus.SUCCEEDED
    assert await status_of(stack, v2) is RunStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("body", "headers", "fragment"),
    [
        (b"{not json", None, "not valid JSON"),
        (b'{"OK": false}', None, "non-blank error"),
        (b'{"OK": false, "Errors": [" "]}', None, "non-blank error"),
        (b'{"OK": true}', {"kh-run-uuid": "not-a-uuid"}, "not a run UUID"),
        (b"x" * 70_000, None, "exceeds"),
    ],
)
async def test_bad_reports_get_400_and_change_nothing(
    stack: PatrolStack,
    client: httpx.AsyncClient,
    body: bytes,
    headers: dict[str, str] | None,
    fragment: str,
) -> None:
    run = await running_run(stack, "target")
    response = await client.post(reporting_url_of(stack, run), content=body, headers=headers)

    assert response.status_code == 400
    assert fragment in response.text
    unchanged = await stack.run(run.id)
    assert (
        unchanged is not None and unchanged.status is RunStatus.RUNNING and unchanged.errors == []
    )


async def test_a_report_for_a_run_patrol_does_not_know_gets_400(
    stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    # Only a deleted run's pod could hold a valid secret for a run that is not in the database.
    gone = uuid.uuid4()
    url = reporting_url(stack.api_url, gone, report_secret(stack.runtime.keyring, gone))

    response = await client.post(url, content=b'{"OK": true}')

    assert response.status_code == 400 and "unknown run" in response.text


async def test_a_stale_uuid_from_a_finished_run_is_refused(
    stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    run = await running_run(stack, "stale")
    url = reporting_url_of(stack, run)
    assert (await client.post(url, content=b'{"OK":true}')).status_code == 200
    again = await client.post(url, content=b'{"OK":false,"Errors":["late"]}')
    assert again.status_code == 400
    assert await status_of(stack, run) is RunStatus.SUCCEEDED


async def test_a_report_after_the_deadline_gets_410_gone(
    stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    run = await running_run(stack, "late", deadline_in=-1)
    response = await client.post(reporting_url_of(stack, run), content=b'{"OK":true}')
    assert response.status_code == 410
    # Whether or not the deadline sweep got to it first, the late report decided nothing.
    assert await status_of(stack, run) in (RunStatus.RUNNING, RunStatus.TIMED_OUT)
