"""HTTP face of the local cluster: the Kubernetes API paths Patrol and kubectl use."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import structlog
import yaml
from litestar import Litestar, Request, Response, get, post, route
from litestar.enums import HttpMethod, ScopeType
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import Stream
from litestar.types import ASGIApp, Receive, Scope, Send

from app.localcluster.auth import Authenticator, with_authentication
from app.localcluster.cluster import Cluster
from app.localcluster.errors import ApiError, bad_request, invalid, status_body, success_status
from app.localcluster.exec import serve_websocket, unsupported_streaming
from app.localcluster.fault_requests import apply_fault_request, parse_fault_request
from app.localcluster.faults import fault_headers, fault_status
from app.localcluster.kubelet import PodWorker
from app.localcluster.logs import LogBuffer
from app.localcluster.nodes import KUBELET_VERSION
from app.localcluster.openapi import unknown_fields, v2_document, v3_document, v3_root
from app.localcluster.protobuf import PROTOBUF, decode_object
from app.localcluster.registry import DeleteOptions
from app.localcluster.resources import (
    API_RESOURCE_LIST,
    EVENTS,
    NAMESPACES,
    PODS,
    READ_ONLY,
    RESOURCES,
    Resource,
)
from app.localcluster.selectors import parse_field_selector, parse_label_selector
from app.localcluster.store import Object, WatchEvent, strip_type_meta
from app.localcluster.tables import include_object_policy, table, wants_table

log = structlog.get_logger(__name__)

JSON = "application/json"
YAML_TYPES = ("application/yaml", "application/x-yaml")
ADMIN_PREFIX = "/_local"

VERSION_INFO = {
    "major": "1",
    "minor": "37",
    "gitVersion": KUBELET_VERSION,
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.25.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def _json(body: Any, status: int = 200, warnings: list[str] | None = None) -> Response[bytes]:
    headers = (
        {"Warning": ", ".join('299 - "{}"'.format(text.replace('"', '\\"')) for text in warnings)}
        if warnings
        else None
    )
    return Response(
        content=json.dumps(body).encode(), status_code=status, media_type=JSON, headers=headers
    )


def _validate_fields(resource: Resource, body: Object, query: dict[str, str]) -> list[str]:
    """`fieldValidation`: Strict refuses unknown fields, Warn reports them, Ignore (or none)
    drops them silently, as the apiserver's decoder does."""
    mode = query.get("fieldValidation") or "Ignore"
    if mode not in ("Ignore", "Warn", "Strict"):
        raise bad_request(
            f'fieldValidation parameter unsupported: "{mode}" (Ignore, Warn and Strict are)'
        )
    if mode == "Ignore":
        return []
    unknown = [f'unknown field "{path}"' for path in unknown_fields(body, resource.kind)]
    if unknown and mode == "Strict":
        raise bad_request("strict decoding error: " + ", ".join(unknown))
    return unknown


def _validate_patch_fields(
    resource: Resource, content_type: str, raw: bytes, query: dict[str, str]
) -> list[str]:
    if "json-patch" in content_type:
        return []  # operations, not an object: checked by what they produce
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return []  # the patch itself answers the malformed body
    return _validate_fields(resource, body, query) if isinstance(body, dict) else []


def _error(error: ApiError) -> Response[bytes]:
    return _json(error.to_status(), error.code)


def _is_true(value: str | None) -> bool:
    # Any value but "0"/"false" turns a boolean query flag on, including a bare `?watch`.
    return value is not None and value.lower() not in ("0", "false")


def _int_param(query: dict[str, str], name: str) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise bad_request(f"invalid value for {name}: {value!r}") from None


def _query(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {key: request.query_params.get(key) for key in request.query_params}  # type: ignore[misc]


async def _json_body(request: Request[Any, Any, Any]) -> Object:
    media_type = request.headers.get("content-type", JSON).split(";")[0].strip().lower()
    if media_type == PROTOBUF:
        return decode_object(await request.body())
    if media_type not in ("", JSON, *YAML_TYPES):
        # client-go sends protobuf for built-in kinds when it may; on 415 it retries in JSON.
        raise ApiError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json, application/yaml",
        )
    raw = await request.body()
    try:
        body = (
            yaml.safe_load(raw or b"null")
            if media_type in YAML_TYPES
            else json.loads(raw or b"null")
        )
    except (ValueError, RecursionError, yaml.YAMLError):
        raise bad_request("the body of the request could not be decoded as JSON") from None
    if not isinstance(body, dict):
        raise bad_request("the body of the request must be a JSON object")
    return body


class ApiHandlers:
    """Translates parsed requests into registry calls; one method per verb."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.registry = cluster.registry
        self.store = cluster.store

    async def dispatch(self, request: Request[Any, Any, Any], path: str) -> Response[Any]:
        parts = [part for part in path.split("/") if part]
        namespace: str | None = None
        if len(parts) >= 3 and parts[0] == "namespaces":
            namespace, parts = parts[1], parts[2:]
        if not parts or parts[0] not in RESOURCES:
            raise not_found_path()
        resource = RESOURCES[parts[0]]
        name = parts[1] if len(parts) > 1 else None
        subresource = parts[2] if len(parts) > 2 else None
        if len(parts) > 3 or (namespace is not None and not resource.namespaced):
            raise not_found_path()
        if namespace is None and resource.namespaced and name is not None:
            raise not_found_path()
        method = request.method
        query = _query(request)
        if resource.name in READ_ONLY and method != HttpMethod.GET:
            raise method_not_allowed(method)
        if subresource is not None:
            return await self._subresource(
                request, resource, namespace or "", name or "", subresource, query
            )
        if name is None:
            if method == HttpMethod.GET:
                return self._list_or_watch(request, resource, namespace, query)
            if method == HttpMethod.POST:
                body = await _json_body(request)
                warnings = _validate_fields(resource, body, query)
                created = self.registry.create(resource, namespace or "", body)
                return _json(created, 201, warnings)
            if method == HttpMethod.DELETE and resource.namespaced:
                return self._delete_collection(resource, namespace, query, await request.body())
            raise method_not_allowed(method)
        ns = namespace or ""
        if method == HttpMethod.GET:
            found = self.registry.get(resource, ns, name)
            if wants_table(request.headers.get("accept", "")):
                return _json(
                    table(
                        resource,
                        [found],
                        found["metadata"]["resourceVersion"],
                        include_object=include_object_policy(query),
                    )
                )
            return _json(found)
        if method == HttpMethod.PUT:
            body = await _json_body(request)
            warnings = _validate_fields(resource, body, query)
            return _json(self.registry.replace(resource, ns, name, body), 200, warnings)
        if method == HttpMethod.PATCH:
            content_type = request.headers.get("content-type", "")
            raw = await request.body()
            warnings = _validate_patch_fields(resource, content_type, raw, query)
            return _json(self.registry.patch(resource, ns, name, content_type, raw), 200, warnings)
        if method == HttpMethod.DELETE:
            options = DeleteOptions.parse(query, await request.body())
            deleted = self.registry.delete(resource, ns, name, options)
            if resource is EVENTS:
                return _json(
                    success_status(
                        {"name": name, "kind": resource.name, "uid": deleted["metadata"]["uid"]}
                    )
                )
            return _json(deleted)
        raise method_not_allowed(method)

    async def _subresource(
        self,
        request: Request[Any, Any, Any],
        resource: Resource,
        namespace: str,
        name: str,
        subresource: str,
        query: dict[str, str],
    ) -> Response[Any]:
        method = request.method
        if resource is PODS and subresource == "status":
            if method == HttpMethod.GET:
                return _json(self.registry.get(resource, namespace, name))
            if method == HttpMethod.PUT:
                body = await _json_body(request)
                return _json(self.registry.replace(resource, namespace, name, body, "status"))
            if method == HttpMethod.PATCH:
                content_type = request.headers.get("content-type", "")
                return _json(
                    self.registry.patch(
                        resource, namespace, name, content_type, await request.body(), "status"
                    )
                )
            raise method_not_allowed(method)
        if resource is PODS and subresource == "log" and method == HttpMethod.GET:
            return self._pod_log(namespace, name, query)
        if resource is PODS and subresource in ("exec", "attach", "portforward"):
            # A streaming request that did not upgrade to a websocket (SPDY, which kubectl falls
            # back to, included): the local cluster speaks the websocket channel protocol only.
            raise bad_request(unsupported_streaming(subresource))
        raise not_found_path()

    def _list_or_watch(
        self,
        request: Request[Any, Any, Any],
        resource: Resource,
        namespace: str | None,
        query: dict[str, str],
    ) -> Response[Any]:
        labels = parse_label_selector(query.get("labelSelector"))
        fields = parse_field_selector(query.get("fieldSelector"), resource.name)
        as_table = wants_table(request.headers.get("accept", ""))
        if "watch" in query and _is_true(query["watch"]):
            return self._watch(resource, namespace, query, labels, fields, as_table=as_table)
        if (
            namespace is not None
            and resource.namespaced
            and self.store.get(NAMESPACES.name, "", namespace) is None
        ):
            items: list[Object] = []
            rv = self.store.resource_version
        else:
            items, rv = self.store.select(resource.name, namespace, labels, fields)
        if as_table:
            return _json(
                table(resource, items, str(rv), include_object=include_object_policy(query))
            )
        return _json(
            {
                "kind": resource.list_kind,
                "apiVersion": "v1",
                "metadata": {"resourceVersion": str(rv)},
                "items": strip_type_meta(items),
            }
        )

    def _watch(
        self,
        resource: Resource,
        namespace: str | None,
        query: dict[str, str],
        labels: Any,
        fields: Any,
        *,
        as_table: bool,
    ) -> Response[Any]:
        timeout = _int_param(query, "timeoutSeconds")
        include_object = include_object_policy(query)
        if timeout is None:
            timeout = random.randint(1800, 3600)
        bookmarks = (
            _is_true(query.get("allowWatchBookmarks")) if "allowWatchBookmarks" in query else False
        )
        raw_rv = query.get("resourceVersion") or ""
        initial_events = (
            _is_true(query.get("sendInitialEvents")) if "sendInitialEvents" in query else False
        )
        if initial_events and query.get("resourceVersionMatch") != "NotOlderThan":
            raise invalid(
                "ListOptions",
                "",
                [
                    (
                        "FieldValueForbidden",
                        "resourceVersionMatch",
                        "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                    )
                ],
            )
        if raw_rv in ("", "0"):
            since: int | None = None
        else:
            try:
                since = int(raw_rv)
            except ValueError:
                raise bad_request(f"invalid resource version: {raw_rv}") from None
        if initial_events:
            since = None
        try:
            watcher, backlog = self.store.watch(resource.name, namespace, labels, fields, since)
        except ApiError as error:
            # Errors after the parameters parse are sent in-band, as the cacher's errWatcher does.
            line = json.dumps({"type": "ERROR", "object": error.to_status()}).encode() + b"\n"
            return Stream(content=_once(line), media_type=JSON)
        store = self.store
        kind = resource.kind
        headers_sent = False

        def encoded(event: WatchEvent) -> bytes:
            nonlocal headers_sent
            if not as_table or event.type not in ("ADDED", "MODIFIED", "DELETED"):
                return _watch_line(event)
            rows = table(
                resource,
                [event.obj],
                event.obj["metadata"]["resourceVersion"],
                include_object=include_object,
                headers=not headers_sent,
            )
            headers_sent = True
            return _event_line(event.type, rows)

        def bookmark(annotations: dict[str, str] | None = None) -> bytes:
            metadata: Object = {"resourceVersion": str(store.resource_version)}
            if annotations:
                metadata["annotations"] = annotations
            return _event_line("BOOKMARK", {"kind": kind, "apiVersion": "v1", "metadata": metadata})

        async def events() -> AsyncIterator[bytes]:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            try:
                for event in backlog:
                    yield encoded(event)
                if initial_events:
                    yield bookmark({"k8s.io/initial-events-end": "true"})
                while True:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        if bookmarks:
                            yield bookmark()
                        return
                    try:
                        live = await asyncio.wait_for(watcher.queue.get(), remaining)
                    except TimeoutError:
                        continue
                    if live is None:
                        return
                    yield encoded(live)
            finally:
                store.unwatch(watcher)

        return Stream(content=events(), media_type=JSON)

    def _delete_collection(
        self, resource: Resource, namespace: str | None, query: dict[str, str], body: bytes
    ) -> Response[bytes]:
        labels = parse_label_selector(query.get("labelSelector"))
        fields = parse_field_selector(query.get("fieldSelector"), resource.name)
        options = DeleteOptions.parse(query, body)
        items, _ = self.store.select(resource.name, namespace, labels, fields)
        deleted = [
            self.registry.delete(
                resource, obj["metadata"]["namespace"], obj["metadata"]["name"], options
            )
            for obj in items
        ]
        return _json(
            {
                "kind": resource.list_kind,
                "apiVersion": "v1",
                "metadata": {"resourceVersion": str(self.store.resource_version)},
                "items": strip_type_meta(deleted),
            }
        )

    def _pod_log(self, namespace: str, name: str, query: dict[str, str]) -> Response[Any]:
        pod = self.registry.get(PODS, namespace, name)
        tail_lines = _int_param(query, "tailLines")
        limit_bytes = _int_param(query, "limitBytes")
        since_seconds = _int_param(query, "sinceSeconds")
        causes: list[tuple[str, str, str]] = []
        if tail_lines is not None and tail_lines < 0:
            causes.append(
                (
                    "FieldValueInvalid",
                    "tailLines",
                    f"Invalid value: {tail_lines}: must be greater than or equal to 0",
                )
            )
        if limit_bytes is not None and limit_bytes < 1:
            causes.append(
                (
                    "FieldValueInvalid",
                    "limitBytes",
                    f"Invalid value: {limit_bytes}: must be greater than 0",
                )
            )
        if since_seconds is not None and since_seconds < 1:
            causes.append(
                (
                    "FieldValueInvalid",
                    "sinceSeconds",
                    f"Invalid value: {since_seconds}: must be greater than 0",
                )
            )
        if since_seconds is not None and query.get("sinceTime"):
            causes.append(
                (
                    "FieldValueForbidden",
                    "",
                    "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
                )
            )
        if causes:
            raise invalid("PodLogOptions", name, causes)
        names = [c["name"] for c in pod["spec"]["containers"]]
        init_names = [c["name"] for c in pod["spec"].get("initContainers") or []]
        container = query.get("container") or None
        if container is None:
            if len(names) > 1:
                choice = f"choose one of: [{' '.join(names)}]"
                if init_names:
                    choice += f" or one of the init containers: [{' '.join(init_names)}]"
                raise bad_request(f"a container name must be specified for pod {name}, {choice}")
            container = names[0]
        elif container not in names + init_names:
            raise bad_request(f"container {container} is not valid for pod {name}")
        if not pod["spec"].get("nodeName"):
            return Response(content=b"", status_code=204, media_type="text/plain")
        worker = self.cluster.kubelet.worker_for(pod)
        buffer = _log_buffer(
            worker,
            container,
            name,
            _is_true(query.get("previous")) if "previous" in query else False,
        )
        if _is_true(query.get("follow")) if "follow" in query else False:
            return Stream(content=_follow(buffer, tail_lines, limit_bytes), media_type="text/plain")
        return Response(content=buffer.snapshot(tail_lines, limit_bytes), media_type="text/plain")


def _log_buffer(
    worker: PodWorker | None, container: str, pod_name: str, previous: bool
) -> LogBuffer:
    runner = None if worker is None else worker.runner(container)
    if runner is None:
        raise bad_request(
            f'container "{container}" in pod "{pod_name}" is waiting to start: ContainerCreating'
        )
    if previous:
        if runner.previous_log is None:
            raise bad_request(
                f'previous terminated container "{container}" in pod "{pod_name}" not found'
            )
        return runner.previous_log
    waiting = runner.waiting_reason()
    if waiting == "CrashLoopBackOff" and runner.previous_log is not None:
        return runner.previous_log
    if waiting is not None:
        detail = {
            "ErrImagePull": "image can't be pulled",
            "ImagePullBackOff": "trying and failing to pull image",
        }.get(waiting, waiting)
        raise bad_request(
            f'container "{container}" in pod "{pod_name}" is waiting to start: {detail}'
        )
    return runner.log


async def _follow(
    buffer: LogBuffer, tail_lines: int | None, limit_bytes: int | None
) -> AsyncIterator[bytes]:
    first = buffer.snapshot(tail_lines, limit_bytes)
    sent = len(first)
    offset = buffer.end_offset
    if first:
        yield first
    while not buffer.closed and (limit_bytes is None or sent < limit_bytes):
        await buffer.wait_for_change()
        chunk = buffer.read_from(offset)
        offset = buffer.end_offset
        if limit_bytes is not None:
            chunk = chunk[: limit_bytes - sent]
        if chunk:
            sent += len(chunk)
            yield chunk


async def _once(line: bytes) -> AsyncIterator[bytes]:
    yield line


def _event_line(type_: str, obj: Object) -> bytes:
    return json.dumps({"type": type_, "object": obj}).encode() + b"\n"


def _watch_line(event: WatchEvent) -> bytes:
    return _event_line(event.type, event.obj)


def not_found_path() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def method_not_allowed(method: str) -> ApiError:
    return ApiError(
        405,
        "MethodNotAllowed",
        f"the server does not allow this method on the requested resource ({method})",
        {},
    )


def faults_middleware(cluster: Cluster, authenticator: Authenticator) -> Any:
    """Injected faults hit authenticated requests only: an anonymous health probe must not use up
    a fault meant for an API client."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if (
                scope["type"] == ScopeType.HTTP
                and not scope["path"].startswith(ADMIN_PREFIX)
                and authenticator.accepts(scope)
            ):
                decision = cluster.faults.take(scope["path"], scope["method"])
                if decision.delay:
                    await asyncio.sleep(decision.delay)
                if decision.status is not None:
                    body = json.dumps(fault_status(decision.status)).encode()
                    response = Response(
                        content=body,
                        status_code=decision.status,
                        media_type=JSON,
                        headers=fault_headers(decision.status),
                    )
                    asgi_response = response.to_asgi_response(app=None, request=Request(scope))
                    await asgi_response(scope, receive, send)
                    return
            await app(scope, receive, send)

        return middleware

    return factory


def create_local_cluster_app(cluster: Cluster, *, token: str) -> ASGIApp:
    """The API server; every request but the public-info endpoints needs `token` (see auth.py)."""
    handlers = ApiHandlers(cluster)
    authenticator = Authenticator(token)

    @route(
        "/api/v1/{path:path}",
        http_method=["GET", "POST", "PUT", "PATCH", "DELETE"],
        status_code=200,
    )
    async def core_v1(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[Any]:
        try:
            return await handlers.dispatch(request, path)
        except ApiError as error:
            return _error(error)
        except Exception as error:
            log.exception("local cluster request failed", path=request.url.path)
            return _json(
                status_body(500, "InternalError", f"Internal error occurred: {error}"), 500
            )

    @get("/api", sync_to_thread=False)
    def api_versions(request: Request[Any, Any, Any]) -> Response[bytes]:
        host = request.headers.get("host", "127.0.0.1")
        return _json(
            {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}],
            }
        )

    @get("/apis", sync_to_thread=False)
    def api_groups() -> Response[bytes]:
        return _json({"kind": "APIGroupList", "apiVersion": "v1", "groups": []})

    @get("/api/v1", sync_to_thread=False)
    def core_resources() -> Response[bytes]:
        return _json(API_RESOURCE_LIST)

    @get("/openapi/v3", sync_to_thread=False)
    def openapi_v3_root() -> Response[bytes]:
        return _json(v3_root())

    @get("/openapi/v3/api/v1", sync_to_thread=False)
    def openapi_v3_core() -> Response[bytes]:
        return Response(content=v3_document(), media_type=JSON)

    @get("/openapi/v2", sync_to_thread=False)
    def openapi_v2(request: Request[Any, Any, Any]) -> Response[bytes]:
        if "json" not in request.headers.get("accept", JSON) and "*/*" not in request.headers.get(
            "accept", ""
        ):
            # Only JSON is served: a protobuf-only client is told so, as a server would.
            return _error(
                ApiError(406, "NotAcceptable", "only application/json is served for /openapi/v2")
            )
        return _json(v2_document())

    @get("/version", sync_to_thread=False)
    def version() -> Response[bytes]:
        return _json(VERSION_INFO)

    @get(["/healthz", "/readyz", "/livez"], media_type="text/plain", sync_to_thread=False)
    def health() -> str:
        return "ok"

    @post(f"{ADMIN_PREFIX}/faults", status_code=200)
    async def steer_faults(request: Request[Any, Any, Any]) -> Response[bytes]:
        """Non-Kubernetes admin endpoint: steers a cluster running in another process."""
        try:
            body = await _json_body(request)
            fault_request = parse_fault_request(body)
        except ApiError as error:
            return _error(error)
        apply_fault_request(cluster, fault_request)
        return _json({"ok": True, "action": body["action"]})

    def not_found_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
        if exc.status_code == 405:
            return _error(method_not_allowed(request.method))
        if exc.status_code == 404:
            return _error(not_found_path())
        return _json(status_body(exc.status_code, "BadRequest", str(exc.detail)), exc.status_code)

    app = Litestar(
        route_handlers=[
            core_v1,
            api_versions,
            api_groups,
            core_resources,
            version,
            openapi_v3_root,
            openapi_v3_core,
            openapi_v2,
            health,
            steer_faults,
        ],
        middleware=[faults_middleware(cluster, authenticator)],
        exception_handlers={HTTPException: not_found_handler},
        openapi_config=None,
        logging_config=None,
    )

    async def serving(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.WEBSOCKET:
            await serve_websocket(cluster, scope, receive, send)
        else:
            await app(scope, receive, send)

    return with_authentication(serving, authenticator)
