"""deploy/Dockerfile, read instruction by instruction: the image cannot be built where these tests
run (no Docker engine), so its rules are checked on the text."""

from __future__ import annotations

import pytest

from tests.deploy.dockerfile import (
    final_stage_user,
    flags,
    lint,
    parse_dockerfile,
    stages,
    without_flags,
    words,
)
from tests.deploy.paths import DEPLOY, REPOSITORY

DOCKERFILE = DEPLOY / "Dockerfile"
# What the image is built from; everything else in the repository stays out of the context.
CONTEXT_PATHS = frozenset(
    {
        "pyproject.toml",
        "README.md",
        "app",
        "workers",
        "alembic",
        "console",
        "graphql/schema.graphql",
    }
)


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return DOCKERFILE.read_text()


def test_the_dockerfile_passes_the_lint(dockerfile: str) -> None:
    assert lint(dockerfile, context_paths=CONTEXT_PATHS) == []


def test_the_lint_names_each_broken_rule() -> None:
    broken = "\n".join(
        [
            "FROM python:3.11-slim AS build",
            "ARG GITHUB_TOKEN",
            "ENV DATABASE=postgresql://patrol:hunter2@db/patrol \\",
            "    SIGNING=c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==",
            "FROM python:latest",
            "ADD https://example.com/tool.tar.gz /opt/",
            "COPY . /opt/patrol",
            "COPY --from=build /opt/venv /opt/venv",
            'CMD ["serve"]',
            "USER patrol",
        ]
    )

    assert lint(broken, context_paths=CONTEXT_PATHS) == [
        "line 1: FROM python:3.11-slim is not pinned to a patch release or digest",
        "line 5: FROM python:latest is not pinned to a patch release or digest",
        "line 10: USER patrol is not numeric",
        "line 10: USER comes after ENTRYPOINT/CMD",
        "line 2: ARG GITHUB_TOKEN looks secret",
        "line 3: ENV DATABASE's value looks secret",
        "line 3: ENV SIGNING's value looks secret",
        "line 6: ADD fetches https://example.com/tool.tar.gz",
        "line 7: COPY takes . from the context",
    ]


def test_the_lint_refuses_root_and_a_final_stage_without_a_user() -> None:
    root = 'FROM python:3.11.17-slim-bookworm\nUSER 0:0\nCMD ["serve"]\n'
    unset = "FROM python:3.11.17-slim-bookworm@sha256:" + "a" * 64 + '\nCMD ["serve"]\n'

    assert lint(root, context_paths=CONTEXT_PATHS) == ["line 2: USER 0:0 is root"]
    assert lint(unset, context_paths=CONTEXT_PATHS) == [
        "the final stage sets no USER: it runs as root"
    ]


def test_the_python_stages_share_one_pinned_python_3_11_and_the_console_a_node_20(
    dockerfile: str,
) -> None:
    found = stages(parse_dockerfile(dockerfile))
    images = {stage.image for stage in found if stage.name != "console"}
    [console] = [stage.image for stage in found if stage.name == "console"]

    [image] = images
    assert image.startswith("python:3.11.") and image.endswith("-slim-bookworm")
    assert console.startswith("node:20.") and console.endswith("-bookworm-slim")


def test_the_image_runs_patrol_serve_as_a_numeric_non_root_user(dockerfile: str) -> None:
    instructions = parse_dockerfile(dockerfile)
    final = stages(instructions)[-1].instructions
    by_keyword = {instruction.keyword: instruction.arguments for instruction in final}

    assert final_stage_user(instructions) == "10001:10001"
    assert words(by_keyword["ENTRYPOINT"]) == ["patrol"]
    assert words(by_keyword["CMD"]) == ["serve"]
    assert by_keyword["EXPOSE"] == "8080"
    assert "HEALTHCHECK" not in by_keyword  # one image, several processes: probes are per process


def test_the_final_stage_takes_only_the_built_virtualenv_and_source(dockerfile: str) -> None:
    _console, build, final = stages(parse_dockerfile(dockerfile))
    copies = [i.arguments for i in final.instructions if i.keyword in ("COPY", "ADD")]

    assert build.name == "build"
    assert [flags(copy) for copy in copies] == [{"from": "build"}, {"from": "build"}]
    assert [without_flags(copy) for copy in copies] == [
        ["/opt/venv", "/opt/venv"],
        ["/opt/patrol", "/opt/patrol"],
    ]


def test_what_the_image_copies_exists_and_the_dockerignore_lets_in_nothing_else(
    dockerfile: str,
) -> None:
    copied = {
        source.rstrip("/")
        for instruction in parse_dockerfile(dockerfile)
        if instruction.keyword == "COPY" and "from" not in flags(instruction.arguments)
        for source in without_flags(instruction.arguments)[:-1]
    }
    rules = [
        line
        for line in (REPOSITORY / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]

    # A file copied from inside an admitted directory (console/package.json) counts as that directory.
    roots = {
        next((root for root in CONTEXT_PATHS if source.startswith(root + "/")), source)
        for source in copied
    }
    assert roots == CONTEXT_PATHS
    assert all((REPOSITORY / path).exists() for path in copied)
    assert rules[0] == "*", "the .dockerignore must start by leaving everything out"
    admitted = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    assert admitted == CONTEXT_PATHS


def test_the_build_context_rules_keep_local_secrets_out() -> None:
    rules = (REPOSITORY / ".dockerignore").read_text().splitlines()
    # Everything is left out first; these are re-admitted by no rule.
    for private in (".env", ".patrol", ".git", ".venv", "deploy"):
        assert f"!{private}" not in rules and f"!{private}/" not in rules


def test_the_parser_joins_continued_lines_and_skips_comments() -> None:
    parsed = parse_dockerfile("# syntax=docker/dockerfile:1\nRUN a \\\n  # note\n  && b\nUSER 1\n")

    assert [(i.keyword, i.arguments, i.line) for i in parsed] == [
        ("RUN", "a && b", 2),
        ("USER", "1", 5),
    ]
