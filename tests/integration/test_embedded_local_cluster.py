"""The local cluster `patrol serve` embeds: where it listens from one start to the next, and the
kubeconfig it leaves in the data directory."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path

import pytest
import yaml

from app.embedded_local_cluster import start_local_cluster
from app.settings import Settings
from app.startup import StartupError
from tests.fixtures.logs import LogFile


def server_of(kubeconfig: Path) -> str:
    server: str = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    return server


@contextmanager
def port_taken() -> Iterator[int]:
    with socket.socket() as taker:
        taker.bind(("127.0.0.1", 0))
        taker.listen()
        yield int(taker.getsockname()[1])


async def test_it_listens_where_it_did_at_its_last_start(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    async with AsyncExitStack() as stack:
        first = (await start_local_cluster(settings, stack)).url
    async with AsyncExitStack() as stack:
        second = (await start_local_cluster(settings, stack)).url

    assert first == second == server_of(settings.local_cluster_kubeconfig_path)
    assert settings.local_cluster_kubeconfig_path.stat().st_mode & 0o777 == 0o600


async def test_when_its_last_port_is_taken_it_moves_and_says_so(
    tmp_path: Path, json_logs: LogFile
) -> None:
    settings = Settings(data_dir=tmp_path)
    with port_taken() as port:
        settings.local_cluster_kubeconfig_path.write_text(
            yaml.safe_dump({"clusters": [{"cluster": {"server": f"https://127.0.0.1:{port}"}}]})
        )
        async with AsyncExitStack() as stack:
            url = (await start_local_cluster(settings, stack)).url

    assert url != f"https://127.0.0.1:{port}"
    assert server_of(settings.local_cluster_kubeconfig_path) == url
    (warning,) = json_logs.records(level="warning")
    assert warning["port"] == port


async def test_a_configured_port_that_is_taken_stops_the_start_with_one_sentence(
    tmp_path: Path,
) -> None:
    with port_taken() as port:
        settings = Settings(data_dir=tmp_path, local_cluster_port=port)
        async with AsyncExitStack() as stack:
            with pytest.raises(StartupError) as refused:
                await start_local_cluster(settings, stack)

    assert str(refused.value) == (
        f"the local cluster cannot listen on 127.0.0.1:{port}: Address already in use; set "
        "PATROL_LOCAL_CLUSTER_PORT to a free port (0 picks one at each start)"
    )
    assert not settings.local_cluster_kubeconfig_path.exists()
