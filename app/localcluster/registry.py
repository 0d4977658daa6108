"""Verb semantics on top of the store: what the apiserver does on each write."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from app.localcluster import meta
from app.localcluster.errors import ApiError, bad_request, conflict, forbidden, invalid, not_found
from app.localcluster.patch import apply_patch
from app.localcluster.resources import EVENTS, NAMESPACES, PODS, Resource
from app.localcluster.store import Object, Store
from app.localcluster.validation import (
    default_namespace,
    default_pod,
    validate_name,
    validate_pod,
    validate_pod_spec_update,
)

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_GENERATE_NAME_ATTEMPTS = 8


class PodLifecycle(Protocol):
    """Implemented by the kubelet: told about pods it must run or stop."""

    def pod_created(self, pod: Object) -> None: ...

    def pod_deletion_requested(self, pod: Object) -> None: ...

    def pod_removed(self, pod: Object) -> None: ...


@dataclass(frozen=True)
class DeleteOptions:
    grace_period_seconds: int | None = None
    precondition_uid: str | None = None
    precondition_resource_version: str | None = None

    @classmethod
    def parse(cls, query: dict[str, str], body: bytes) -> DeleteOptions:
        options: dict[str, Any] = {}
        if body.strip():
            try:
                options = json.loads(body)
            except ValueError:
                raise bad_request("invalid DeleteOptions body") from None
        grace = query.get("gracePeriodSeconds", options.get("gracePeriodSeconds"))
        preconditions = options.get("preconditions") or {}
        try:
            grace_seconds = None if grace is None else int(grace)
        except ValueError:
            raise bad_request(f"invalid gracePeriodSeconds: {grace}") from None
        return cls(grace_seconds, preconditions.get("uid"), preconditions.get("resourceVersion"))


class Registry:
    def __init__(
        self, store: Store, max_events: int = 5000, namespaces: Sequence[str] = ()
    ) -> None:
        self.store = store
        self.max_events = max_events
        self.lifecycle: PodLifecycle | None = None
        self._background: set[asyncio.Task[None]] = set()
        for name in dict.fromkeys((*DEFAULT_NAMESPACES, *namespaces)):
            self.create(NAMESPACES, "", {"metadata": {"name": name}})

    def create(self, resource: Resource, namespace: str, body: Object) -> Object:
        obj = copy.deepcopy(body)
        if not isinstance(obj, dict):
            raise bad_request("the body of the request must be a JSON object")
        metadata = obj.setdefault("metadata", {})
        if not isinstance(metadata, dict):
            raise bad_request("metadata must be an object")
        obj["kind"] = resource.kind
        obj["apiVersion"] = "v1"
        if resource.namespaced:
            self._fill_namespace(metadata, namespace)
            self._require_active_namespace(namespace)
        else:
            metadata.pop("namespace", None)
        for field in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"):
            metadata.pop(field, None)
        generate_name = str(metadata.get("generateName") or "")
        if not metadata.get("name") and not generate_name:
            raise invalid(
                resource.kind,
                "",
                [("FieldValueRequired", "metadata.name", "name or generateName is required")],
            )
        metadata["uid"] = meta.new_uid()
        metadata["creationTimestamp"] = meta.now_rfc3339()
        if resource is PODS:
            metadata["generation"] = 1
        attempts = _GENERATE_NAME_ATTEMPTS if not metadata.get("name") else 1
        for _ in range(attempts):
            candidate = copy.deepcopy(obj)
            if not metadata.get("name"):
                candidate["metadata"]["name"] = meta.generated_name(generate_name)
            self._prepare_for_create(resource, candidate)
            try:
                created = self.store.create(resource.name, candidate)
            except ApiError as error:
                if error.code == 409 and attempts > 1:
                    continue
                raise
            self._after_create(resource, created)
            return created
        raise ApiError(
            409,
            "AlreadyExists",
            f'{resource.name} "{generate_name}" already exists, the server was not able to generate a unique name for the object',
            {"name": generate_name, "kind": resource.name},
        )

    def get(self, resource: Resource, namespace: str, name: str) -> Object:
        return self.store.require(resource.name, namespace, name)

    def replace(
        self,
        resource: Resource,
        namespace: str,
        name: str,
        body: Object,
        subresource: str | None = None,
    ) -> Object:
        current = self.get(resource, namespace, name)
        if not isinstance(body, dict) or not isinstance(body.get("metadata", {}), dict):
            raise bad_request("the body of the request must be a JSON object")
        new = copy.deepcopy(body)
        metadata = new.setdefault("metadata", {})
        if metadata.get("name", name) != name:
            raise bad_request("the name of the object does not match the name on the URL")
        if resource.namespaced:
            self._fill_namespace(metadata, namespace)
        requested_rv = metadata.get("resourceVersion")
        if requested_rv and requested_rv != current["metadata"]["resourceVersion"]:
            raise conflict(resource.name, name)
        merged = self._merge_update(resource, current, new, subresource)
        return self.store.update(resource.name, merged)

    def patch(
        self,
        resource: Resource,
        namespace: str,
        name: str,
        content_type: str,
        body: bytes,
        subresource: str | None = None,
    ) -> Object:
        current = self.get(resource, namespace, name)
        patched = apply_patch(content_type, current, body)
        return self.replace(resource, namespace, name, patched, subresource)

    def delete(
        self, resource: Resource, namespace: str, name: str, options: DeleteOptions
    ) -> Object:
        current = self.get(resource, namespace, name)
        if options.precondition_uid and options.precondition_uid != current["metadata"]["uid"]:
            raise conflict(
                resource.name,
                name,
                f"Precondition failed: UID in precondition: {options.precondition_uid}, UID in object meta: {current['metadata']['uid']}",
            )
        if (
            options.precondition_resource_version
            and options.precondition_resource_version != current["metadata"]["resourceVersion"]
        ):
            raise conflict(
                resource.name,
                name,
                f"Precondition failed: ResourceVersion in precondition: {options.precondition_resource_version}, "
                f"ResourceVersion in object meta: {current['metadata']['resourceVersion']}",
            )
        if resource is PODS:
            return self._delete_pod(current, options)
        if resource is NAMESPACES:
            return self._delete_namespace(current)
        return self.store.delete(resource.name, namespace, name)

    def update_pod_status(
        self, namespace: str, name: str, status: Object, spec_node_name: str | None = None
    ) -> Object | None:
        """Writes status (and the binding's nodeName) on behalf of the kubelet/scheduler."""
        current = self.store.get(PODS.name, namespace, name)
        if current is None:
            return None
        updated = {**current, "status": status}
        if spec_node_name is not None:
            updated["spec"] = {**current["spec"], "nodeName": spec_node_name}
        return self.store.update(PODS.name, updated)

    def finish_pod_deletion(self, namespace: str, name: str) -> None:
        """The kubelet's final grace-0 delete once containers have stopped."""
        if self.store.get(PODS.name, namespace, name) is not None:
            self.store.delete(PODS.name, namespace, name)

    def record_event(self, event: Object) -> Object:
        return self.create(EVENTS, event["metadata"]["namespace"], event)

    def _fill_namespace(self, metadata: Object, namespace: str) -> None:
        body_namespace = metadata.get("namespace")
        if body_namespace and body_namespace != namespace:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        metadata["namespace"] = namespace

    def _require_active_namespace(self, namespace: str) -> None:
        existing = self.store.get(NAMESPACES.name, "", namespace)
        if existing is None:
            raise not_found("namespaces", namespace)
        if existing.get("status", {}).get("phase") == "Terminating":
            raise forbidden(
                f"unable to create new content in namespace {namespace} because it is being terminated"
            )

    def _prepare_for_create(self, resource: Resource, obj: Object) -> None:
        if resource is PODS:
            validate_pod(obj)
            default_pod(obj)
        elif resource is NAMESPACES:
            validate_name("Namespace", obj["metadata"]["name"], label_only=True)
            default_namespace(obj)
        elif resource is EVENTS and not isinstance(obj.get("involvedObject"), dict):
            raise invalid(
                "Event",
                obj["metadata"]["name"],
                [("FieldValueRequired", "involvedObject", "Required value")],
            )

    def _after_create(self, resource: Resource, created: Object) -> None:
        if resource is PODS and self.lifecycle is not None:
            self.lifecycle.pod_created(created)
        elif resource is EVENTS:
            self._expire_old_events()

    def _expire_old_events(self) -> None:
        # Real clusters expire events after an hour (etcd TTL); a count cap keeps memory flat here.
        while self.store.count(EVENTS.name) > self.max_events:
            oldest = self.store.oldest(EVENTS.name)
            if oldest is None:
                return
            self.store.delete(
                EVENTS.name, oldest["metadata"]["namespace"], oldest["metadata"]["name"]
            )

    def _merge_update(
        self, resource: Resource, current: Object, new: Object, subresource: str | None
    ) -> Object:
        old_meta = current["metadata"]
        metadata = {
            **new["metadata"],
            "name": old_meta["name"],
            "uid": old_meta["uid"],
            "creationTimestamp": old_meta["creationTimestamp"],
            "resourceVersion": old_meta["resourceVersion"],
        }
        if "namespace" in old_meta:
            metadata["namespace"] = old_meta["namespace"]
        for field in ("deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
            if field in old_meta:
                metadata[field] = old_meta[field]
            else:
                metadata.pop(field, None)
        merged = {**new, "kind": resource.kind, "apiVersion": "v1", "metadata": metadata}
        if resource is PODS:
            if subresource == "status":
                merged["spec"] = current["spec"]
                if "ownerReferences" in old_meta:
                    metadata["ownerReferences"] = old_meta["ownerReferences"]
                else:
                    metadata.pop("ownerReferences", None)
                merged.setdefault("status", {})
            else:
                merged["status"] = current["status"]
                new_spec = merged.get("spec") or {}
                validate_pod_spec_update(old_meta["name"], current["spec"], new_spec)
                if new_spec != current["spec"]:
                    metadata["generation"] = old_meta.get("generation", 1) + 1
        elif resource is NAMESPACES:
            merged["status"] = current["status"]
            merged["spec"] = current["spec"]
        return merged

    def _delete_pod(self, pod: Object, options: DeleteOptions) -> Object:
        metadata = pod["metadata"]
        phase = pod.get("status", {}).get("phase")
        grace = options.grace_period_seconds
        if grace is None:
            grace = int(pod["spec"].get("terminationGracePeriodSeconds", 30))
        if (
            not pod["spec"].get("nodeName")
            or phase in ("Succeeded", "Failed")
            or self.lifecycle is None
        ):
            grace = 0
        grace = max(grace, 0)
        pending_grace = metadata.get("deletionGracePeriodSeconds")
        if pending_grace is not None and grace >= pending_grace:
            return pod
        marked = {
            **pod,
            "metadata": {
                **metadata,
                "deletionTimestamp": meta.rfc3339_after(grace),
                "deletionGracePeriodSeconds": grace,
            },
        }
        marked = self.store.update(PODS.name, marked)
        if grace == 0:
            final = self.store.delete(PODS.name, metadata["namespace"], metadata["name"])
            if self.lifecycle is not None:
                self.lifecycle.pod_removed(final)
            return final
        assert self.lifecycle is not None
        self.lifecycle.pod_deletion_requested(marked)
        return marked

    def _delete_namespace(self, namespace: Object) -> Object:
        name = namespace["metadata"]["name"]
        if namespace.get("status", {}).get("phase") == "Terminating":
            raise conflict(
                "namespaces",
                name,
                "The system is ensuring all content is removed from this namespace.  Upon completion, this "
                "namespace will automatically be purged by the system.",
            )
        terminating = {
            **namespace,
            "metadata": {**namespace["metadata"], "deletionTimestamp": meta.now_rfc3339()},
            "status": {"phase": "Terminating"},
        }
        terminating = self.store.update(NAMESPACES.name, terminating)
        task = asyncio.get_running_loop().create_task(self._finalize_namespace(name))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return terminating

    async def _finalize_namespace(self, name: str) -> None:
        for pod in self.store.items(PODS.name, name):
            if self.store.get(PODS.name, name, pod["metadata"]["name"]) is not None:
                self.delete(PODS, name, pod["metadata"]["name"], DeleteOptions())
        while self.store.items(PODS.name, name):
            await asyncio.sleep(0.05)
        for event in self.store.items(EVENTS.name, name):
            self.store.delete(EVENTS.name, name, event["metadata"]["name"])
        if self.store.get(NAMESPACES.name, "", name) is not None:
            self.store.delete(NAMESPACES.name, "", name)

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
