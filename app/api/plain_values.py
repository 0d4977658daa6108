"""Plain values completed without graphql-core's per-value machinery. For every field it builds
a resolve info and a path and dispatches on the type, and it completes every list item the same
way: for a status grid of 1,000 checks that is 6,000 fields and 6,000 list items, and was the
larger half of the summary's time. A field read straight from its object's attribute (Strawberry's
basic fields: no resolver, no arguments, no directive, no extension) whose type is a scalar, an
enum or a list of nullable ones gets the same answer in one step; so does a list of objects (not
an interface or a union) all of whose selected fields are such or, in turn, such lists of objects,
in an operation without @defer or @stream. Anything else, and any value that does not coerce, goes
the general way, which also reports errors where they belong."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import isfinite
from operator import attrgetter
from typing import Any

from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
    get_nullable_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import AwaitableOrValue, Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

_GENERAL: Any = object()  # "complete this value the general way"
_PLAIN = frozenset({str, int, float, bool})  # neither an error nor awaitable

# The values graphql-core's built-in scalars return as they are (graphql/type/scalars.py).
_KEPT: dict[Any, Callable[[Any], bool]] = {
    GraphQLString: lambda value: type(value) is str,
    GraphQLID: lambda value: type(value) is str,
    GraphQLBoolean: lambda value: type(value) is bool,
    GraphQLInt: lambda value: type(value) is int and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT,
    GraphQLFloat: lambda value: type(value) is float and isfinite(value),
}

Read = Callable[[Any], Any]  # a field's value, from its object
Complete = Callable[[Any], Any]  # a value's completed form, or _GENERAL


@dataclass(frozen=True, slots=True)
class _Rows:
    """How to complete the items of a list of objects: each selected field's response name,
    reader and completer."""

    required: bool  # items are non-null
    fields: tuple[tuple[str, Read, Complete], ...]


class PlainValueExecutor(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An enum's output name by value, per enum type: Strawberry's coercion compares the value
        # with each member's in turn, every time.
        self._enum_names: dict[GraphQLEnumType, dict[Any, str]] = {}
        # By field node and parent type, and by type (the document and the schema outlive the
        # execution).
        self._fields: dict[tuple[int, int], tuple[Read, GraphQLOutputType] | None] = {}
        self._completers: dict[int, Complete | None] = {}
        self._item_completers: dict[int, Complete | None] = {}
        self._deferring: bool | None = None

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        plain = self._field_of(parent_type, field_details_list)
        if plain is not None:
            read, return_type = plain
            complete = self._completer_of(return_type)
            if complete is not None:
                try:
                    completed = complete(read(source))
                except Exception:  # the general way raises it again, and reports it
                    completed = _GENERAL
                if completed is not _GENERAL:
                    return completed
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Any,
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        if not any(d.node.directives for d in field_details_list):
            if is_leaf_type(item_type):
                complete = self._item_completer_of(item_type)
                completed = _GENERAL if complete is None else complete(items)
            else:
                completed = self._objects(item_type, field_details_list, items)
            if completed is not _GENERAL:
                return completed  # type: ignore[no-any-return]
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )

    def _field_of(
        self, parent_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> tuple[Read, GraphQLOutputType] | None:
        """The reader and type of a field read straight from an attribute, or None."""
        key = (id(field_details_list[0].node), id(parent_type))
        if key not in self._fields:
            node = field_details_list[0].node
            field = self.schema.get_field(parent_type, node.name.value)
            found = None
            if field is not None and not field.args and not node.directives:
                found = (self._reader(field), field.type) if self._is_default(field) else None
            self._fields[key] = found
        return self._fields[key]

    def _is_default(self, field: GraphQLField) -> bool:
        """Whether Strawberry resolves the field by reading its attribute, and nothing wraps it."""
        if field.resolve is None or not getattr(field.resolve, "_is_default", False):
            return False
        manager = self.middleware_manager
        return manager is None or manager.get_field_resolver(field.resolve) is field.resolve

    @staticmethod
    def _reader(field: GraphQLField) -> Read:
        resolve = field.resolve
        assert resolve is not None
        definition = field.extensions.get("strawberry-definition")
        if (
            isinstance(definition, StrawberryField)
            and definition.default_resolver is getattr
            and definition.python_name
        ):
            return attrgetter(definition.python_name)  # what Strawberry's resolver reads
        return lambda source: resolve(source, None)

    def _completer_of(self, return_type: GraphQLOutputType) -> Complete | None:
        """How to complete a scalar, an enum or a list of nullable ones in one step; None for
        other types."""
        key = id(return_type)
        if key not in self._completers:
            self._completers[key] = self._completer(return_type)
        return self._completers[key]

    def _completer(self, return_type: GraphQLOutputType) -> Complete | None:
        required = isinstance(return_type, GraphQLNonNull)
        nullable = get_nullable_type(return_type)
        if is_leaf_type(nullable):
            return self._leaf_completer(nullable, required=required)
        if not isinstance(nullable, GraphQLList):
            return None
        complete_items = self._item_completer_of(nullable.of_type)
        if complete_items is None:
            return None

        def complete_list(value: Any) -> Any:
            if value is None:
                return _GENERAL if required else None
            return complete_items(value)

        return complete_list

    def _item_completer_of(self, item_type: GraphQLOutputType) -> Complete | None:
        """How to complete the items of a list of nullable leaves, or None."""
        key = id(item_type)
        if key not in self._item_completers:
            self._item_completers[key] = (
                self._items_completer(self._leaf_completer(item_type, required=False))
                if is_leaf_type(item_type)
                else None
            )
        return self._item_completers[key]

    @staticmethod
    def _items_completer(complete_item: Complete) -> Complete:
        def complete_items(items: Any) -> Any:
            if type(items) is not list:
                return _GENERAL
            completed: list[Any] = []
            for item in items:
                value = complete_item(item)
                if value is _GENERAL:
                    return _GENERAL
                completed.append(value)
            return completed

        return complete_items

    def _leaf_completer(self, leaf_type: Any, *, required: bool) -> Complete:
        leaf = self._leaf
        kept = _KEPT.get(leaf_type)
        if kept is None:

            def complete_leaf(value: Any) -> Any:
                if value is None:
                    return _GENERAL if required else None
                return leaf(leaf_type, value)

            return complete_leaf

        def complete_kept(value: Any) -> Any:
            if kept(value):
                return value
            if value is None:
                return _GENERAL if required else None
            return leaf(leaf_type, value)

        return complete_kept

    def _objects(self, item_type: Any, field_details_list: FieldDetailsList, items: Any) -> Any:
        """The completed items of a list of objects whose selection is plain, or _GENERAL."""
        rows = self._rows_of(item_type, field_details_list)
        if rows is None or type(items) is not list:
            return _GENERAL
        try:
            return self._rows(rows, items)
        except Exception:  # the general way raises it again, and reports it
            return _GENERAL

    def _rows_of(self, item_type: Any, field_details_list: FieldDetailsList) -> _Rows | None:
        """How to complete the items of a list of objects (no interface, no union) all of whose
        selected fields are plain or lists of such objects in turn, without @defer or @stream
        anywhere; None if they are not all such."""
        required = isinstance(item_type, GraphQLNonNull)
        object_type = item_type.of_type if required else item_type
        if (
            not isinstance(object_type, GraphQLObjectType)
            or object_type.is_type_of is not None
            or any(d.node.directives for d in field_details_list)
            or self._incremental()
        ):
            return None
        grouped_field_set, defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if defer_usages:
            return None
        fields: list[tuple[str, Read, Complete]] = []
        for response_name, details in grouped_field_set.items():
            plain = self._field_of(object_type, details)
            if plain is None:
                return None
            read, return_type = plain
            complete = self._completer_of(return_type)
            if complete is None:
                list_type = get_nullable_type(return_type)
                nested = (
                    self._rows_of(list_type.of_type, details)
                    if isinstance(list_type, GraphQLList)
                    else None
                )
                if nested is None:
                    return None
                complete = self._rows_completer(
                    nested, required=isinstance(return_type, GraphQLNonNull)
                )
            fields.append((response_name, read, complete))
        return _Rows(required, tuple(fields))

    def _rows_completer(self, rows: _Rows, *, required: bool) -> Complete:
        complete_rows = self._rows

        def complete_nested(value: Any) -> Any:
            if value is None:
                return _GENERAL if required else None
            if type(value) is not list:
                return _GENERAL
            return complete_rows(rows, value)

        return complete_nested

    def _rows(self, rows: _Rows, items: list[Any]) -> Any:
        """The completed items, or _GENERAL."""
        completed: list[Any] = []
        fields = rows.fields
        for item in items:
            if item is None:
                if rows.required:
                    return _GENERAL
                completed.append(None)
                continue
            row = {}
            for response_name, read, complete in fields:
                value = complete(read(item))
                if value is _GENERAL:
                    return _GENERAL
                row[response_name] = value
            completed.append(row)
        return completed

    def _incremental(self) -> bool:
        """Whether the operation asks for incremental delivery (@defer or @stream) anywhere."""
        if self._deferring is None:
            nodes: list[Any] = [self.operation, *(f.definition for f in self.fragments.values())]
            self._deferring = False
            while nodes:
                node = nodes.pop()
                if any(d.name.value in ("defer", "stream") for d in node.directives or ()):
                    self._deferring = True
                    break
                selection_set = getattr(node, "selection_set", None)
                if selection_set is not None:
                    nodes.extend(selection_set.selections)
        return self._deferring

    def _leaf(self, leaf_type: Any, value: Any) -> Any:
        """The coerced value of a scalar or an enum, or _GENERAL."""
        if type(value) not in _PLAIN and (isinstance(value, Exception) or self.is_awaitable(value)):
            return _GENERAL
        names = None
        if isinstance(leaf_type, GraphQLEnumType):
            names = self._enum_names.get(leaf_type)
            if names is None:
                names = self._enum_names[leaf_type] = {}
            try:
                known = names.get(value)
            except TypeError:  # unhashable
                return _GENERAL
            if known is not None:
                return known
        try:
            coerced = leaf_type.coerce_output_value(value)
        except Exception:
            return _GENERAL
        if coerced is None or coerced is Undefined:
            return _GENERAL
        if names is not None:
            names[value] = coerced
        return coerced
