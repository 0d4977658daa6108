"""The alerting loops: the rule engine reading the event log, the tick for time-based conditions,
and delivery. Any number of workers may run them at once: the engine's cursor, each subject's
state and each notification's claim are compare-and-sets."""

from __future__ import annotations

from app.runtime import Runtime
from app.services.alerting.delivery import worker_name
from app.services.alerting.passes import (
    build_notifier,
    delivery_pass,
    delivery_settings,
    evaluate_pass,
    log_appended,
    tick_pass,
)
from app.supervision import LoopControl


async def run_alert_engine(runtime: Runtime, control: LoopControl) -> None:
    async with log_appended(runtime.redis) as nudged:
        while True:
            async with control.stretch():
                await evaluate_pass(runtime.session_factory, runtime.redis)
            control.beat()
            await nudged.wait(runtime.settings.alert_poll_seconds)


async def run_alert_tick(runtime: Runtime, control: LoopControl) -> None:
    while True:
        async with control.stretch():
            await tick_pass(runtime.session_factory, runtime.redis)
        control.beat()
        await control.pause(runtime.settings.alert_tick_seconds)


async def run_alert_delivery(runtime: Runtime, control: LoopControl) -> None:
    notifier = build_notifier(runtime.settings)
    worker = worker_name()
    async with log_appended(runtime.redis) as nudged:
        while True:
            async with control.stretch():
                await delivery_pass(
                    runtime.session_factory,
                    notifier,
                    runtime.keyring,
                    worker=worker,
                    settings=delivery_settings(runtime.settings, runtime.public_url),
                )
            control.beat()
            await nudged.wait(runtime.settings.alert_poll_seconds)
