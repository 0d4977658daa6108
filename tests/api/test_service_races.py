"""A writer that loses a race after the existence check still gets CONFLICT, not a crash."""

from __future__ import annotations

from typing import Any

import pytest

from app.db import SessionFactory
from app.errors import Conflict
from app.keyring import Keyring
from app.models import ConnectionKind
from app.services import checks, clusters
from app.services.checks import CheckDraft
from app.services.clusters import ClusterDraft
from tests.api.builders import POD_SPEC


async def skip_existence_check(*_args: Any, **_kwargs: Any) -> None:
    return None


async def test_a_duplicate_cluster_name_caught_by_the_database_is_a_conflict(
    session_factory: SessionFactory, keyring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = ClusterDraft(name="prod", connection_kind=ConnectionKind.LOCAL)
    async with session_factory.begin() as session:
        await clusters.create_cluster(session, draft, keyring)
    monkeypatch.setattr(clusters, "_ensure_name_free", skip_existence_check)

    with pytest.raises(Conflict) as raised:
        async with session_factory.begin() as session:
            await clusters.create_cluster(session, draft, keyring)
    assert raised.value.field == "name"


async def test_a_duplicate_check_name_caught_by_the_database_is_a_conflict(
    session_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = CheckDraft(name="ping", namespace="patrol", pod_spec=POD_SPEC, timeout="10s")
    async with session_factory.begin() as session:
        await checks.create_check(session, draft)
    monkeypatch.setattr(checks, "_ensure_name_free", skip_existence_check)

    with pytest.raises(Conflict):
        async with session_factory.begin() as session:
            await checks.create_check(session, draft)
