import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlmodel
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import create_engine
from app.keyring import Keyring, generate_key
from app.migrations import current_revision, head_revision, schema_drift, upgrade_database

EXPECTED_TABLES = {
    "cluster",
    "cluster_health",
    "check",
    "check_cluster",
    "run",
    "run_log",
    "run_event",
    "api_token",
    "audit_record",
    "shared_setting",
    "channel",
    "alert_rule",
    "alert_subject_state",
    "alert",
    "alert_transition",
    "notification",
    "delivery_attempt",
    "silence",
    "alert_comment",
    "alerting_cursor",
    "run_rollup",
    "run_rollup_bin",
}


async def assert_upgrade_creates_everything_without_drift(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade_database(engine)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(sa.inspect(sync).get_table_names()))
        assert tables >= EXPECTED_TABLES
        assert await current_revision(engine) == head_revision()
        assert await schema_drift(engine) == []
    finally:
        await engine.dispose()


async def test_upgrade_head_on_an_empty_sqlite_file_matches_the_models(tmp_path: Path) -> None:
    await assert_upgrade_creates_everything_without_drift(
        f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    )


async def test_upgrade_head_on_an_empty_postgres_database_matches_the_models(
    empty_postgres_url: str,
) -> None:
    await assert_upgrade_creates_everything_without_drift(empty_postgres_url)


async def test_upgrading_twice_is_a_no_op(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'twice.db'}")
    try:
        await upgrade_database(engine)
        await upgrade_database(engine)
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


async def test_drift_detection_notices_a_table_the_migrations_do_not_create(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'drift.db'}")
    try:
        await upgrade_database(engine)
        async with engine.begin() as connection:
            await connection.exec_driver_sql("DROP TABLE run_event")
        assert await schema_drift(engine) != []
    finally:
        await engine.dispose()


async def _database_with_plaintext_credentials(path: Path) -> AsyncEngine:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade_database(engine, "ef341f8f2cce")
    async with engine.begin() as connection:
        await connection.execute(
            sa.text(
                "INSERT INTO cluster (id, name, description, labels, connection_kind, kubeconfig, "
                "token, ca_cert, insecure_skip_tls_verify, default_namespace, created_at, "
                "updated_at) VALUES (:id, 'old', '', '{}', 'token', NULL, 'plain-token', "
                "'plain-ca', 0, 'default', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            ),
            {"id": uuid.uuid4().hex},
        )
    return engine


async def test_upgrading_encrypts_credentials_stored_in_plain_text(tmp_path: Path) -> None:
    engine = await _database_with_plaintext_credentials(tmp_path / "old.db")
    keyring = Keyring(generate_key())
    try:
        await upgrade_database(engine, keyring=keyring)
        async with engine.connect() as connection:
            token, ca_cert = (
                await connection.execute(
                    sa.text("SELECT token_encrypted, ca_cert_encrypted FROM cluster")
                )
            ).one()
        assert "plain" not in token and "plain" not in ca_cert
        assert keyring.decrypt(token) == "plain-token" and keyring.decrypt(ca_cert) == "plain-ca"
    finally:
        await engine.dispose()


async def test_upgrading_credentials_without_a_key_stops_with_a_sentence(tmp_path: Path) -> None:
    engine = await _database_with_plaintext_credentials(tmp_path / "old.db")
    try:
        with pytest.raises(RuntimeError, match="PATROL_SECRET_KEY"):
            await upgrade_database(engine)
    finally:
        await engine.dispose()


async def test_upgrading_rolls_up_the_runs_already_kept(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'history.db'}")
    check_id, cluster_id = uuid.uuid4(), uuid.uuid4()
    at = datetime(2026, 1, 1, 10, 30, tzinfo=UTC)
    timestamp = sqlmodel.sql.sqltypes.UTCDateTime()
    try:
        await upgrade_database(engine, "7b2e4c1d9a30")  # the revision before the rollups
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO cluster (id, name, description, labels, connection_kind, "
                    "insecure_skip_tls_verify, default_namespace, created_at, updated_at) VALUES "
                    "(:id, 'c', '', '{}', 'local', 0, 'default', :at, :at)"
                ).bindparams(
                    sa.bindparam("id", type_=sa.Uuid()), sa.bindparam("at", type_=timestamp)
                ),
                {"id": cluster_id, "at": at},
            )
            await connection.execute(
                sa.text(
                    'INSERT INTO "check" (id, name, namespace, description, labels, pod_spec, '
                    "extra_labels, extra_annotations, timeout_seconds, enabled, version, "
                    "created_at, updated_at) VALUES (:id, 'k', 'default', '', '{}', '{}', '{}', "
                    "'{}', 30, 1, 1, :at, :at)"
                ).bindparams(
                    sa.bindparam("id", type_=sa.Uuid()), sa.bindparam("at", type_=timestamp)
                ),
                {"id": check_id, "at": at},
            )
            for minutes, status in ((0, "succeeded"), (10, "failed"), (20, "cancelled")):
                scheduled = at + timedelta(minutes=minutes)
                await connection.execute(
                    sa.text(
                        'INSERT INTO run (id, check_id, cluster_id, check_version, "trigger", '
                        "status, errors, scheduled_at, started_at, finished_at, created_at) VALUES "
                        "(:id, :check, :cluster, 1, 'schedule', :status, '[]', :at, :at, :end, :at)"
                    ).bindparams(
                        sa.bindparam("id", type_=sa.Uuid()),
                        sa.bindparam("check", type_=sa.Uuid()),
                        sa.bindparam("cluster", type_=sa.Uuid()),
                        sa.bindparam("at", type_=timestamp),
                        sa.bindparam("end", type_=timestamp),
                    ),
                    {
                        "id": uuid.uuid4(),
                        "check": check_id,
                        "cluster": cluster_id,
                        "status": status,
                        "at": scheduled,
                        "end": scheduled + timedelta(seconds=2),
                    },
                )

        await upgrade_database(engine)

        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.text(
                        "SELECT step, runs, successes, failures, duration_sum_ms FROM run_rollup "
                        "ORDER BY step"
                    )
                )
            ).all()
            bins = (
                await connection.execute(sa.text("SELECT sum(count) FROM run_rollup_bin"))
            ).one()
        assert [tuple(row) for row in rows] == [("day", 2, 1, 1, 4000), ("hour", 2, 1, 1, 4000)]
        assert bins == (4,)
    finally:
        await engine.dispose()
