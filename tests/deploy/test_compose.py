"""deploy/compose.yaml, read as data: the services it runs, in which order, and that every secret
comes from deploy/.env. `docker compose config` checks it too where the compose plugin exists."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.settings import Settings
from tests.deploy.dockerfile import SECRET_NAME
from tests.deploy.paths import DEPLOY, REPOSITORY

COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
PATROL_SERVICES = ("migrate", "api", "worker")
# ${NAME}, ${NAME:?message}, ${NAME:-default} ...; `$$` is a literal dollar.
INTERPOLATION = re.compile(r"(?<!\$)\$\{(\w+)(:?[?+-][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def env_example() -> dict[str, str]:
    lines = [line for line in ENV_EXAMPLE.read_text().splitlines() if line and line[0] != "#"]
    return dict(line.split("=", 1) for line in lines)


def test_compose_runs_the_api_two_workers_a_migration_postgres_and_redis(
    services: dict[str, dict[str, Any]],
) -> None:
    assert set(services) == {"postgres", "redis", "migrate", "api", "worker"}
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["api"]["command"] == ["serve", "--no-worker"]
    assert services["api"]["ports"] == ["8080:8080"]
    assert services["worker"]["command"] == ["worker"]
    assert services["worker"]["deploy"]["replicas"] == 2


def test_patrols_services_run_the_image_built_from_the_repository(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in PATROL_SERVICES:
        build = services[name]["build"]

        assert services[name]["image"] == "patrol:0.1.0"
        assert (DEPLOY / build["context"]).resolve() == REPOSITORY
        assert build["dockerfile"] == "deploy/Dockerfile"


def test_every_other_image_is_pinned_to_a_version(services: dict[str, dict[str, Any]]) -> None:
    for name in set(services) - set(PATROL_SERVICES):
        tag = services[name]["image"].partition(":")[2]
        assert re.fullmatch(r"\d+(\.\d+)+-[a-z]+", tag), f"{name} runs {services[name]['image']}"


def test_patrol_starts_once_migrated_and_once_its_servers_are_healthy(
    services: dict[str, dict[str, Any]],
) -> None:
    healthy = {"postgres": {"condition": "service_healthy"}}
    assert services["migrate"]["depends_on"] == healthy
    for name in ("api", "worker"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"},
            **healthy,
            "redis": {"condition": "service_healthy"},
        }


def test_everything_waited_for_as_healthy_has_a_healthcheck(
    services: dict[str, dict[str, Any]],
) -> None:
    for service in services.values():
        for name, condition in (service.get("depends_on") or {}).items():
            if condition["condition"] == "service_healthy":
                assert services[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["api"]["healthcheck"]["test"])


def test_patrols_containers_run_read_only_without_capabilities(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in PATROL_SERVICES:
        service = services[name]

        assert service["read_only"] is True
        assert service["tmpfs"] == ["/tmp"]
        assert service["cap_drop"] == ["ALL"]
        assert service["security_opt"] == ["no-new-privileges:true"]
        assert "user" not in service  # the image's numeric non-root user


def test_every_secret_comes_from_the_env_file_not_the_compose_file(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        values = dict(service.get("environment") or {})
        values.update({f"command[{i}]": word for i, word in enumerate(service.get("command", []))})
        for key, value in values.items():
            written = INTERPOLATION.sub("", str(value))
            if SECRET_NAME.search(key) or key == "REDISCLI_AUTH":
                assert written == "", f"{name}: {key} is written in the compose file"
            if "://" in written and "@" in str(value):
                userinfo = str(value).split("://", 1)[1].split("@", 1)[0]
                assert ":" not in INTERPOLATION.sub("", userinfo).rstrip(":"), (
                    f"{name}: {key} carries a password in the compose file"
                )
    redis_command = services["redis"]["command"]
    password = redis_command[redis_command.index("--requirepass") + 1]
    assert INTERPOLATION.fullmatch(password)


def test_every_variable_compose_reads_is_required_and_in_the_env_example() -> None:
    text = COMPOSE.read_text()
    used = {match[1]: match[2] or "" for match in INTERPOLATION.finditer(text)}

    assert set(used) == set(env_example())
    assert all(modifier.startswith(":?") for modifier in used.values())


def test_the_env_example_holds_only_placeholders_and_the_env_file_is_ignored() -> None:
    for key, value in env_example().items():
        assert "REPLACE-ME" in value, f"{key} holds something other than a placeholder"
    assert "deploy/.env" in (REPOSITORY / ".gitignore").read_text().splitlines()
    assert not (DEPLOY / ".env").exists() or _ignored_by_git(DEPLOY / ".env")


def _ignored_by_git(path: Path) -> bool:
    return subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=REPOSITORY).returncode == 0


def test_every_patrol_setting_compose_sets_is_one_patrol_reads(
    services: dict[str, dict[str, Any]],
) -> None:
    known = {f"PATROL_{name.upper()}" for name in Settings.model_fields}
    for name in PATROL_SERVICES:
        assert set(services[name]["environment"]) <= known


def _compose_plugin() -> str | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    probe = subprocess.run([docker, "compose", "version"], capture_output=True)
    return docker if probe.returncode == 0 else None


@pytest.mark.skipif(_compose_plugin() is None, reason="the docker compose plugin is not installed")
def test_docker_compose_accepts_the_file_with_the_env_example() -> None:
    docker = _compose_plugin()
    assert docker is not None

    checked = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "--env-file", str(ENV_EXAMPLE), "config", "-q"],
        capture_output=True,
        text=True,
    )

    assert checked.returncode == 0, checked.stderr
