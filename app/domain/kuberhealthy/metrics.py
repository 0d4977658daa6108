"""Kuberhealthy's Prometheus series, with the names, labels and help texts of v2 (and v3's
gauges), each per-check series with a `cluster` label. Counters and the run-duration histogram
are counted as runs are decided (see app/metrics.py)."""

from __future__ import annotations

from datetime import datetime

from app.domain.kuberhealthy.status import CheckState

LabelSet = tuple[tuple[str, str], ...]


def render_kuberhealthy_metrics(
    states: list[CheckState], clusters: list[str], *, current_master: str, now: datetime
) -> str:
    ordered = sorted(states, key=lambda s: (s.namespace, s.name, s.cluster))
    checks = [state for state in ordered if not state.one_shot]
    jobs = [state for state in ordered if state.one_shot]
    lines: list[str] = []
    _family(
        lines,
        "kuberhealthy_running",
        "Shows if kuberhealthy is running error free",
        [((("current_master", current_master),), "1")],
    )
    _family(
        lines,
        "kuberhealthy_cluster_state",
        "Shows the status of the cluster",
        [
            ((("cluster", cluster),), _flag(all(s.ok for s in ordered if s.cluster == cluster)))
            for cluster in sorted(clusters)
        ],
    )
    for kind, states in (("check", checks), ("job", jobs)):
        _family(
            lines,
            f"kuberhealthy_{kind}",
            f"Shows the status of a Kuberhealthy {kind}",
            [(_status_labels(state), _flag(state.ok)) for state in states],
        )
        _family(
            lines,
            f"kuberhealthy_{kind}_duration_seconds",
            f"Shows the {kind} run duration of a Kuberhealthy {kind}",
            [
                (
                    _check_labels(state),
                    f"{state.run_duration.total_seconds() if state.run_duration else 0.0:f}",
                )
                for state in states
            ],
        )
    _family(
        lines,
        "kuberhealthy_check_consecutive_failures",
        "Number of consecutive failed runs of a check",
        [(_check_labels(state), str(state.consecutive_failures)) for state in ordered],
    )
    _family(
        lines,
        "kuberhealthy_check_seconds_since_success",
        "Seconds since the check last succeeded",
        [
            (_check_labels(state), f"{(now - state.last_success_at).total_seconds():f}")
            for state in ordered
            if state.last_success_at is not None
        ],
    )
    return "".join(lines)


def error_label(errors: list[str]) -> str:
    """Errors joined with `|`, double quotes made single, as Kuberhealthy writes them."""
    return "|".join(errors).replace('"', "'")


def _status_labels(state: CheckState) -> LabelSet:
    return (
        ("check", state.key),
        ("namespace", state.namespace),
        ("status", _flag(state.ok)),
        ("error", error_label(state.errors)),
        ("cluster", state.cluster),
    )


def _check_labels(state: CheckState) -> LabelSet:
    return (("check", state.key), ("namespace", state.namespace), ("cluster", state.cluster))


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _family(
    lines: list[str], name: str, help_text: str, samples: list[tuple[LabelSet, str]]
) -> None:
    lines.append(f"# HELP {name} {help_text}\n# TYPE {name} gauge\n")
    for labels, value in samples:
        rendered = ",".join(f'{key}="{_escape(text)}"' for key, text in labels)
        lines.append(f"{name}{{{rendered}}} {value}\n")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
