"""The CLI refuses to start with a sentence, not a traceback, when it cannot reach its parts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.keyring import generate_key


def patrol(tmp_path: Path, *arguments: str, **settings: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PATROL_")}
    environment |= {"PATROL_DATA_DIR": str(tmp_path / "data"), **settings}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("arguments", "settings", "message"),
    [
        (("db", "upgrade"), {"PATROL_DATABASE_URL": "nosuchdb://x"}, "error: invalid database URL"),
        (
            ("db", "upgrade"),
            {"PATROL_DATABASE_URL": "postgresql+asyncpg://patrol@127.0.0.1:1/patrol"},
            "error: cannot reach the database at postgresql+asyncpg://patrol@127.0.0.1:1/patrol",
        ),
        (
            ("serve",),
            {"PATROL_REDIS_URL": "redis://127.0.0.1:1/0"},
            "error: cannot reach Redis at redis://127.0.0.1:1/0",
        ),
        (
            ("worker",),
            {"PATROL_REDIS_URL": "redis://:s3cret@127.0.0.1:1/0"},
            "error: cannot reach Redis at 127.0.0.1:1/0",
        ),
    ],
)
def test_unreachable_or_invalid_backends_fail_with_one_clear_line(
    tmp_path: Path, arguments: tuple[str, ...], settings: dict[str, str], message: str
) -> None:
    result = patrol(tmp_path, *arguments, **settings)

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr


def test_an_external_database_behind_the_migrations_is_refused_until_upgraded(
    tmp_path: Path,
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    (tmp_path / "old.db").touch()
    result = patrol(
        tmp_path,
        "worker",
        PATROL_DATABASE_URL=database,
        PATROL_LOCAL_CLUSTER="false",
        PATROL_SECRET_KEY=generate_key(),
    )

    assert result.returncode == 2
    assert "run `patrol db upgrade` first" in result.stderr
    assert patrol(tmp_path, "db", "upgrade", PATROL_DATABASE_URL=database).returncode == 0
