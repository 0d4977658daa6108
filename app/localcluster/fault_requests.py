"""The fault endpoint's body (`POST /_local/faults`): parsed and validated whole before anything
changes, so a bad body is a 400 that leaves the cluster as it was."""

from __future__ import annotations

import enum
from typing import Any

from app.localcluster.cluster import Cluster
from app.localcluster.errors import bad_request, shown
from app.localcluster.faults import DelayRequests, FailRequests, FaultRule, InvalidFault


class ClusterAction(enum.StrEnum):
    CLEAR = "clear"
    DROP_WATCHES = "drop_watches"
    COMPACT = "compact"


FaultRequest = FaultRule | ClusterAction

_RULE_FIELDS: dict[str, tuple[type[FaultRule], frozenset[str], frozenset[str]]] = {
    # action: (rule, required fields, optional fields)
    "fail_requests": (
        FailRequests,
        frozenset(),
        frozenset({"count", "status", "path_contains", "method"}),
    ),
    "delay_requests": (
        DelayRequests,
        frozenset({"seconds"}),
        frozenset({"count", "path_contains", "method"}),
    ),
}
ACTIONS = sorted([*_RULE_FIELDS, *ClusterAction])


def parse_fault_request(body: Any) -> FaultRequest:
    """Raises a 400 `ApiError` that says what is wrong."""
    if not isinstance(body, dict):
        raise bad_request("the body of the request must be a JSON object")
    fields = dict(body)
    action = fields.pop("action", None)
    if not isinstance(action, str) or action not in ACTIONS:
        raise bad_request(f"action must be one of {', '.join(ACTIONS)}; got {shown(action)}")
    if action not in _RULE_FIELDS:
        _refuse_unknown(action, fields, frozenset())
        return ClusterAction(action)
    rule, required, optional = _RULE_FIELDS[action]
    _refuse_unknown(action, fields, required | optional)
    missing = sorted(required - fields.keys())
    if missing:
        raise bad_request(f"{action} requires {', '.join(missing)}")
    try:
        return rule(**fields)
    except InvalidFault as error:
        raise bad_request(f"invalid {action}: {error}") from None


def apply_fault_request(cluster: Cluster, request: FaultRequest) -> None:
    if isinstance(request, FailRequests | DelayRequests):
        cluster.faults.add(request)
    elif request is ClusterAction.CLEAR:
        cluster.faults.clear()
    elif request is ClusterAction.DROP_WATCHES:
        cluster.drop_watches()
    else:
        cluster.compact()


def _refuse_unknown(action: str, fields: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(shown(key) for key in fields.keys() - allowed)
    if unknown:
        accepted = ", ".join(sorted(allowed)) or "no other fields"
        raise bad_request(
            f"unknown field(s) for {action}: {', '.join(unknown)} (accepted: {accepted})"
        )
