from __future__ import annotations

import httpx
import pytest

from app.localcluster import start_in_thread
from app.localcluster.listen import NotLoopback, loopback_address


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "::ffff:127.0.0.1"])
def test_loopback_addresses_and_names_may_be_listened_on(host: str) -> None:
    assert loopback_address(host) is not None


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "192.0.2.10", "::ffff:192.0.2.10"])
def test_wildcard_and_other_addresses_are_not_loopback(host: str) -> None:
    assert loopback_address(host) is None


def test_a_cluster_refuses_a_non_loopback_host_unless_exposed() -> None:
    with pytest.raises(NotLoopback, match="expose=True"):
        start_in_thread(host="0.0.0.0")


def test_an_exposed_cluster_listens_on_the_wildcard_address_and_still_needs_its_token() -> None:
    with start_in_thread(host="0.0.0.0", expose=True) as cluster:
        port = cluster.url.rsplit(":", 1)[-1]
        url = f"http://127.0.0.1:{port}/api/v1/namespaces"
        anonymous = httpx.get(url)
        authenticated = httpx.get(url, headers={"Authorization": f"Bearer {cluster.token}"})

    assert cluster.url.startswith("http://0.0.0.0:")
    assert anonymous.status_code == 401
    assert authenticated.status_code == 200
