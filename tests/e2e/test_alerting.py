"""Alerting end to end on the local cluster, with two `patrol worker` processes evaluating and
delivering the same transitions: a checker that fails three times fires one alert that arrives at
the receiver once; making it pass resolves it with one "resolved" message."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import BinaryIO

from app.domain.alerting.matchers import SubjectMatcher
from app.domain.alerting.rules import ConsecutiveFailures, Rule
from app.models import AlertRule, NotificationStatus
from app.models.alerting_codec import rule_values
from app.services.alerting.channels import create_channel
from app.services.alerting.engine import ensure_cursor
from app.services.checks import pause_check
from tests.e2e.checkers import python_script
from tests.fixtures.alerting import alerts, notifications
from tests.fixtures.receivers import Webhook
from tests.fixtures.stack import PatrolStack, eventually

SECRET_PATH = "T0PS3CRETwebhookPath"
# Reports failure while the file says "fail", success otherwise.
TOGGLED = """
import json, os, urllib.request
failing = open(os.environ["STATE_FILE"]).read().strip() == "fail"
body = {"OK": not failing, "Errors": ["payments API answered 503"] if failing else []}
request = urllib.request.Request(os.environ["KH_REPORTING_URL"], data=json.dumps(body).encode())
urllib.request.urlopen(request, timeout=10)
"""


async def start_worker_process(stack: PatrolStack, log: BinaryIO) -> asyncio.subprocess.Process:
    environment = {
        **os.environ,
        **stack.process_environment(),
        "PATROL_ALERT_POLL_SECONDS": "0.2",
        "PATROL_ALERT_TICK_SECONDS": "1",
        "PATROL_LOG_LEVEL": "DEBUG",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "worker",
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )


async def test_three_failures_fire_one_alert_at_the_receiver_and_passing_resolves_it_once(
    api_stack: PatrolStack, webhook: Webhook, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.write_text("fail")
    factory = api_stack.runtime.session_factory
    await ensure_cursor(factory)
    async with factory.begin() as session:
        channel = await create_channel(
            session,
            api_stack.runtime.keyring,
            name="payments on-call",
            urls=[f"json://127.0.0.1:{webhook.port}/hooks/{SECRET_PATH}"],
        )
        rule = Rule(
            id=uuid.uuid4(),
            name="payments down",
            condition=ConsecutiveFailures(3, 2),
            selector=SubjectMatcher(labels={"team": "payments"}),
            channel_ids=(channel.id,),
        )
        session.add(AlertRule(**rule_values(rule)))
    logs = [tmp_path / f"worker-{n}.log" for n in range(2)]
    with contextlib.ExitStack() as files:
        streams = [files.enter_context(path.open("wb")) for path in logs]
        workers = [await start_worker_process(api_stack, stream) for stream in streams]
        await watch_alerts_arrive(api_stack, webhook, workers, state)
    # The workers logged at DEBUG, Apprise included: never the URL's secret path.
    text = "".join(path.read_text(errors="replace") for path in logs)
    assert "notification attempt recorded" in text and SECRET_PATH not in text


async def watch_alerts_arrive(
    api_stack: PatrolStack,
    webhook: Webhook,
    workers: list[asyncio.subprocess.Process],
    state: Path,
) -> None:
    factory = api_stack.runtime.session_factory
    try:
        check = await api_stack.add_check(
            "checkout",
            python_script(TOGGLED, STATE_FILE=str(state)),
            labels={"team": "payments"},
            run_interval="3s",
            timeout="3s",
        )

        async def firing_arrived() -> bool:
            return any(r.body["title"].startswith("[WARNING] FIRING") for r in webhook.requests)

        await eventually(firing_arrived, timeout=90)
        state.write_text("ok")

        async def resolved_arrived() -> bool:
            return any("RESOLVED" in request.body["title"] for request in webhook.requests)

        await eventually(resolved_arrived, timeout=60)
        async with factory.begin() as session:
            await pause_check(session, check.id)

        async def all_settled() -> bool:
            rows = await notifications(factory)
            return bool(rows) and all(row.status is NotificationStatus.SENT for row in rows)

        # Every row recorded sent: a second send would need a claim after a 5-minute lease.
        await eventually(all_settled, timeout=20)
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            try:
                await asyncio.wait_for(process.wait(), timeout=20)
            except TimeoutError:
                process.kill()
                await process.wait()
    kinds = Counter(request.body["type"] for request in webhook.requests)
    assert kinds == Counter({"failure": 1, "success": 1}), [r.body for r in webhook.requests]
    firing = next(r for r in webhook.requests if r.body["type"] == "failure")
    assert firing.body["title"] == "[WARNING] FIRING: default/checkout on local (failed)"
    assert "payments API answered 503" in firing.body["message"]
    (alert,) = await alerts(factory)
    assert alert.status.value == "resolved"
