"""Label selectors over cluster labels (`env=prod`, `tier in (a,b)`, `!canary`), with the
apiserver's matching rules: `!=` and `notin` also match clusters lacking the key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from app.errors import InvalidInput

MAX_SELECTOR_LENGTH = 1024
_KEY = r"[A-Za-z0-9]([A-Za-z0-9./_-]*[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)?"
_SET = re.compile(rf"^\s*({_KEY})\s+(in|notin)\s+\(([^()]*)\)\s*$")
_EQUALITY = re.compile(rf"^\s*({_KEY})\s*(==|!=|=)\s*({_VALUE})\s*$")
_EXISTS = re.compile(rf"^\s*(!?)\s*({_KEY})\s*$")
_VALUE_ONLY = re.compile(rf"^{_VALUE}$")


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: str  # "in", "notin", "exists", "!exists"; equality is "in"/"notin" of one value
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "in":
            return present and labels[self.key] in self.values
        if self.operator == "notin":
            return not present or labels[self.key] not in self.values
        return present if self.operator == "exists" else not present


@dataclass(frozen=True, slots=True)
class ClusterSelector:
    text: str
    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(requirement.matches(labels) for requirement in self.requirements)


def parse_cluster_selector(text: str, *, field: str = "clusterSelector") -> ClusterSelector:
    """The parsed selector; InvalidInput naming the requirement that does not parse. An empty
    selector is refused: it would match every cluster, which is better said by listing them."""
    if len(text) > MAX_SELECTOR_LENGTH:
        raise InvalidInput(f"{field}: at most {MAX_SELECTOR_LENGTH} characters", field=field)
    parts = [part for part in _split(text) if part.strip()]
    if not parts:
        raise InvalidInput(f"{field}: give at least one requirement, e.g. env=prod", field=field)
    return ClusterSelector(text.strip(), tuple(_requirement(part, field) for part in parts))


def _requirement(part: str, field: str) -> Requirement:
    if match := _SET.match(part):
        values = [value.strip() for value in match.group(4).split(",")]
        if not values or not all(value and _VALUE_ONLY.match(value) for value in values):
            raise _unparsable(part, field)
        return Requirement(match.group(1), match.group(3), frozenset(values))
    if match := _EQUALITY.match(part):
        operator = "notin" if match.group(3) == "!=" else "in"
        return Requirement(match.group(1), operator, frozenset({match.group(4)}))
    if match := _EXISTS.match(part):
        return Requirement(match.group(2), "!exists" if match.group(1) else "exists")
    raise _unparsable(part, field)


def _unparsable(part: str, field: str) -> InvalidInput:
    return InvalidInput(
        f"{field}: cannot parse {part.strip()!r} (use key=value, key!=value, key in (a,b), "
        "key notin (a,b), key or !key, joined by commas)",
        field=field,
    )


def _split(text: str) -> list[str]:
    """Commas separate requirements, except inside the parentheses of a set."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts
