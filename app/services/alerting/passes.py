"""One pass of each alerting loop, as the worker's supervised loops call them: evaluate the log,
tick, deliver. Each pass commits its own transactions, then nudges the other processes."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.adapters.broker import EVENTS_APPENDED, Nudges, nudges, publish
from app.adapters.notifier import AppriseNotifier
from app.db import SessionFactory
from app.domain.alerting.delivery import RetryPolicy
from app.keyring import Keyring
from app.logging import get_logger
from app.models.columns import utcnow
from app.services.alerting.channels import Notifier
from app.services.alerting.delivery import DeliverySettings, deliver_due
from app.services.alerting.engine import evaluate_new_events
from app.services.alerting.ticks import tick
from app.settings import Settings

log = get_logger(__name__)
# Batches one delivery pass works through before it lets its loop beat.
MAX_DELIVERY_BATCHES = 10


def log_appended(redis: Redis) -> AbstractAsyncContextManager[Nudges]:
    """Wake-ups after a commit appended to the event log (runs decided, alerts changed)."""
    return nudges(redis, EVENTS_APPENDED)


async def announce_events(redis: Redis) -> None:
    try:
        await publish(redis, EVENTS_APPENDED)
    except (RedisError, OSError) as error:
        # Only a nudge: readers poll the log on a timer as well.
        log.warning("could not announce new events", error=type(error).__name__)


async def evaluate_pass(session_factory: SessionFactory, redis: Redis) -> int:
    transitions = await evaluate_new_events(session_factory)
    if transitions:
        await announce_events(redis)
    return len(transitions)


async def tick_pass(session_factory: SessionFactory, redis: Redis) -> int:
    transitions = await tick(session_factory, now=utcnow())
    if transitions:
        await announce_events(redis)
    return len(transitions)


def delivery_settings(settings: Settings, public_url: str | None) -> DeliverySettings:
    return DeliverySettings(
        base_url=settings.alert_link_base_url or public_url or "",
        policy=RetryPolicy(
            first_delay=timedelta(seconds=settings.alert_retry_first_delay_seconds),
            max_attempts=settings.alert_retry_max_attempts,
        ),
    )


def build_notifier(settings: Settings) -> Notifier:
    return AppriseNotifier(timeout_seconds=settings.alert_send_timeout_seconds)


async def delivery_pass(
    session_factory: SessionFactory,
    notifier: Notifier,
    keyring: Keyring,
    *,
    worker: str,
    settings: DeliverySettings,
) -> int:
    """Deliver what is due, a batch at a time; how many notifications were claimed."""
    claimed = 0
    for _ in range(MAX_DELIVERY_BATCHES):
        batch = await deliver_due(
            session_factory, notifier, keyring, worker=worker, now=utcnow(), settings=settings
        )
        claimed += batch
        if not batch:
            break
    return claimed
