"""Whether an operation selects a field, so a resolver builds only the objects it will read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.types.nodes import SelectedField, Selection


def selects(info: strawberry.Info[Any, Any], *path: str) -> bool:
    """Whether the field being resolved has a field at `path` (field names, not aliases) in its
    selection, directly or through fragments. @skip and @include are not read: a skipped field
    counts as selected, which costs time but never changes an answer."""
    return any(
        _selects(field.selections, path)
        for field in info.selected_fields
        if isinstance(field, SelectedField)
    )


def _selects(selections: Sequence[Selection], path: Sequence[str]) -> bool:
    name, rest = path[0], path[1:]
    for selection in selections:
        if not isinstance(selection, SelectedField):  # a fragment, spread or inline
            if _selects(selection.selections, path):
                return True
        elif selection.name == name and (not rest or _selects(selection.selections, rest)):
            return True
    return False
