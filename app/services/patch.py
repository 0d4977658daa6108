"""A sentinel for partial updates: a field left UNCHANGED keeps its value; None clears it."""

from __future__ import annotations

import enum
from typing import Literal, TypeAlias, TypeVar

T = TypeVar("T")


class _Unchanged(enum.Enum):
    UNCHANGED = enum.auto()

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Literal[_Unchanged.UNCHANGED] = _Unchanged.UNCHANGED
Unchanged: TypeAlias = Literal[_Unchanged.UNCHANGED]


def pick(new: T | Unchanged, current: T) -> T:
    return current if new is UNCHANGED else new
