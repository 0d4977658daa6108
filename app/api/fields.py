"""Typed spellings of `strawberry.field/mutation(description=...)`.

Strawberry's overloads type the keyword-only decorator form as Any, which `mypy --strict` rejects
as an untyped decorator; these keep the resolver's own signature visible to the type checker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry

F = TypeVar("F", bound=Callable[..., Any])


def described_field(description: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], strawberry.field(description=description))


def described_mutation(description: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], strawberry.mutation(description=description))
