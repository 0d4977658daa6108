"""Sends one rendered message to one channel's Apprise URLs and says, per URL, what happened:
sent, skipped by the tag filter, or failed (permanently or worth a retry). Never raises with, or
returns, a URL's secret parts."""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import apprise
from apprise.common import MATCH_ALL_TAG, NotifyFormat, NotifyType
from apprise.result import AppriseResultStatus

from app.adapters.apprise_log import quiet_apprise_logger
from app.adapters.apprise_urls import UrlRefused, load_url, patrol_asset
from app.domain.alerting.channel_urls import mask_url, scrub, secret_fragments
from app.domain.alerting.delivery import Permanence, classify_failure
from app.domain.alerting.rendering import RenderedMessage
from app.domain.alerting.state import TransitionKind

DEFAULT_TIMEOUT_SECONDS = 30.0

_NOTIFY_TYPES = {
    TransitionKind.FIRING: NotifyType.FAILURE,
    TransitionKind.REMINDER: NotifyType.FAILURE,
    TransitionKind.RESOLVED: NotifyType.SUCCESS,
    TransitionKind.ACKNOWLEDGED: NotifyType.INFO,
    TransitionKind.COMMENTED: NotifyType.INFO,
}


class UrlStatus(enum.StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # the URL's tags do not match the send's tag filter
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ChannelTarget:
    url: str
    tags: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class UrlDelivery:
    index: int  # the URL's place in the channel
    masked_url: str
    status: UrlStatus
    permanence: Permanence | None = None
    error: str | None = None


class AppriseNotifier:
    def __init__(self, *, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        quiet_apprise_logger()
        self.timeout_seconds = timeout_seconds
        self.asset = patrol_asset()

    async def send(
        self,
        message: RenderedMessage,
        kind: TransitionKind,
        targets: Sequence[ChannelTarget],
        *,
        tags: Collection[str] = (),
    ) -> tuple[UrlDelivery, ...]:
        """All URLs at once. `tags` keeps only URLs carrying one of them (Apprise's tag match);
        empty sends to every URL."""
        return tuple(
            await asyncio.gather(
                *(
                    self._send_one(index, target, message, kind, tags)
                    for index, target in enumerate(targets)
                )
            )
        )

    async def _send_one(
        self,
        index: int,
        target: ChannelTarget,
        message: RenderedMessage,
        kind: TransitionKind,
        tags: Collection[str],
    ) -> UrlDelivery:
        masked, fragments = mask_url(target.url), secret_fragments(target.url)

        def failed(permanence: Permanence, error: str) -> UrlDelivery:
            return UrlDelivery(index, masked, UrlStatus.FAILED, permanence, scrub(error, fragments))

        try:
            service = load_url(target.url, tags=target.tags, asset=self.asset)
        except UrlRefused as refused:
            return failed(Permanence.PERMANENT, f"refused by Apprise: {refused.reason}")
        notifier = apprise.Apprise(asset=self.asset)
        notifier.add(service)
        try:
            result = await notifier.async_notify(
                body=message.body,
                title=message.title,
                notify_type=_NOTIFY_TYPES[kind],
                body_format=NotifyFormat.TEXT,
                tag=list(tags) if tags else MATCH_ALL_TAG,
                timeout=self.timeout_seconds,
                log_level=logging.DEBUG,
            )
        except Exception as crash:  # Apprise reports failures in its result; this is a bug
            return failed(Permanence.TRANSIENT, f"{type(crash).__name__}: {crash}")
        with result:
            if result.status is AppriseResultStatus.NOMATCH:
                return UrlDelivery(index, masked, UrlStatus.SKIPPED)
            if result:
                return UrlDelivery(index, masked, UrlStatus.SENT)
            if result.status is AppriseResultStatus.TIMEOUT:
                return failed(Permanence.TRANSIENT, f"no answer within {self.timeout_seconds:g}s")
            entries = [(entry.level, entry.message) for entry in result.logs()]
        reasons = [text for level, text in entries if level in _REASON_LEVELS]
        error = "; ".join(reasons) or "Apprise reported a failure without a reason"
        return failed(classify_failure(text for _, text in entries), error)


_REASON_LEVELS = frozenset({"WARNING", "ERROR", "CRITICAL"})
