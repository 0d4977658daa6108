"""Fields and list items completed in one step (app/api/plain_values.py) answer exactly what
graphql-core's general way answers: the same data, and the same errors at the same paths."""

from __future__ import annotations

import enum
from operator import getitem
from typing import Any, cast

import pytest
import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.api.plain_values import PlainValueExecutor


@strawberry.enum
class Color(enum.StrEnum):
    RED = "red"
    GREEN = "green"


@strawberry.type
class Part:
    label: str
    weight: float | None
    colors: list[Color | None]

    @strawberry.field
    def broken(self) -> int:
        raise ValueError("no weight for " + self.label)


@strawberry.type
class Cell:
    name: str
    size: int
    missing: str
    colors: list[Color | None]
    required_colors: list[Color]
    ratios: list[float | None]
    strict_ratios: list[float]
    weird: list[int | None]
    count: int
    score: float
    parts: list[Part | None]
    required_parts: list[Part]
    optional_parts: list[Part] | None
    grid: list[list[Part]]

    @strawberry.field
    def resolved(self) -> list[Color | None]:
        return self.colors


@strawberry.type
class Query:
    @strawberry.field
    def good_cells(self) -> list[Cell | None]:
        good = _cells()[0]
        return [good, None, good]

    @strawberry.field
    def cells(self) -> list[Cell]:
        return _cells()


def _cells() -> list[Cell]:
    # What a resolver should not return, or what a scalar changes.
    wrong: Any = {"null": None, "text": "not a number", "true": True, "three": 3}
    light = Part(label="light", weight=0.5, colors=[Color.RED, None])
    heavy = Part(label="heavy", weight=None, colors=[])
    unnamed = Part(label=wrong["null"], weight=1.0, colors=[Color.GREEN])
    unweighable = Part(label="unweighable", weight=wrong["text"], colors=[wrong["text"]])
    return [
        Cell(
            name="a",
            size=1,
            missing="x",
            colors=[Color.RED, None, Color.GREEN, Color.RED],
            required_colors=[Color.GREEN],
            ratios=[0.5, None, 1.0],
            strict_ratios=[1.0, 2.0],
            weird=[1, 2],
            count=wrong["true"],
            score=wrong["three"],
            parts=[light, None, heavy],
            required_parts=[heavy, light],
            optional_parts=None,
            grid=[[light], [], [heavy, light]],
        ),
        Cell(
            name="b",
            size=wrong["text"],
            missing=wrong["null"],
            colors=[],
            required_colors=[Color.RED, wrong["null"]],
            ratios=[float("inf")],
            strict_ratios=[3.0, wrong["null"]],
            weird=[1, wrong["text"], 3],
            count=2**31,
            score=float("nan"),
            parts=[light, unnamed, unweighable],
            required_parts=[light, wrong["null"]],
            optional_parts=[heavy],
            grid=wrong["null"],
        ),
    ]


DOCUMENTS = [
    "{ goodCells { name size colors ratios strictRatios requiredColors weird } }",
    "{ goodCells { name size __typename } }",
    "{ goodCells { name resolved } }",
    "query { goodCells { ...Parts } } fragment Parts on Cell { name colors ratios }",
    "{ __schema { types { name fields { name } } } }",
    "{ cells { name size colors ratios strictRatios requiredColors resolved } }",
    "{ cells { name missing } }",
    "{ cells { name weird } }",
    "{ cells { ... on Cell { name colors } alias: ratios } }",
    "{ cells { name colors @include(if: true) ratios @skip(if: true) } }",
    "{ goodCells { count score } }",
    "{ cells { name count } }",
    "{ cells { name score } }",
    "{ goodCells { name parts { label weight colors } requiredParts { label }"
    " optionalParts { label } } }",
    "{ goodCells { grid { label weight } } }",
    "{ goodCells { parts { __typename label } } }",
    "{ goodCells { parts { label broken } } }",
    "{ cells { name parts { label } } }",
    "{ cells { name parts { weight } } }",
    "{ cells { name parts { colors } } }",
    "{ cells { name requiredParts { label } } }",
    "{ cells { name optionalParts { label weight } } }",
    "{ cells { name grid { label } } }",
    "{ cells { first: parts { name: label } second: parts { label: weight } } }",
    "{ cells { parts { label } parts { weight } } }",
    "query { cells { ...Parts } } fragment Parts on Cell { parts { ...Part label } }"
    " fragment Part on Part { weight colors }",
    "{ cells { ... on Cell { parts { ... on Part { label } } } } }",
    "{ goodCells { parts { label @include(if: true) weight @skip(if: true) } } }",
    "{ goodCells { parts @include(if: true) { label } } }",
]


def _answer(
    executor: type[StrawberryGraphQLCoreExecutionContext],
    document: str,
    query: type = Query,
    config: StrawberryConfig | None = None,
) -> Any:
    schema = strawberry.Schema(query=query, execution_context_class=executor, config=config)
    result = schema.execute_sync(document)
    errors = sorted((error.message, tuple(error.path or ())) for error in result.errors or [])
    return result.data, errors


@pytest.mark.parametrize("document", DOCUMENTS)
def test_plain_values_complete_as_graphql_core_completes_them(document: str) -> None:
    assert _answer(PlainValueExecutor, document) == _answer(
        StrawberryGraphQLCoreExecutionContext, document
    )


def test_enums_lists_and_nulls_come_out_by_name() -> None:
    data, errors = _answer(PlainValueExecutor, "{ cells { name colors ratios } }")
    assert errors == [("Float cannot represent non numeric value: inf", ("cells", 1, "ratios", 0))]
    assert data == {
        "cells": [
            {"name": "a", "colors": ["RED", None, "GREEN", "RED"], "ratios": [0.5, None, 1.0]},
            {"name": "b", "colors": [], "ratios": [None]},
        ]
    }


class CountingExecutor(PlainValueExecutor):
    """Counts the objects whose fields are executed the general way, one by one."""

    general: int = 0

    def execute_fields(self, *args: Any, **kwargs: Any) -> Any:
        CountingExecutor.general += 1
        return super().execute_fields(*args, **kwargs)


def test_lists_of_objects_within_lists_of_objects_are_completed_in_one_step() -> None:
    CountingExecutor.general = 0
    data, errors = _answer(
        CountingExecutor, "{ goodCells { name parts { label colors } requiredParts { weight } } }"
    )
    assert errors == []
    assert data["goodCells"][2]["parts"] == [
        {"label": "light", "colors": ["RED", None]},
        None,
        {"label": "heavy", "colors": []},
    ]
    assert CountingExecutor.general == 1  # the query's own fields


def test_a_field_error_in_a_nested_object_is_reported_at_its_path() -> None:
    data, errors = _answer(PlainValueExecutor, "{ goodCells { parts { label broken } } }")
    assert ("no weight for light", ("goodCells", 0, "parts", 0, "broken")) in errors
    assert data["goodCells"][0]["parts"] == [None, None, None]


@strawberry.type
class Row:
    label: str
    weights: list[float | None]


@strawberry.type
class Table:
    rows: list[Row]


@strawberry.type
class TableQuery:
    @strawberry.field
    def table(self) -> Table:
        rows = [{"label": "a", "weights": [1.0, None]}, {"label": "b", "weights": []}]
        return cast(Table, {"rows": rows})  # read by the schema's own default resolver, by key


def test_a_schema_with_its_own_default_resolver_is_read_with_it() -> None:
    config = StrawberryConfig(default_resolver=getitem)
    document = "{ table { rows { label weights } } }"
    answer = _answer(PlainValueExecutor, document, TableQuery, config)
    assert answer == _answer(StrawberryGraphQLCoreExecutionContext, document, TableQuery, config)
    assert answer == (
        {
            "table": {
                "rows": [{"label": "a", "weights": [1.0, None]}, {"label": "b", "weights": []}]
            }
        },
        [],
    )
