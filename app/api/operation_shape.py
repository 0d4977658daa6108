"""What a GraphQL operation asks for, measured from its document alone, before anything runs:
how deep it nests, how many aliases it uses, and what it would cost.

The cost model: every field costs 1 (those that may be large 50: FIELD_COSTS), and a list multiplies
what is selected under it by how many items it may hold: a paginated field (one with `first`) by
its page size (the default page size when absent), any other list of objects by LIST_SIZES (a
run's logs 2, its events 20) or else ASSUMED_LIST_SIZE (10: a check's clusters, ...). A
connection's `edges` and `nodes` are its page, already counted. `__schema` and `__type` cost
INTROSPECTION_COST each, whatever they select (graphql-core's own rule bounds how deep
introspection may go). So `runs(first: 50) { nodes { id status logs { content } } }` costs
1 + 50 * (1 + 1 + 1 + 2 * 50) = 5,201 of the default budget of 10,000.

Separately, a response name may merge at most MAX_FIELD_REPEATS fields (counting fragments and the
copies of the fields around it): graphql-core's overlap rule compares every two of them.
Fragments are measured once each, so the walk is linear in the document, fragment bombs included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
)

from app.api.errors import QueryTooComplex, QueryTooDeep
from app.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# What a list that takes no `first` is assumed to hold, e.g. a check's clusters...
ASSUMED_LIST_SIZE = 10
# ... unless known better: a pod has a container or two, and a score of events.
LIST_SIZES: dict[tuple[str | None, str], int] = {("Run", "logs"): 2, ("Run", "events"): 20}
# Leaves that may each hold hundreds of KiB: a container's log and a pod spec (256 KiB each), a
# run's errors (100 of 4 KiB), a mutation's arguments.
LARGE_FIELD_COST = 50
FIELD_COSTS: dict[tuple[str | None, str], int] = {
    ("RunLog", "content"): LARGE_FIELD_COST,
    ("Check", "podSpec"): LARGE_FIELD_COST,
    ("Run", "errors"): LARGE_FIELD_COST,
    ("AuditRecord", "arguments"): LARGE_FIELD_COST,
}
INTROSPECTION_COST = 1_000
# The same field (or alias) selected more often than this in one selection set, counting those
# merged in from fragments, is refused. Fragments of a screen often share an `id` or two.
MAX_FIELD_REPEATS = 20
# Fragments spread inside fragments inside ...: far beyond any real document, and it keeps the
# measuring walk's recursion bounded.
MAX_FRAGMENT_NESTING = 32


@dataclass(frozen=True)
class Shape:
    """What an operation (or a part of it) asks for."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0

    def beside(self, other: Shape) -> Shape:
        return Shape(
            max(self.depth, other.depth), self.aliases + other.aliases, self.cost + other.cost
        )


def measure(
    document: DocumentNode, schema: GraphQLSchema, variables: Mapping[str, Any], *, max_depth: int
) -> Shape:
    """The deepest, most aliased and costliest of the document's operations. Raises QueryTooDeep
    as soon as any path nests deeper than `max_depth`."""
    return _Measure(document, schema, variables, max_depth).document()


class _Merged:
    """What fields of one response name merge, as execution merges them: how many field nodes
    (counting those merged in from fragments), and the fields their selections merge in turn."""

    __slots__ = ("children", "count")

    def __init__(self) -> None:
        self.count = 0
        self.children: dict[str, _Merged] = {}


Merged = dict[str, _Merged]


class _Measure:
    def __init__(
        self,
        document: DocumentNode,
        schema: GraphQLSchema,
        variables: Mapping[str, Any],
        max_depth: int,
    ) -> None:
        self.document_node = document
        self.schema = schema
        self.max_depth = max_depth
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.page_sizes = _page_size_variables(document, variables)
        self.shapes: dict[str, tuple[Shape, Merged]] = {}
        self.measuring: set[str] = set()

    def document(self) -> Shape:
        worst = Shape()
        for definition in self.document_node.definitions:
            if isinstance(definition, OperationDefinitionNode):
                root = self.schema.get_root_type(definition.operation)
                shape = self.gather(definition.selection_set, root, 0, 0, {}, introspection=False)
                worst = Shape(
                    max(worst.depth, shape.depth),
                    max(worst.aliases, shape.aliases),
                    max(worst.cost, shape.cost),
                )
        return worst

    def gather(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        depth: int,
        nesting: int,
        merged: Merged,
        *,
        introspection: bool,
    ) -> Shape:
        """The shape of a selection set, `depth` fields deep and inside `nesting` fragments;
        the fields it selects (its own and its fragments') are merged into `merged`.
        Introspection counts only aliases and merged fields."""
        shape = Shape()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                entry = _merge_field(merged, (selection.alias or selection.name).value, 1)
                field = self.field(selection, parent, depth, nesting, entry.children, introspection)
                shape = shape.beside(field)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                inline = self.gather(
                    selection.selection_set,
                    inner,
                    depth,
                    nesting,
                    merged,
                    introspection=introspection,
                )
                shape = shape.beside(inline)
            elif isinstance(selection, FragmentSpreadNode):
                fragment, fragment_fields = self.fragment(selection.name.value, nesting + 1)
                if not introspection and depth + fragment.depth > self.max_depth:
                    raise self.too_deep()
                _merge_fields(merged, fragment_fields)
                shape = shape.beside(fragment)
        return shape

    def field(
        self,
        node: FieldNode,
        parent: GraphQLNamedType | None,
        depth: int,
        nesting: int,
        merged: Merged,
        introspection: bool,
    ) -> Shape:
        name, aliases = node.name.value, 1 if node.alias else 0
        if not introspection and depth + 1 > self.max_depth:
            raise self.too_deep()
        if node.selection_set is None:
            if introspection or name == "__typename":
                return Shape(1, aliases, 0)
            return Shape(1, aliases, FIELD_COSTS.get((_name(parent), name), 1))
        if introspection or name in ("__schema", "__type"):
            inner = self.gather(
                node.selection_set, None, depth + 1, nesting, merged, introspection=True
            )
            cost = 0 if introspection else INTROSPECTION_COST
            return Shape(1, aliases + inner.aliases, cost)
        definition = _field_definition(parent, name)
        inner_type = None if definition is None else get_named_type(definition.type)
        inner = self.gather(
            node.selection_set, inner_type, depth + 1, nesting, merged, introspection=False
        )
        items = self.items(node, definition, parent)
        return Shape(1 + inner.depth, aliases + inner.aliases, 1 + items * inner.cost)

    def fragment(self, name: str, nesting: int) -> tuple[Shape, Merged]:
        """A fragment's shape, and the fields it merges in where it is spread, do not depend on
        where that is: measured once."""
        if name in self.shapes:
            return self.shapes[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.measuring:
            return Shape(), {}  # unknown or cyclic: validation reports it
        if nesting > MAX_FRAGMENT_NESTING:
            raise QueryTooDeep(
                f"the operation spreads fragments {nesting} levels deep; "
                f"at most {MAX_FRAGMENT_NESTING}"
            )
        self.measuring.add(name)
        condition = definition.type_condition.name.value
        merged: Merged = {}
        shape = self.gather(
            definition.selection_set,
            self.schema.get_type(condition),
            0,
            nesting,
            merged,
            introspection=condition.startswith("__"),
        )
        self.measuring.discard(name)
        self.shapes[name] = (shape, merged)
        return shape, merged

    def items(
        self, node: FieldNode, definition: GraphQLField | None, parent: GraphQLNamedType | None
    ) -> int:
        """How many items of what `node` selects the field may return."""
        if definition is None:
            return 1
        if "first" in definition.args:
            return self.page_size(node)
        field_type = get_nullable_type(definition.type)
        if not (is_list_type(field_type) and is_composite_type(get_named_type(field_type))):
            return 1
        if _field_definition(parent, "pageInfo") is not None:
            return 1  # a connection's edges or nodes: its page, counted by `first`
        return LIST_SIZES.get((_name(parent), node.name.value), ASSUMED_LIST_SIZE)

    def page_size(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return _clamped_page_size(value.value)
            if isinstance(value, VariableNode):
                return self.page_sizes.get(value.name.value, DEFAULT_PAGE_SIZE)
        return DEFAULT_PAGE_SIZE

    def too_deep(self) -> QueryTooDeep:
        return QueryTooDeep(
            f"the operation nests fields more than {self.max_depth} levels deep; "
            f"at most {self.max_depth}"
        )


def _merge_field(merged: Merged, name: str, count: int) -> _Merged:
    """Validation compares every two fields a response name merges, and what they select in
    turn: a few hundred of them took seconds."""
    entry = merged.get(name)
    if entry is None:
        entry = merged[name] = _Merged()
    entry.count += count
    if entry.count > MAX_FIELD_REPEATS:
        raise QueryTooComplex(
            f"the operation selects `{name}` {amount(entry.count)} times in one place (counting "
            f"fragments and the fields it is nested in); at most {MAX_FIELD_REPEATS}"
        )
    return entry


def _merge_fields(into: Merged, fields: Merged) -> None:
    stack = [(into, fields)]
    while stack:
        target, source = stack.pop()
        for name, field in source.items():
            entry = _merge_field(target, name, field.count)
            stack.append((entry.children, field.children))


def _name(parent: GraphQLNamedType | None) -> str | None:
    return None if parent is None else parent.name


def _field_definition(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
        return cast(GraphQLField | None, parent.fields.get(name))
    return None


def _page_size_variables(document: DocumentNode, variables: Mapping[str, Any]) -> dict[str, int]:
    """The page size each variable stands for: its value, else its default; the largest of
    them when several operations declare it."""
    sizes: dict[str, int] = {}
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        for declared in definition.variable_definitions or ():
            name = declared.variable.name.value
            value = variables.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                size = _clamped_page_size(value)
            elif isinstance(declared.default_value, IntValueNode):
                size = _clamped_page_size(declared.default_value.value)
            else:
                size = DEFAULT_PAGE_SIZE
            sizes[name] = max(size, sizes.get(name, 0))
    return sizes


def _clamped_page_size(value: int | str) -> int:
    """Out-of-range page sizes are refused when the field resolves; cost what they could be."""
    try:
        number = int(value)
    except ValueError:
        return MAX_PAGE_SIZE
    return max(0, min(number, MAX_PAGE_SIZE))


def amount(cost: int) -> str:
    return f"{cost:,}" if cost < 10**15 else f"more than {10**15:,}"
