from __future__ import annotations

from pathlib import Path

from graphql.language import parse
from graphql.validation import validate

from app.api.schema import schema
from app.api.sdl import SDL_PATH, export_schema_sdl, write_schema_sdl


def test_the_committed_sdl_matches_the_schema() -> None:
    assert SDL_PATH.read_text(encoding="utf-8") == export_schema_sdl(), (
        "graphql/schema.graphql is stale: run `patrol export-schema` "
        "(or `python -c 'from app.api.sdl import write_schema_sdl; write_schema_sdl()'`)"
    )


def test_writing_the_sdl_creates_the_file(tmp_path: Path) -> None:
    target = write_schema_sdl(tmp_path / "graphql" / "schema.graphql")
    assert target.read_text(encoding="utf-8") == export_schema_sdl()


def test_the_example_operations_are_valid_against_the_schema() -> None:
    operations = sorted((SDL_PATH.parent / "operations").glob("*.graphql"))
    assert operations
    for path in operations:
        errors = validate(schema._schema, parse(path.read_text(encoding="utf-8")))
        assert errors == [], f"{path.name}: {errors}"
