"""Limits on what one GraphQL operation may ask, checked before anything resolves: its size in
tokens, how deep it nests, how many aliases it uses and what it would cost (see
app/api/operation_shape.py), and what its arguments hold; then a time limit on running it. Each
refusal is a GraphQL error with a stable code, logged once as a refusal (app/api/schema.py).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    ListValueNode,
    Node,
    ObjectValueNode,
    StringValueNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.api.errors import OperationTimedOut, QueryTooComplex, QueryTooLarge, TooManyAliases
from app.api.operation_shape import amount, measure
from app.domain.json_nesting import MAX_JSON_DEPTH
from app.errors import InvalidInput, PatrolError
from app.settings import Settings

# PostgreSQL cannot store NUL in text, and no encoding can store a lone surrogate.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True, kw_only=True)
class OperationLimits:
    max_depth: int = 10
    max_aliases: int = 30
    max_cost: int = 10_000
    max_tokens: int = 5_000
    timeout_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> OperationLimits:
        return cls(
            max_depth=settings.graphql_max_depth,
            max_aliases=settings.graphql_max_aliases,
            max_cost=settings.graphql_max_cost,
            max_tokens=settings.graphql_max_tokens,
            timeout_seconds=settings.graphql_timeout_seconds,
        )


def check_operation(
    document: DocumentNode,
    schema: GraphQLSchema,
    variables: Mapping[str, Any],
    limits: OperationLimits,
) -> None:
    """Raise the first limit the document exceeds, or InvalidInput for an argument nested too
    deeply or holding text no database can store. Time is linear in the document's size."""
    _check_literals(document)
    _check_variables(variables)
    shape = measure(document, schema, variables, max_depth=limits.max_depth)
    if shape.aliases > limits.max_aliases:
        raise TooManyAliases(
            f"the operation uses {shape.aliases} aliases; at most {limits.max_aliases}"
        )
    if shape.cost > limits.max_cost:
        raise QueryTooComplex(
            f"the operation would cost {amount(shape.cost)} (page sizes times what each item "
            f"selects); at most {limits.max_cost:,}: ask for smaller pages with `first` and "
            "page with `after`, or select less"
        )


def _nodes(root: Node) -> Iterator[Node]:
    """Every node under `root`, itself included; iterative, so any depth is safe."""
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        yield node
        for key in node.keys:
            if key == "loc":
                continue
            child = getattr(node, key, None)
            if isinstance(child, Node):
                stack.append(child)
            elif isinstance(child, (list, tuple)):
                stack.extend(item for item in child if isinstance(item, Node))


def _check_literals(document: DocumentNode) -> None:
    """Literal arguments obey the JSON nesting limit and hold only storable text."""
    depths: dict[int, int] = {}
    for node in _nodes(document):
        if isinstance(node, (ListValueNode, ObjectValueNode)):
            depth = depths.get(id(node), 0) + 1
            if depth > MAX_JSON_DEPTH:
                raise InvalidInput(f"an argument nests deeper than {MAX_JSON_DEPTH} levels")
            children: list[Node] = (
                list(node.values)
                if isinstance(node, ListValueNode)
                else [field.value for field in node.fields]
            )
            for child in children:
                depths[id(child)] = depth
        elif isinstance(node, StringValueNode) and _UNSTORABLE.search(node.value):
            raise InvalidInput(_UNSTORABLE_MESSAGE)


_UNSTORABLE_MESSAGE = "text may not contain NUL characters or unpaired surrogates"


def _check_variables(variables: Mapping[str, Any]) -> None:
    """Variables obey the JSON nesting limit (the request body did, over HTTP and websockets)
    and hold only storable text. One quick pass; a second one names where the problem is."""
    texts: list[str] = []
    stack: list[tuple[Mapping[Any, Any] | list[Any], int]] = [(variables, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            _locate_variable_problem(variables)
        if isinstance(item, Mapping):
            texts.extend(key for key in item if isinstance(key, str))
            children: Iterable[Any] = item.values()
        else:
            children = item
        for child in children:
            if isinstance(child, str):
                texts.append(child)
            elif isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    if _UNSTORABLE.search("".join(texts)):
        _locate_variable_problem(variables)


def _locate_variable_problem(variables: Mapping[str, Any]) -> None:
    # (value, depth, parent entry, key): the path is spelled out only for the error.
    stack: list[tuple[object, int, Any, object]] = [(variables, 0, None, "variables")]
    while stack:
        entry = stack.pop()
        item, depth = entry[0], entry[1]
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                raise _refused_variable(entry, _UNSTORABLE_MESSAGE)
        elif isinstance(item, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise _refused_variable(entry, f"nests deeper than {MAX_JSON_DEPTH} levels")
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, str) and _UNSTORABLE.search(key):
                    raise _refused_variable(entry, _UNSTORABLE_MESSAGE)
                stack.append((child, depth + 1, entry, key))
    raise InvalidInput(f"variables: {_UNSTORABLE_MESSAGE}")  # not reached: the quick pass found one


def _refused_variable(entry: tuple[object, int, Any, object], problem: str) -> InvalidInput:
    parts: list[str] = []
    while entry is not None:
        key = entry[3]
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
        entry = entry[2]
    where = "".join(reversed(parts))[1:]
    return InvalidInput(f"{where}: {problem}", field=where)


class OperationLimitsExtension(SchemaExtension):
    """Applies OperationLimits to every operation, over every transport."""

    def __init__(self, limits: OperationLimits) -> None:
        self.limits = limits

    def on_operation(self) -> Iterator[None]:
        options = cast(dict[str, Any], self.execution_context.parse_options)
        options["max_lexical_tokens"] = self.limits.max_tokens
        options["max_comments"] = self.limits.max_tokens
        yield

    def on_parse(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or []:
            if "Parsing aborted" in error.message and "contains more than" in error.message:
                error.extensions = {"code": QueryTooLarge.code}

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None:
            try:
                check_operation(
                    document,
                    self.execution_context.schema._schema,
                    self.execution_context.variables or {},
                    self.limits,
                )
            except PatrolError as refusal:
                # Set before validation runs, so Strawberry skips validating (and executing).
                self.execution_context.pre_execution_errors = [
                    GraphQLError(refusal.message, original_error=refusal)
                ]
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
            yield
            return
        try:
            async with asyncio.timeout(self.limits.timeout_seconds):
                yield
        except TimeoutError:
            raise OperationTimedOut(
                f"the operation took longer than {self.limits.timeout_seconds:g} s and was "
                "cancelled; ask for less"
            ) from None
