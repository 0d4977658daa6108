"""List-then-watch of Patrol's pods in one cluster, resuming from the last resourceVersion and
re-listing after `410 Expired`, as Kubernetes controllers do."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from app.adapters.kube import ClusterClient, KubeError, WatchEvent
from app.logging import get_logger

log = get_logger(__name__)
WATCH_TIMEOUT_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Relisted:
    """A fresh list: every Patrol pod that exists now (anything missing was deleted meanwhile)."""

    pods: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Changed:
    type: str  # ADDED, MODIFIED, DELETED
    pod: dict[str, Any]


class _StreamEnded:
    pass


class _Expired:
    pass


async def watch_pods(
    client: ClusterClient, label_selector: str, *, retry_delay: float = 1.0
) -> AsyncIterator[Relisted | Changed]:
    """Yields forever (until cancelled). API errors are logged and retried after `retry_delay`."""
    resource_version: str | None = None
    while True:
        try:
            if resource_version is None:
                pods, resource_version = await client.list_pods(label_selector)
                yield Relisted(pods)
            async for item in _stream(client, label_selector, resource_version):
                if isinstance(item, _Expired):
                    resource_version = None
                    break
                if isinstance(item, _StreamEnded):
                    break
                if item.type == "BOOKMARK":
                    resource_version = item.object["metadata"]["resourceVersion"]
                    continue
                resource_version = item.object["metadata"].get("resourceVersion", resource_version)
                yield Changed(item.type, item.object)
        except KubeError as error:
            log.warning("pod watch failed; retrying", error=str(error))
            resource_version = None
            await asyncio.sleep(retry_delay)


async def _stream(
    client: ClusterClient, label_selector: str, resource_version: str
) -> AsyncIterator[WatchEvent | _StreamEnded | _Expired]:
    """Runs the blocking watch on its own thread (a watch holds its thread for its whole life)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[WatchEvent | _StreamEnded | _Expired | KubeError] = asyncio.Queue()

    def pump() -> None:
        try:
            for event in client.watch_pods(
                label_selector, resource_version, timeout_seconds=WATCH_TIMEOUT_SECONDS
            ):
                if event.type == "ERROR":
                    code = event.object.get("code")
                    item: WatchEvent | _StreamEnded | _Expired | KubeError = (
                        _Expired()
                        if code == 410
                        else KubeError(str(event.object.get("message")), status=code)
                    )
                    loop.call_soon_threadsafe(queue.put_nowait, item)
                    return
                loop.call_soon_threadsafe(queue.put_nowait, event)
            loop.call_soon_threadsafe(queue.put_nowait, _StreamEnded())
        except KubeError as error:
            loop.call_soon_threadsafe(queue.put_nowait, error)
        except RuntimeError:
            pass  # the event loop closed while the watch was open: nobody is listening

    threading.Thread(target=pump, name="pod-watch", daemon=True).start()
    while True:
        item = await queue.get()
        if isinstance(item, KubeError):
            raise item
        yield item
        if isinstance(item, _StreamEnded | _Expired):
            return
