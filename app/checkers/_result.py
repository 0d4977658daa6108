"""The outcome of one check, before it is reported."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    errors: tuple[str, ...] = ()

    @classmethod
    def passed(cls) -> CheckResult:
        return cls(ok=True)

    @classmethod
    def failed(cls, *errors: str) -> CheckResult:
        if not errors or any(not error.strip() for error in errors):
            raise ValueError("a failed check needs at least one non-blank error")
        return cls(ok=False, errors=errors)
