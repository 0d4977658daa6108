"""Every kustomization under deploy/kustomize, rendered once per session by the pinned kubectl."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.rendering import Rendered, kustomization_directories, operator_copy, render


@pytest.fixture(scope="session")
def prepared_kustomize(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return operator_copy(tmp_path_factory.mktemp("deploy"))


@pytest.fixture(scope="session")
def renders(kubectl: Path, prepared_kustomize: Path) -> dict[str, Rendered]:
    return {
        directory: Rendered(directory, render(kubectl, prepared_kustomize / directory))
        for directory in kustomization_directories()
    }
