"""Runs the local cluster over real HTTP: on the caller's event loop, or in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import kubernetes.client
import uvicorn

from app.localcluster.api import create_local_cluster_app
from app.localcluster.auth import checked_token
from app.localcluster.cluster import Cluster
from app.localcluster.faults import Faults
from app.localcluster.kubeconfig import api_client
from app.localcluster.kubelet import POD_DIRECTORY_PREFIX
from app.localcluster.listen import require_loopback
from app.localcluster.tls import make_serving_certificate, subject_names
from app.owned_directories import make_owned_directory, remove_stale_directories

T = TypeVar("T")

SERVING_FILES_PREFIX = "patrol-local-cluster-"


class _QuietNonWebsocketUpgrades(logging.Filter):
    """kubectl's SPDY fallback for exec and port-forward is answered with a clear 400; uvicorn's
    own warning about the upgrade header says nothing more and alarms whoever reads the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "Unsupported upgrade request."


logging.getLogger("uvicorn.error").addFilter(_QuietNonWebsocketUpgrades())


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Signals belong to whoever embeds the cluster (the CLI installs its own handlers).
        yield


class LocalCluster:
    """A local Kubernetes API server + kubelet, served by uvicorn on the running event loop.

    Clients authenticate with `token` (a fresh random one unless given); `start()` listens on a
    loopback address only, unless `expose=True`. With `tls`, it serves HTTPS with a certificate of
    its own (`certificate_authority` is what clients trust), which kubectl needs to send a token."""

    def __init__(
        self,
        image_commands: Mapping[str, Sequence[str]] | None = None,
        *,
        token: str | None = None,
        tls: bool = False,
        **cluster_options: Any,
    ) -> None:
        self.token = checked_token(token)
        self.tls = tls
        self.cluster = Cluster(image_commands, **cluster_options)
        self._server: _Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None
        self._files: Path | None = None
        self.url = ""
        self.certificate_authority: bytes | None = None
        self.certificate_authority_file: str | None = None

    @property
    def faults(self) -> Faults:
        return self.cluster.faults

    async def start(self, host: str = "127.0.0.1", port: int = 0, *, expose: bool = False) -> str:
        """Listens on `host`, which must be a loopback address unless `expose`; returns the URL."""
        host = require_loopback(host, expose=expose)
        # What a killed local cluster left behind: its pods' working directories, its certificate.
        for prefix in (POD_DIRECTORY_PREFIX, SERVING_FILES_PREFIX):
            remove_stale_directories(prefix)
        # proto=IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; without it every
        # response stalls ~40 ms on Nagle + delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        self._socket = sock
        bound_host, bound_port = sock.getsockname()[:2]
        self.url = f"{'https' if self.tls else 'http'}://{bound_host}:{bound_port}"
        serving_files = self._write_serving_certificate(host) if self.tls else None
        config = uvicorn.Config(
            create_local_cluster_app(self.cluster, token=self.token),
            lifespan="off",
            log_level="warning",
            access_log=False,
            ws="websockets-sansio",
            timeout_graceful_shutdown=2,
            ssl_certfile=serving_files[0] if serving_files else None,
            ssl_keyfile=serving_files[1] if serving_files else None,
        )
        self._server = _Server(config)
        self._serving = asyncio.get_running_loop().create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._serving.done():
                self._serving.result()
            await asyncio.sleep(0.01)
        # The server holds its certificate and key in memory now: keep the key off the disk.
        for path in serving_files or ():
            os.remove(path)
        return self.url

    def _write_serving_certificate(self, host: str) -> tuple[str, str]:
        """Returns the (certificate, key) files to serve with."""
        certificate = make_serving_certificate(subject_names(host))
        directory = self._files = make_owned_directory(SERVING_FILES_PREFIX)  # mode 0700
        (directory / "ca.crt").write_bytes(certificate.authority_pem)
        (directory / "tls.crt").write_bytes(certificate.certificate_pem)
        (directory / "tls.key").write_bytes(certificate.private_key_pem)
        self.certificate_authority = certificate.authority_pem
        self.certificate_authority_file = str(directory / "ca.crt")
        return str(directory / "tls.crt"), str(directory / "tls.key")

    async def stop(self) -> None:
        """Kills every pod process, ends open watches, then stops serving."""
        await self.cluster.shutdown()
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            await self._serving
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self._files is not None:
            shutil.rmtree(self._files, ignore_errors=True)
            self._files = None

    async def wait_stopped(self) -> None:
        if self._serving is not None:
            await asyncio.shield(self._serving)

    def compact(self) -> None:
        self.cluster.compact()

    def drop_watches(self) -> None:
        self.cluster.drop_watches()


class ThreadedLocalCluster:
    """A `LocalCluster` on its own thread and event loop, for synchronous callers such as the
    official kubernetes client. Use `start_in_thread()` to get one."""

    def __init__(
        self,
        image_commands: Mapping[str, Sequence[str]] | None,
        cluster_options: dict[str, Any],
        *,
        token: str | None = None,
        tls: bool = False,
    ) -> None:
        self.token = checked_token(token)
        self.tls = tls
        self._image_commands = image_commands
        self._options = cluster_options
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self.local: LocalCluster | None = None
        self.url = ""

    def start(
        self, host: str = "127.0.0.1", port: int = 0, *, expose: bool = False
    ) -> ThreadedLocalCluster:
        self._thread = threading.Thread(
            target=self._main, args=(host, port, expose), name="patrol-local-cluster", daemon=True
        )
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self

    def _main(self, host: str, port: int, expose: bool) -> None:
        asyncio.run(self._serve(host, port, expose))

    async def _serve(self, host: str, port: int, expose: bool) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        try:
            self.local = LocalCluster(
                self._image_commands, token=self.token, tls=self.tls, **self._options
            )
            self.url = await self.local.start(host, port, expose=expose)
        except BaseException as error:
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        await self._stop_requested.wait()
        await self.local.stop()

    @property
    def cluster(self) -> Cluster:
        """The cluster itself; only touch it through `call()` except for `faults`."""
        assert self.local is not None
        return self.local.cluster

    @property
    def faults(self) -> Faults:
        return self.cluster.faults

    def call(self, function: Callable[[Cluster], T], timeout: float = 10.0) -> T:
        """Runs `function(cluster)` on the cluster's event loop and returns its result."""
        assert self._loop is not None

        async def run() -> T:
            return function(self.cluster)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def compact(self) -> None:
        self.call(lambda cluster: cluster.compact())

    def drop_watches(self) -> None:
        self.call(lambda cluster: cluster.drop_watches())

    @property
    def certificate_authority(self) -> bytes | None:
        return None if self.local is None else self.local.certificate_authority

    def api_client(self) -> kubernetes.client.ApiClient:
        assert self.local is not None
        return api_client(
            self.url,
            self.token,
            certificate_authority_file=self.local.certificate_authority_file,
        )

    def stop(self) -> None:
        if self._loop is not None and self._stop_requested is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop_requested.set)
            self._thread.join(30)

    def __enter__(self) -> ThreadedLocalCluster:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_in_thread(
    image_commands: Mapping[str, Sequence[str]] | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    expose: bool = False,
    token: str | None = None,
    tls: bool = False,
    **cluster_options: Any,
) -> ThreadedLocalCluster:
    """Starts a local cluster on a background thread; `.url`, `.token`, `.stop()`, `.faults`,
    `.call()`."""
    return ThreadedLocalCluster(image_commands, cluster_options, token=token, tls=tls).start(
        host, port, expose=expose
    )
