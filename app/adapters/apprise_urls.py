"""Apprise URLs, judged by Apprise itself: a channel URL is accepted only if Apprise can load it,
and refused with Apprise's own reason, its secret parts scrubbed."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import apprise
from apprise.common import PersistentStoreMode
from apprise.plugins.base import NotifyBase
from apprise.utils.parse import parse_urls

from app.adapters.apprise_log import captured_apprise_warnings
from app.domain.alerting.channel_urls import mask_url, scrub, secret_fragments
from app.errors import InvalidInput

MAX_URLS = 20
MAX_URL_CHARS = 2048


class UrlRefused(Exception):
    """Apprise cannot use this URL. `reason` is safe to show: the URL's secrets are scrubbed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def patrol_asset() -> apprise.AppriseAsset:
    # In memory only: Apprise's persistent store would otherwise cache per-URL state on disk.
    return apprise.AppriseAsset(
        app_id="Patrol",
        app_desc="Patrol synthetic monitoring",
        storage_mode=PersistentStoreMode.MEMORY,
        secure_logging=True,
    )


def load_url(
    url: str, *, tags: Collection[str] = (), asset: apprise.AppriseAsset | None = None
) -> NotifyBase:
    """The Apprise service for `url`, or UrlRefused with Apprise's reason."""
    fragments = secret_fragments(url)
    if len(parse_urls(url)) != 1:  # type: ignore[no-untyped-call]
        raise UrlRefused("an entry must hold exactly one URL")
    with captured_apprise_warnings() as warnings:
        try:
            service = apprise.Apprise.instantiate(
                url, asset=asset or patrol_asset(), tag=list(tags), suppress_exceptions=False
            )
        except Exception as error:
            reason = str(error) or type(error).__name__
            raise UrlRefused(scrub(reason, fragments)) from None
    if service is None:
        reason = warnings[-1] if warnings else "Apprise does not support this URL"
        raise UrlRefused(scrub(reason, fragments))
    return service


def validate_channel_urls(urls: Sequence[str], *, field: str = "urls") -> tuple[str, ...]:
    """The URLs, stripped, if Apprise accepts every one; else InvalidInput naming the first
    refused (masked) with Apprise's reason."""
    if not urls:
        raise InvalidInput("a channel needs at least one Apprise URL", field=field)
    if len(urls) > MAX_URLS:
        raise InvalidInput(f"a channel holds at most {MAX_URLS} URLs", field=field)
    accepted: list[str] = []
    for number, raw in enumerate(urls, start=1):
        url = raw.strip()
        if not url:
            raise InvalidInput(f"URL {number} is empty", field=field)
        if len(url) > MAX_URL_CHARS:
            raise InvalidInput(
                f"URL {number} is longer than {MAX_URL_CHARS} characters", field=field
            )
        try:
            load_url(url)
        except UrlRefused as refused:
            raise InvalidInput(
                f"URL {number} ({mask_url(url)}) was refused by Apprise: {refused.reason}",
                field=field,
            ) from None
        accepted.append(url)
    return tuple(accepted)
