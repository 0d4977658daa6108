"""The report endpoint over real HTTP, with runs placed in the database as a launch would leave them."""

import uuid
from datetime import timedelta

import httpx
import pytest

from app.models import Run, RunStatus, RunTrigger
from app.models.columns import utcnow
from tests.fixtures.stack import PatrolStack, shell_checker


async def running_run(stack: PatrolStack, name: str, *, deadline_in: float = 60) -> Run:
    check = await stack.add_check(name, shell_checker("exit 0"))
    now = utcnow()
    run = Run(
        check_id=check.id,
        cluster_id=stack.cluster.id,
        check_version=1,
        trigger=RunTrigger.API,
        status=RunStatus.RUNNING,
        scheduled_at=now,
        started_at=now,
        deadline_at=now + timedelta(seconds=deadline_in),
        pod_name=f"{name}-pod",
        pod_namespace="default",
        pod_ip="127.42.200.1",
    )
    async with stack.runtime.session_factory() as session:
        session.add(run)
        await session.commit()
        await session.refresh(run)
    return run


@pytest.fixture
async def client(stack: PatrolStack) -> httpx.AsyncClient:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=10) as client:
        yield client


async def test_get_on_both_paths_answers_200_without_side_effects(
    stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    run = await running_run(stack, "probe")
    for path in ("/check", "/externalCheckStatus"):
        response = await client.get(path, params={"kh-run-uuid": str(run.id)})
        assert response.status_code == 200
    assert (await stack.run(run.id)).status is RunStatus.RUNNING  # type: ignore[union-attr]


async def test_a_report_by_header_decides_the_run_and_a_duplicate_is_refused(
    stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    run = await running_run(stack, "by-header")
    first = await client.post(
        "/externalCheckStatus",
        content=b'{"ok": false, "errors": ["disk full"]}',
        headers={"kh-run-uuid": str(run.id)},
    )
    duplicate = await client.post(
        "/externalCheckStatus", content=b'{"OK": true}', headers={"kh-run-uuid": str(run.id)}
    )

    assert first.status_code == 200
    assert duplicate.status_code == 400 and "already decided" in duplicate.text
    decided = await stack.run(run.id)
    assert decided is not None
    assert decided.status is RunStatus.FAILED and decided.errors == ["disk full"]


async def test_the_run_named_in_the_reporting_url_is_enough_without_a_header(
    stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    run = await running_run(stack, "by-url")
    response = await client.post(
        "/check", params={"kh-run-uuid": str(run.id)}, content=b'{"OK":true}'
    )
    assert response.status_code == 200
    assert (await stack.run(run.id)).status is RunStatus.SUCCEEDED  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "headers", "query", "fragment"),
    [
        (b"{not json", None, True, "not valid JSON"),
        (b'{"OK": false}', None, True, "non-blank error"),
        (b'{"OK": false, "Errors": [" "]}', None, True, "non-blank error"),
        (b'{"OK": true}', {"kh-run-uuid": "not-a-uuid"}, False, "not a run UUID"),
        (b'{"OK": true}', {"kh-run-uuid": str(uuid.uuid4())}, False, "unknown run"),
        (b'{"OK": true}', None, False, "cannot tell which run"),
        (b"x" * 70_000, None, True, "exceeds"),
    ],
)
async def test_bad_reports_get_400_and_change_nothing(
    stack: PatrolStack,
    client: httpx.AsyncClient,
    body: bytes,
    headers: dict[str, str] | None,
    query: bool,
    fragment: str,
) -> None:
    run = await running_run(stack, "target")
    params = {"kh-run-uuid": str(run.id)} if query else None
    response = await client.post("/check", content=body, headers=headers, params=params)

    assert response.status_code == 400
    assert fragment in response.text
    unchanged = await stack.run(run.id)
    assert (
        unchanged is not None and unchanged.status is RunStatus.RUNNING and unchanged.errors == []
    )


async def test_a_report_carrying_another_runs_uuid_is_refused(
    stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    mine, other = await running_run(stack, "mine"), await running_run(stack, "other")
    response = await client.post(
        "/check",
        params={"kh-run-uuid": str(mine.id)},
        headers={"kh-run-uuid": str(other.id)},
        content=b'{"OK": true}',
    )
    assert response.status_code == 400
    for run in (mine, other):
        assert (await stack.run(run.id)).status is RunStatus.RUNNING  # type: ignore[union-attr]


async def test_a_stale_uuid_from_a_finished_run_is_refused(
    stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    run = await running_run(stack, "stale")
    assert (
        await client.post("/check", params={"kh-run-uuid": str(run.id)}, content=b'{"OK":true}')
    ).status_code == 200
    again = await client.post(
        "/check", params={"kh-run-uuid": str(run.id)}, content=b'{"OK":false,"Errors":["late"]}'
    )
    assert again.status_code == 400
    assert (await stack.run(run.id)).status is RunStatus.SUCCEEDED  # type: ignore[union-attr]


async def test_a_report_after_the_deadline_gets_410_gone(
    stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    run = await running_run(stack, "late", deadline_in=-1)
    response = await client.post(
        "/check", params={"kh-run-uuid": str(run.id)}, content=b'{"OK":true}'
    )
    assert response.status_code == 410
    # Whether or not the deadline sweep got to it first, the late report decided nothing.
    after = await stack.run(run.id)
    assert after is not None and after.status in (RunStatus.RUNNING, RunStatus.TIMED_OUT)
