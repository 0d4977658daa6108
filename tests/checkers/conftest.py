from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .certs import CertPair, make_self_signed, openssl_available
from .servers import ScriptedHttpServer, scripted_http_server


@pytest.fixture
def receiver() -> Iterator[ScriptedHttpServer]:
    """Patrol's report endpoint, as far as a checker can tell."""
    with scripted_http_server() as server:
        yield server


@pytest.fixture
def target() -> Iterator[ScriptedHttpServer]:
    """The service an HTTP check probes."""
    with scripted_http_server() as server:
        yield server


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CertPair]:
    if not openssl_available():
        pytest.skip("the openssl CLI is needed to generate test certificates")
    directory: Path = tmp_path_factory.mktemp("certs")
    return {
        "valid": make_self_signed(directory, "valid", days=400),
        "expiring": make_self_signed(directory, "expiring", days=10),
        "far": make_self_signed(directory, "far", days=10000),
    }
