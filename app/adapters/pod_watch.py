"""List-then-watch of Patrol's pods in one namespace of one cluster, resuming from the last resourceVersion and
re-listing after `410 Expired`, as Kubernetes controllers do. API errors end the watch: its
caller (a supervised loop) backs off and starts again with a fresh list."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Any

from app.adapters.kube import ClusterClient, KubeError, WatchEvent

WATCH_TIMEOUT_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Relisted:
    """A fresh list of one namespace: every Patrol pod in it now (anything missing was deleted
    meanwhile)."""

    pods: list[dict[str, Any]]
    namespace: str


@dataclass(frozen=True, slots=True)
class Changed:
    type: str  # ADDED, MODIFIED, DELETED
    pod: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Quiet:
    """Nothing happened for a while; the watch is still open (its read times out if the
    connection hangs)."""


class _StreamEnded:
    pass


class _Expired:
    pass


async def watch_pods(
    client: ClusterClient, namespace: str, label_selector: str, *, quiet_after: float = 1.0
) -> AsyncGenerator[Relisted | Changed | Quiet, None]:
    """Yields until cancelled, `Quiet` after `quiet_after` seconds without an event; raises
    `KubeError` when the API fails."""
    resource_version: str | None = None
    while True:
        if resource_version is None:
            pods, resource_version = await client.list_pods(namespace, label_selector)
            yield Relisted(pods, namespace)
        stream = _stream(client, namespace, label_selector, resource_version, quiet_after)
        async with contextlib.aclosing(stream):
            async for item in stream:
                if isinstance(item, Quiet):
                    yield item
                    continue
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


async def watch_namespaces(
    client: ClusterClient,
    namespaces: Sequence[str],
    label_selector: str,
    *,
    quiet_after: float = 1.0,
) -> AsyncGenerator[Relisted | Changed | Quiet, None]:
    """`watch_pods` in each namespace at once, merged; the first `KubeError` ends them all."""
    if not namespaces:
        while True:
            await asyncio.sleep(quiet_after)
            yield Quiet()
    queue: asyncio.Queue[Relisted | Changed | Quiet | BaseException] = asyncio.Queue(maxsize=256)

    async def pump(namespace: str) -> None:
        watch = watch_pods(client, namespace, label_selector, quiet_after=quiet_after)
        try:
            async with contextlib.aclosing(watch):
                async for item in watch:
                    await queue.put(item)
        except Exception as error:
            await queue.put(error)

    pumps = [asyncio.create_task(pump(namespace)) for namespace in namespaces]
    try:
        while True:
            item = await queue.get()
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        for task in pumps:
            task.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)


async def _stream(
    client: ClusterClient,
    namespace: str,
    label_selector: str,
    resource_version: str,
    quiet_after: float,
) -> AsyncGenerator[WatchEvent | _StreamEnded | _Expired | Quiet, None]:
    """Runs the blocking watch on its own thread (a watch holds its thread for its whole life)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[WatchEvent | _StreamEnded | _Expired | KubeError] = asyncio.Queue()
    abandoned = threading.Event()

    def pump() -> None:
        try:
            for event in client.watch_pods(
                namespace, label_selector, resource_version, timeout_seconds=WATCH_TIMEOUT_SECONDS
            ):
                if abandoned.is_set():
                    return
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
    try:
        while True:
            try:
                # Not wait_for: on Python 3.11 it can swallow a cancellation that races the item.
                async with asyncio.timeout(quiet_after):
                    item = await queue.get()
            except TimeoutError:
                yield Quiet()
                continue
            if isinstance(item, KubeError):
                raise item
            yield item
            if isinstance(item, _StreamEnded | _Expired):
                return
    finally:
        # The thread stays blocked in its read until the next event or the watch's timeout.
        abandoned.set()
