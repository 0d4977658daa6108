"""Kubernetes API access for one cluster: the official (synchronous) client on a thread pool.

Objects travel as plain JSON dicts (camelCase, as the API spells them): responses are read with
`_preload_content=False`, which skips the client's strict model layer and its cost.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import json
import threading
from collections.abc import AsyncGenerator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

from app.adapters.credential_files import CredentialFiles
from app.domain.kubeconfig import parse_kubeconfig
from app.errors import PatrolError
from app.keyring import Keyring, UnreadableSecret
from app.models import Cluster, ConnectionKind

T = TypeVar("T")
REQUEST_TIMEOUT = (5.0, 30.0)  # connect, read (seconds)
# A followed log may be quiet for long: past this, the read times out and the follower decides
# (from the pod) whether to reconnect.
FOLLOW_READ_TIMEOUT = 60.0
FOLLOW_READ_BYTES = 64 * 1024
CONNECTIONS_PER_CLUSTER = 32
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 300.0


class KubeError(Exception):
    """A Kubernetes API call failed; `transient` says whether retrying may help."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        reason: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        # Seconds the API server asked us to wait before trying again (a throttled 429, say).
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.status is None or self.status in TRANSIENT_STATUSES

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def already_exists(self) -> bool:
        return self.status == 409 and self.reason == "AlreadyExists"


class LogStreamBroken(KubeError):
    """A followed log broke off after it was opened; opening it again may carry on."""


@dataclass(frozen=True, slots=True)
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
    object: dict[str, Any]


def _translate(error: Exception) -> KubeError:
    if isinstance(error, ApiException):
        message, reason = error.reason or "", None
        try:
            body = json.loads(error.body or "{}")
            message, reason = body.get("message", message), body.get("reason")
        except (TypeError, ValueError):
            pass
        return KubeError(
            f"{error.status} {message}".strip(),
            status=error.status,
            reason=reason,
            retry_after=_retry_after(error.headers),
        )
    return KubeError(f"{type(error).__name__}: {error}", status=None)


def _retry_after(headers: Any) -> float | None:
    """The Retry-After header in seconds (the form the API server sends); None otherwise."""
    try:
        seconds = float((headers or {}).get("Retry-After", ""))
    except (TypeError, ValueError):
        return None
    return seconds if 0 <= seconds <= MAX_RETRY_AFTER_SECONDS else None


class ClusterConfigError(KubeError):
    """The cluster's stored connection cannot be used (credentials unreadable or invalid). The
    message never quotes the credentials."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=None)

    @property
    def transient(self) -> bool:
        return False


def configuration_for(
    cluster: Cluster, keyring: Keyring, files: CredentialFiles
) -> k8s.Configuration:
    """The client configuration for a cluster; its secrets are decrypted here and nowhere else."""
    configuration = k8s.Configuration()
    # Launches, finalizers and the reaper share one client: keep enough connections for them.
    configuration.connection_pool_maxsize = CONNECTIONS_PER_CLUSTER
    try:
        if cluster.connection_kind is ConnectionKind.IN_CLUSTER:
            k8s_config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        elif cluster.connection_kind is ConnectionKind.KUBECONFIG:
            _load_kubeconfig(cluster, keyring, files, configuration)
        else:
            _load_url_and_token(cluster, keyring, files, configuration)
    except PatrolError as error:
        raise ClusterConfigError(f"cluster {cluster.name}: {error.message}") from None
    except UnreadableSecret as error:
        raise ClusterConfigError(f"cluster {cluster.name}: {error}") from None
    except Exception as error:
        # Loader messages may quote what they read: say only what kind of failure it was.
        raise ClusterConfigError(
            f"cluster {cluster.name}: its connection settings cannot be loaded "
            f"({type(error).__name__})"
        ) from None
    return configuration


def _load_kubeconfig(
    cluster: Cluster, keyring: Keyring, files: CredentialFiles, configuration: k8s.Configuration
) -> None:
    if cluster.kubeconfig_encrypted is None:
        raise ClusterConfigError(f"cluster {cluster.name}: no kubeconfig is stored")
    kubeconfig = parse_kubeconfig(
        keyring.decrypt(cluster.kubeconfig_encrypted), cluster.kube_context
    )
    k8s_config.load_kube_config_from_dict(  # type: ignore[no-untyped-call]
        _inline_data_as_files(kubeconfig.document, files),
        context=kubeconfig.context,
        client_configuration=configuration,
        persist_config=False,
    )


def _inline_data_as_files(document: dict[str, Any], files: CredentialFiles) -> dict[str, Any]:
    """A copy whose `*-data` entries name private files instead: otherwise the client writes them
    to temp files of its own that outlive the process when it is killed."""
    document = copy.deepcopy(document)
    sections = (("clusters", "cluster"), ("users", "user"))
    for section, key in sections:
        for entry in document.get(section) or []:
            body = entry.get(key) if isinstance(entry, dict) else None
            if not isinstance(body, dict):
                continue
            for name in _DATA_FILE_KEYS:
                data = body.pop(f"{name}-data", None)
                if data:
                    body[name] = files.path_for(base64.b64decode(data))
    return document


_DATA_FILE_KEYS = ("certificate-authority", "client-certificate", "client-key")


def _load_url_and_token(
    cluster: Cluster, keyring: Keyring, files: CredentialFiles, configuration: k8s.Configuration
) -> None:
    if not cluster.api_url:
        raise ClusterConfigError(f"cluster {cluster.name}: no API URL is stored")
    configuration.host = cluster.api_url.rstrip("/")
    if cluster.token_encrypted:
        token = keyring.decrypt(cluster.token_encrypted)
        configuration.api_key = {"authorization": f"Bearer {token}"}
    if cluster.ca_cert_encrypted:
        ca_cert = keyring.decrypt(cluster.ca_cert_encrypted)
        configuration.ssl_ca_cert = files.path_for(ca_cert.encode())
    configuration.verify_ssl = not cluster.insecure_skip_tls_verify


class ClusterClient:
    """Async facade over one cluster's API; every blocking call runs on `executor`."""

    def __init__(
        self, configuration: k8s.Configuration, executor: ThreadPoolExecutor, *, max_waiting: int
    ) -> None:
        # Typed as Any: with _preload_content=False the calls return raw responses, not the
        # models the generated signatures promise.
        self._api: Any = k8s.CoreV1Api(k8s.ApiClient(configuration))
        self._executor = executor
        self._max_waiting = max_waiting
        self._waiting = 0

    async def _call(self, function: Callable[[], T]) -> T:
        # A slow cluster's calls pile up on its own threads; past a bound, callers fail at once
        # (a transient error: jobs retry later) instead of holding job slots every cluster shares.
        if self._waiting >= self._max_waiting:
            raise KubeError(
                f"{self._waiting} calls to this cluster are already waiting for an answer",
                status=None,
            )
        loop = asyncio.get_running_loop()
        self._waiting += 1
        try:
            return await loop.run_in_executor(self._executor, function)
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as error:
            raise _translate(error) from error
        finally:
            self._waiting -= 1

    async def create_pod(self, namespace: str, manifest: dict[str, Any]) -> dict[str, Any]:
        return await self._call(
            lambda: _json(
                self._api.create_namespaced_pod(
                    namespace, manifest, _preload_content=False, _request_timeout=REQUEST_TIMEOUT
                )
            )
        )

    async def get_pod(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return await self._call(
                lambda: _json(
                    self._api.read_namespaced_pod(
                        name, namespace, _preload_content=False, _request_timeout=REQUEST_TIMEOUT
                    )
                )
            )
        except KubeError as error:
            if error.not_found:
                return None
            raise

    async def delete_pod(self, namespace: str, name: str, *, grace_seconds: int = 0) -> bool:
        """Delete the pod; False when it was already gone."""
        try:
            await self._call(
                lambda: _read_to_end(
                    self._api.delete_namespaced_pod(
                        name,
                        namespace,
                        grace_period_seconds=grace_seconds,
                        _preload_content=False,
                        _request_timeout=REQUEST_TIMEOUT,
                    )
                )
            )
        except KubeError as error:
            if error.not_found:
                return False
            raise
        return True

    async def list_pods(
        self, namespace: str, label_selector: str
    ) -> tuple[list[dict[str, Any]], str]:
        """Pods in the namespace matching the selector, and the list's resourceVersion. Per
        namespace: Patrol's Role grants nothing cluster-wide."""
        document = await self._call(
            lambda: _json(
                self._api.list_namespaced_pod(
                    namespace,
                    label_selector=label_selector,
                    _preload_content=False,
                    _request_timeout=REQUEST_TIMEOUT,
                )
            )
        )
        return list(document.get("items") or []), str(document["metadata"].get("resourceVersion"))

    async def read_log_tail(
        self, namespace: str, name: str, *, container: str, tail_lines: int, limit_bytes: int
    ) -> str:
        def read() -> str:
            response = self._api.read_namespaced_pod_log(
                name,
                namespace,
                container=container,
                tail_lines=tail_lines,
                limit_bytes=limit_bytes,
                _preload_content=False,
                _request_timeout=REQUEST_TIMEOUT,
            )
            return bytes(response.data).decode("utf-8", errors="replace")

        return await self._call(read)

    async def follow_log(
        self, namespace: str, name: str, *, container: str, answer_timeout: float
    ) -> AsyncGenerator[bytes, None]:
        """The container's log from its start, then as it is written (`follow=true`), until the
        container terminates. Raises KubeError when the log cannot be opened (within
        `answer_timeout` seconds), LogStreamBroken when it breaks off after that (a quiet log's
        read times out after FOLLOW_READ_TIMEOUT). Read on a thread of its own, not the pool's:
        a follow holds its thread for as long as it lasts. Closing the generator ends the read."""
        loop = asyncio.get_running_loop()
        arrived: asyncio.Queue[bytes | KubeError | None] = asyncio.Queue()
        opened: list[Any] = []
        stopped = threading.Event()

        def post(item: bytes | KubeError | None) -> None:
            if not stopped.is_set():
                loop.call_soon_threadsafe(arrived.put_nowait, item)

        def pump() -> None:
            try:
                response = self._api.read_namespaced_pod_log(
                    name,
                    namespace,
                    container=container,
                    follow=True,
                    _preload_content=False,
                    _request_timeout=(answer_timeout, FOLLOW_READ_TIMEOUT),
                )
            except (ApiException, urllib3.exceptions.HTTPError, OSError) as error:
                post(_translate(error))
                return
            except Exception as error:  # the thread must always tell the reader it is done
                post(KubeError(f"{type(error).__name__}: {error}", status=None))
                return
            opened.append(response)
            if stopped.is_set():
                response.close()
                return
            post(b"")  # opened
            try:
                for chunk in response.stream(FOLLOW_READ_BYTES, decode_content=False):
                    post(bytes(chunk))
                post(None)
            except Exception as error:
                post(LogStreamBroken(f"{type(error).__name__}: {error}", status=None))

        threading.Thread(target=pump, name=f"kube-log-{name[:40]}", daemon=True).start()
        try:
            try:
                async with asyncio.timeout(answer_timeout):
                    first = await arrived.get()
            except TimeoutError:
                raise KubeError(
                    f"the API server did not answer within {answer_timeout:g} s", status=None
                ) from None
            item: bytes | KubeError | None = first
            while True:
                if item is None:
                    return
                if isinstance(item, KubeError):
                    raise item
                if item:
                    yield item
                item = await arrived.get()
        finally:
            stopped.set()
            for response in opened:
                # Wakes the thread from its blocking read: the connection is closed, not reused.
                # A response read to its end has released its connection already.
                with contextlib.suppress(RuntimeError, OSError):
                    response.shutdown()
                response.close()

    async def list_pod_events(self, namespace: str, pod_name: str) -> list[dict[str, Any]]:
        """Events about the pod, found by name: pod names are unique per run, and the pod may be gone."""
        document = await self._call(
            lambda: _json(
                self._api.list_namespaced_event(
                    namespace,
                    field_selector=f"involvedObject.kind=Pod,involvedObject.name={pod_name}",
                    _preload_content=False,
                    _request_timeout=REQUEST_TIMEOUT,
                )
            )
        )
        return list(document.get("items") or [])

    def watch_pods(
        self, namespace: str, label_selector: str, resource_version: str, *, timeout_seconds: int
    ) -> Iterator[WatchEvent]:
        """Blocking: yields events until the server ends the stream. Run it on its own thread."""
        try:
            response = self._api.list_namespaced_pod(
                namespace,
                label_selector=label_selector,
                resource_version=resource_version,
                timeout_seconds=timeout_seconds,
                allow_watch_bookmarks=True,
                watch=True,
                _preload_content=False,
                _request_timeout=(REQUEST_TIMEOUT[0], timeout_seconds + 10),
            )
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as error:
            raise _translate(error) from error
        try:
            for line in iter_resp_lines(response):  # type: ignore[no-untyped-call]
                if line:
                    event = json.loads(line)
                    yield WatchEvent(event["type"], event["object"])
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise _translate(error) from error
        finally:
            # A stream left before its end still has bytes in flight: that connection must never
            # carry another request, or the next response would be read from the middle of this one.
            response.close()
            response.release_conn()

    async def _server_version(self, timeout: float) -> str:
        """The API server's gitVersion (GET /version, readable by any authenticated client)."""

        def read() -> str:
            response = k8s.VersionApi(self._api.api_client).get_code(
                _preload_content=False, _request_timeout=(min(timeout, REQUEST_TIMEOUT[0]), timeout)
            )
            return str(_json(response).get("gitVersion") or "unknown")

        return await self._call(read)

    def close(self) -> None:
        self._api.api_client.close()
        # Calls already queued still run (on a fresh connection) and finish.
        self._executor.shutdown(wait=False)


def _read_to_end(response: Any) -> None:
    """Reads a body nobody needs, so its connection goes back to the pool at a message boundary."""
    response.data  # noqa: B018  (reading it is the point)
    response.release_conn()


def _json(response: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(response.data)
    return document


class KubeGateway:
    """One ClusterClient per cluster (rebuilt when the cluster's connection changes), each with
    threads of its own: a slow cluster holds up its own calls, never another cluster's."""

    def __init__(self, keyring: Keyring, *, threads_per_cluster: int = 16) -> None:
        # The client imports its API classes on first use, which takes a second or more: pay it
        # at start-up, not on the event loop in the middle of a watch.
        _ = (k8s.CoreV1Api, k8s.VersionApi)
        self._threads_per_cluster = threads_per_cluster
        self._keyring = keyring
        self._files = CredentialFiles()
        self._clients: dict[Any, tuple[Any, ClusterClient]] = {}

    def client(self, cluster: Cluster) -> ClusterClient:
        cached = self._clients.get(cluster.id)
        if cached is not None and cached[0] == cluster.updated_at:
            return cached[1]
        if cached is not None:
            cached[1].close()
        created = ClusterClient(
            configuration_for(cluster, self._keyring, self._files),
            ThreadPoolExecutor(
                self._threads_per_cluster, thread_name_prefix=f"kube-{str(cluster.id)[:8]}"
            ),
            max_waiting=self._threads_per_cluster * 2,
        )
        self._clients[cluster.id] = (cluster.updated_at, created)
        return created

    async def server_version(self, cluster: Cluster, *, timeout: float) -> str:
        return await self.client(cluster)._server_version(timeout)

    def close(self) -> None:
        for _, cluster_client in self._clients.values():
            cluster_client.close()
        self._clients.clear()
        self._files.close()
