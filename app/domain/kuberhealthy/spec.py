"""A check as a Kuberhealthy manifest describes it, in Patrol's terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any


@dataclass(frozen=True, kw_only=True)
class CheckSpec:
    """What a manifest says about one check. `run_interval` None: a one-shot check (a
    KuberhealthyJob, or a HealthCheck with `singleRunOnly`), run once when it is created."""

    name: str
    namespace: str
    timeout: timedelta
    run_interval: timedelta | None
    pod_spec: dict[str, Any]
    extra_labels: dict[str, str] = field(default_factory=dict)
    extra_annotations: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def one_shot(self) -> bool:
        return self.run_interval is None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"
