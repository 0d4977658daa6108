"""The local cluster's parts wired together: store, registry, kubelet and faults."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.localcluster.faults import Faults
from app.localcluster.kubelet import Kubelet, KubeletTimings, Node
from app.localcluster.logs import DEFAULT_LOG_LIMIT
from app.localcluster.nodes import kubernetes_service, node_object
from app.localcluster.registry import Registry
from app.localcluster.resources import NODES, SERVICES
from app.localcluster.store import Store


class Cluster:
    """Everything but HTTP. Not thread-safe except `faults`: use it on the serving event loop."""

    def __init__(
        self,
        image_commands: Mapping[str, Sequence[str]] | None = None,
        *,
        node: Node | None = None,
        timings: KubeletTimings | None = None,
        history_size: int = 1000,
        max_events: int = 5000,
        log_limit: int = DEFAULT_LOG_LIMIT,
        namespaces: Sequence[str] = (),
    ) -> None:
        """`namespaces` exist from the start, beside those every cluster has."""
        node = node or Node()
        self.store = Store(history_size=history_size)
        self.registry = Registry(self.store, max_events=max_events, namespaces=namespaces)
        self.kubelet = Kubelet(
            self.registry,
            node,
            dict(image_commands or {}),
            timings or KubeletTimings(),
            log_limit,
        )
        self.registry.lifecycle = self.kubelet
        self.store.create(NODES.name, node_object(node))
        self.store.create(SERVICES.name, kubernetes_service())
        self.faults = Faults()

    def compact(self) -> None:
        """Expires the watch history: watches from any older resourceVersion get 410 Expired."""
        self.store.compact()

    def drop_watches(self) -> None:
        """Ends every open watch stream cleanly, as an apiserver restart would."""
        self.store.drop_watches()

    async def shutdown(self) -> None:
        await self.kubelet.shutdown()
        await self.registry.close()
        self.store.drop_watches()
