"""A worker never guesses where checker pods report: PATROL_PUBLIC_URL, else the URL `patrol
serve` recorded in the database, else it refuses to start with one sentence."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from app.models import RunStatus
from app.services.shared_settings import PUBLIC_URL, recorded_setting
from tests.e2e.checkers import REPORT_TO_INJECTED_URL, python_script
from tests.fixtures.http_target import free_port
from tests.fixtures.stack import PatrolStack, eventually


def environment_without_public_url(stack: PatrolStack) -> dict[str, str]:
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("PATROL_")}
    joined = {**inherited, **stack.process_environment()}
    del joined["PATROL_PUBLIC_URL"]
    return joined


async def refusal(environment: dict[str, str], *arguments: str) -> tuple[int | None, list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        *arguments,
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    errors = [line for line in stderr.decode().splitlines() if line.startswith("error: ")]
    return process.returncode, errors


async def test_a_worker_without_a_public_url_refuses_to_start_with_one_sentence(
    api_stack: PatrolStack,
) -> None:
    code, errors = await refusal(environment_without_public_url(api_stack), "worker")

    assert code == 2
    assert errors == [
        "error: PATROL_PUBLIC_URL is not set and no `patrol serve` has recorded its URL in the "
        "database: set PATROL_PUBLIC_URL to the URL checker pods reach Patrol's API at"
    ]


async def test_serve_listening_on_every_address_without_a_public_url_refuses_to_start(
    api_stack: PatrolStack,
) -> None:
    code, errors = await refusal(
        environment_without_public_url(api_stack), "serve", "--host", "0.0.0.0", "--no-worker"
    )

    assert code == 2
    assert errors == [
        "error: PATROL_PUBLIC_URL is not set and 0.0.0.0 is no address checker pods can report "
        "to: set PATROL_PUBLIC_URL to the URL they reach this server at"
    ]


@asynccontextmanager
async def patrol_process(environment: dict[str, str], *arguments: str) -> AsyncIterator[None]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        *arguments,
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0


async def answers(url: str) -> dict[str, Any] | None:
    async with httpx.AsyncClient(timeout=5) as client:
        try:
            response = await client.get(url)
        except httpx.TransportError:
            return None
    body: dict[str, Any] = response.json() if url.endswith("/readyz") else {"ok": True}
    return body if response.status_code == 200 else None


async def test_a_worker_without_a_public_url_uses_the_one_serve_recorded(
    api_stack: PatrolStack,
) -> None:
    environment = environment_without_public_url(api_stack)
    serve_port, health_port = free_port(), free_port()
    async with patrol_process(environment, "serve", "--no-worker", "--port", str(serve_port)):
        await eventually(lambda: answers(f"http://127.0.0.1:{serve_port}/healthz"), timeout=60)
        async with api_stack.runtime.session_factory() as session:
            recorded = await recorded_setting(session, PUBLIC_URL)
        assert recorded is not None and recorded.value == f"http://127.0.0.1:{serve_port}"

        async with patrol_process(environment, "worker", "--health-port", str(health_port)):
            readiness = await eventually(
                lambda: answers(f"http://127.0.0.1:{health_port}/readyz"), timeout=60
            )
            assert "scheduler" in readiness["loops"]
            check = await api_stack.add_check(
                "reports-to-serve", python_script(REPORT_TO_INJECTED_URL), run_interval="1h"
            )
            # Only the serve process listens at the recorded URL: the report went there.
            (run,) = await api_stack.finalized_runs(check.id, 1, timeout=60)
            assert run.status is RunStatus.SUCCEEDED, run.errors
