"""The exported SDL, `graphql/schema.graphql`, kept in sync by a test."""

from __future__ import annotations

from pathlib import Path

from app.api.schema import schema

SDL_PATH = Path(__file__).resolve().parents[2] / "graphql" / "schema.graphql"


def export_schema_sdl() -> str:
    return schema.as_str() + "\n"


def write_schema_sdl(path: Path = SDL_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(export_schema_sdl(), encoding="utf-8")
    return path
