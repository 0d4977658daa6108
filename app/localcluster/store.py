"""In-memory object store: one global resourceVersion, a bounded change history and watch fan-out.

Stored objects are treated as immutable snapshots: writers always hand over a fresh dict, readers
must copy before changing anything. All methods run on the server's event loop.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.localcluster.errors import already_exists, expired, not_found
from app.localcluster.selectors import FieldSelector, LabelSelector

Object = dict[str, Any]
Key = tuple[str, str]


@dataclass(frozen=True)
class Change:
    type: str
    resource: str
    obj: Object
    previous: Object | None
    rv: int


@dataclass(frozen=True)
class WatchEvent:
    type: str
    obj: Object


def key_of(obj: Object) -> Key:
    metadata = obj["metadata"]
    return (metadata.get("namespace") or "", metadata["name"])


class Watcher:
    """One open watch: filters changes into a queue, `None` marks the end of the stream."""

    def __init__(
        self,
        resource: str,
        namespace: str | None,
        labels: LabelSelector,
        fields: FieldSelector,
        max_backlog: int,
    ) -> None:
        self.resource = resource
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
        self.max_backlog = max_backlog
        self.queue: asyncio.Queue[WatchEvent | None] = asyncio.Queue()
        self.closed = False

    def selects(self, obj: Object | None) -> bool:
        if obj is None:
            return False
        if self.namespace is not None and obj["metadata"].get("namespace") != self.namespace:
            return False
        return self.labels.matches(obj["metadata"].get("labels")) and self.fields.matches(obj)

    def offer(self, change: Change) -> None:
        if self.closed or change.resource != self.resource:
            return
        event = self._translate(change)
        if event is None:
            return
        if self.queue.qsize() >= self.max_backlog:
            # The real apiserver also terminates watchers that cannot keep up.
            self.close()
            return
        self.queue.put_nowait(event)

    def _translate(self, change: Change) -> WatchEvent | None:
        now = self.selects(change.obj)
        before = self.selects(change.previous)
        if change.type == "ADDED":
            return WatchEvent("ADDED", change.obj) if now else None
        if change.type == "DELETED":
            return WatchEvent("DELETED", change.obj) if now else None
        if now and before:
            return WatchEvent("MODIFIED", change.obj)
        if now:
            return WatchEvent("ADDED", change.obj)
        if before:
            return WatchEvent("DELETED", change.obj)
        return None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.queue.put_nowait(None)


class Store:
    def __init__(self, history_size: int = 1000, max_watch_backlog: int = 10_000) -> None:
        self._objects: dict[str, dict[Key, Object]] = {}
        self._rv = 0
        self._history: deque[Change] = deque()
        self._history_size = history_size
        self._compacted_rv = 0
        self._watchers: set[Watcher] = set()
        self._max_watch_backlog = max_watch_backlog

    @property
    def resource_version(self) -> int:
        return self._rv

    def get(self, resource: str, namespace: str, name: str) -> Object | None:
        return self._objects.get(resource, {}).get((namespace, name))

    def require(self, resource: str, namespace: str, name: str) -> Object:
        obj = self.get(resource, namespace, name)
        if obj is None:
            raise not_found(resource, name)
        return obj

    def items(self, resource: str, namespace: str | None = None) -> list[Object]:
        objects = self._objects.get(resource, {})
        if namespace is None:
            return list(objects.values())
        return [obj for (ns, _), obj in objects.items() if ns == namespace]

    def count(self, resource: str) -> int:
        return len(self._objects.get(resource, {}))

    def oldest(self, resource: str) -> Object | None:
        return next(iter(self._objects.get(resource, {}).values()), None)

    def select(
        self,
        resource: str,
        namespace: str | None,
        labels: LabelSelector,
        fields: FieldSelector,
    ) -> tuple[list[Object], int]:
        selected = [
            obj
            for obj in self.items(resource, namespace)
            if labels.matches(obj["metadata"].get("labels")) and fields.matches(obj)
        ]
        return selected, self._rv

    def create(self, resource: str, obj: Object) -> Object:
        objects = self._objects.setdefault(resource, {})
        key = key_of(obj)
        if key in objects:
            raise already_exists(resource, key[1])
        stored = self._stamp(obj)
        objects[key] = stored
        self._record(Change("ADDED", resource, stored, None, self._rv))
        return stored

    def update(self, resource: str, obj: Object) -> Object:
        objects = self._objects.setdefault(resource, {})
        key = key_of(obj)
        previous = objects.get(key)
        if previous is None:
            raise not_found(resource, key[1])
        stored = self._stamp(obj)
        objects[key] = stored
        self._record(Change("MODIFIED", resource, stored, previous, self._rv))
        return stored

    def delete(self, resource: str, namespace: str, name: str) -> Object:
        objects = self._objects.get(resource, {})
        previous = objects.pop((namespace, name), None)
        if previous is None:
            raise not_found(resource, name)
        # DELETED carries the last state at the deletion revision.
        final = self._stamp(dict(previous))
        self._record(Change("DELETED", resource, final, previous, self._rv))
        return final

    def watch(
        self,
        resource: str,
        namespace: str | None,
        labels: LabelSelector,
        fields: FieldSelector,
        since_rv: int | None,
    ) -> tuple[Watcher, list[WatchEvent]]:
        """Registers a watcher; returns it with the events to send before live ones.

        `since_rv=None` starts with synthetic ADDED events for the current state; otherwise the
        history after `since_rv` is replayed, or 410 Expired if part of it was compacted away.
        """
        watcher = Watcher(resource, namespace, labels, fields, self._max_watch_backlog)
        if since_rv is None:
            backlog = [
                WatchEvent("ADDED", obj)
                for obj in self.items(resource, namespace)
                if watcher.selects(obj)
            ]
        else:
            if since_rv < self._compacted_rv:
                raise expired(since_rv, self._compacted_rv + 1)
            backlog = []
            for change in self._history:
                if change.rv > since_rv and change.resource == resource:
                    event = watcher._translate(change)
                    if event is not None:
                        backlog.append(event)
        self._watchers.add(watcher)
        return watcher, backlog

    def unwatch(self, watcher: Watcher) -> None:
        watcher.closed = True
        self._watchers.discard(watcher)

    def compact(self) -> None:
        """Forgets all history, so any explicit resourceVersion older than now gets 410 Expired."""
        self._history.clear()
        self._compacted_rv = self._rv

    def drop_watches(self) -> None:
        for watcher in list(self._watchers):
            watcher.close()
        self._watchers.clear()

    @property
    def watcher_count(self) -> int:
        return len(self._watchers)

    def _stamp(self, obj: Object) -> Object:
        self._rv += 1
        obj["metadata"] = {**obj["metadata"], "resourceVersion": str(self._rv)}
        return obj

    def _record(self, change: Change) -> None:
        if len(self._history) >= self._history_size:
            self._compacted_rv = self._history.popleft().rv
        self._history.append(change)
        for watcher in list(self._watchers):
            watcher.offer(change)
            if watcher.closed:
                self._watchers.discard(watcher)


def strip_type_meta(objects: Iterable[Object]) -> list[Object]:
    """List items carry no kind/apiVersion."""
    return [{k: v for k, v in obj.items() if k not in ("kind", "apiVersion")} for obj in objects]
