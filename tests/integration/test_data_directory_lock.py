"""One `patrol serve` per data directory, and no stale lock after it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.data_directory_lock import hold_data_directory
from app.startup import StartupError


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    with (
        hold_data_directory(tmp_path / "data"),
        pytest.raises(StartupError) as refused,
        hold_data_directory(tmp_path / "data"),
    ):
        pass

    assert str(refused.value) == (
        f"another `patrol serve` (pid {os.getpid()}) is running on the data directory "
        f"{(tmp_path / 'data').resolve()}: stop it first, or give this one its own PATROL_DATA_DIR"
    )


def test_the_directory_is_free_again_once_its_holder_is_done(tmp_path: Path) -> None:
    with hold_data_directory(tmp_path):
        pass
    with hold_data_directory(tmp_path):
        pass
