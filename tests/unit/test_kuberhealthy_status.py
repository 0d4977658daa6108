"""Kuberhealthy's status JSON and metrics, field by field against golden examples (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from app.domain.kuberhealthy.metrics import render_kuberhealthy_metrics
from app.domain.kuberhealthy.status import CheckState, rfc3339, status_document
from app.domain.run_lifecycle import RunStatus

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
RUN_A = uuid.UUID("aaaaaaaa-0000-4000-8000-000000000001")
RUN_B = uuid.UUID("bbbbbbbb-0000-4000-8000-000000000002")
RUN_C = uuid.UUID("cccccccc-0000-4000-8000-000000000003")

PASSING = CheckState(
    namespace="kuberhealthy",
    name="deployment",
    cluster="prod",
    one_shot=False,
    last_success_at=NOW - timedelta(seconds=90),
    last_run_id=RUN_A,
    last_run_status=RunStatus.SUCCEEDED,
    last_run_started_at=NOW - timedelta(seconds=112, microseconds=512279),
    last_run_finished_at=NOW - timedelta(seconds=90),
    node="node-1",
)
FAILING = CheckState(
    namespace="kuberhealthy",
    name="http",
    cluster="prod",
    one_shot=False,
    consecutive_failures=3,
    last_success_at=NOW - timedelta(hours=1),
    last_run_id=RUN_B,
    last_run_status=RunStatus.FAILED,
    last_run_started_at=NOW - timedelta(seconds=61),
    last_run_finished_at=NOW - timedelta(seconds=60),
    last_run_errors=('GET "http://google.com" answered 503', "1 of 3 requests passed"),
    node="node-2",
)
TIMED_OUT_JOB = CheckState(
    namespace="default",
    name="kh-test-job",
    cluster="prod",
    one_shot=True,
    consecutive_failures=1,
    last_run_id=RUN_C,
    last_run_status=RunStatus.TIMED_OUT,
    last_run_started_at=NOW - timedelta(minutes=5),
    last_run_finished_at=NOW - timedelta(minutes=3),
)
NEVER_RUN = CheckState(namespace="other", name="fresh", cluster="prod", one_shot=False)


def test_the_status_json_has_kuberhealthys_v2_shape_field_by_field() -> None:
    document = status_document(
        [PASSING, FAILING, TIMED_OUT_JOB, NEVER_RUN],
        current_master="patrol-api-7d9f",
        with_cluster_in_key=False,
    )
    assert document == {
        "OK": False,
        "Errors": [
            "Check execution error: default/kh-test-job: timed out waiting for checker pod to report in",
            'GET "http://google.com" answered 503',
            "1 of 3 requests passed",
        ],
        "CheckDetails": {
            "kuberhealthy/deployment": {
                "OK": True,
                "Errors": [],
                "RunDuration": "22.512279s",
                "Namespace": "kuberhealthy",
                "Node": "node-1",
                "LastRun": "2026-11-26T11:58:07.487721Z",
                "AuthoritativePod": "patrol-api-7d9f",
                "uuid": str(RUN_A),
            },
            "kuberhealthy/http": {
                "OK": False,
                "Errors": ['GET "http://google.com" answered 503', "1 of 3 requests passed"],
                "RunDuration": "1s",
                "Namespace": "kuberhealthy",
                "Node": "node-2",
                "LastRun": "2026-11-26T11:58:59Z",
                "AuthoritativePod": "patrol-api-7d9f",
                "uuid": str(RUN_B),
            },
            "other/fresh": {
                "OK": True,
                "Errors": [],
                "RunDuration": "",
                "Namespace": "other",
                "Node": "",
                "LastRun": "0001-01-01T00:00:00Z",
                "AuthoritativePod": "patrol-api-7d9f",
                "uuid": "",
            },
        },
        "JobDetails": {
            "default/kh-test-job": {
                "OK": False,
                "Errors": [
                    "Check execution error: default/kh-test-job: timed out waiting for checker pod to report in"
                ],
                "RunDuration": "2m0s",
                "Namespace": "default",
                "Node": "",
                "LastRun": "2026-11-26T11:55:00Z",
                "AuthoritativePod": "patrol-api-7d9f",
                "uuid": str(RUN_C),
            }
        },
        "CurrentMaster": "patrol-api-7d9f",
        "Metadata": {},
    }


def test_several_clusters_put_the_cluster_in_the_key_and_all_passing_is_ok() -> None:
    staging = CheckState(
        namespace="kuberhealthy", name="deployment", cluster="staging", one_shot=False
    )
    document = status_document([PASSING, staging], current_master="m", with_cluster_in_key=True)
    assert list(document["CheckDetails"]) == [
        "prod/kuberhealthy/deployment",
        "staging/kuberhealthy/deployment",
    ]
    assert document["OK"] is True and document["Errors"] == []


def test_times_are_rfc3339_in_utc() -> None:
    assert rfc3339(datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC)) == "2026-01-02T03:04:05.12Z"
    assert rfc3339(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    assert rfc3339(None) == "0001-01-01T00:00:00Z"


GOLDEN_METRICS = """\
# HELP kuberhealthy_running Shows if kuberhealthy is running error free
# TYPE kuberhealthy_running gauge
kuberhealthy_running{current_master="patrol-api-7d9f"} 1
# HELP kuberhealthy_cluster_state Shows the status of the cluster
# TYPE kuberhealthy_cluster_state gauge
kuberhealthy_cluster_state{cluster="prod"} 0
kuberhealthy_cluster_state{cluster="staging"} 1
# HELP kuberhealthy_check Shows the status of a Kuberhealthy check
# TYPE kuberhealthy_check gauge
kuberhealthy_check{check="kuberhealthy/deployment",namespace="kuberhealthy",status="1",error="",cluster="prod"} 1
kuberhealthy_check{check="kuberhealthy/http",namespace="kuberhealthy",status="0",error="GET 'http://google.com' answered 503|1 of 3 requests passed",cluster="prod"} 0
# HELP kuberhealthy_check_duration_seconds Shows the check run duration of a Kuberhealthy check
# TYPE kuberhealthy_check_duration_seconds gauge
kuberhealthy_check_duration_seconds{check="kuberhealthy/deployment",namespace="kuberhealthy",cluster="prod"} 22.512279
kuberhealthy_check_duration_seconds{check="kuberhealthy/http",namespace="kuberhealthy",cluster="prod"} 1.000000
# HELP kuberhealthy_job Shows the status of a Kuberhealthy job
# TYPE kuberhealthy_job gauge
kuberhealthy_job{check="default/kh-test-job",namespace="default",status="0",error="Check execution error: default/kh-test-job: timed out waiting for checker pod to report in",cluster="prod"} 0
# HELP kuberhealthy_job_duration_seconds Shows the job run duration of a Kuberhealthy job
# TYPE kuberhealthy_job_duration_seconds gauge
kuberhealthy_job_duration_seconds{check="default/kh-test-job",namespace="default",cluster="prod"} 120.000000
# HELP kuberhealthy_check_consecutive_failures Number of consecutive failed runs of a check
# TYPE kuberhealthy_check_consecutive_failures gauge
kuberhealthy_check_consecutive_failures{check="default/kh-test-job",namespace="default",cluster="prod"} 1
kuberhealthy_check_consecutive_failures{check="kuberhealthy/deployment",namespace="kuberhealthy",cluster="prod"} 0
kuberhealthy_check_consecutive_failures{check="kuberhealthy/http",namespace="kuberhealthy",cluster="prod"} 3
# HELP kuberhealthy_check_seconds_since_success Seconds since the check last succeeded
# TYPE kuberhealthy_check_seconds_since_success gauge
kuberhealthy_check_seconds_since_success{check="kuberhealthy/deployment",namespace="kuberhealthy",cluster="prod"} 90.000000
kuberhealthy_check_seconds_since_success{check="kuberhealthy/http",namespace="kuberhealthy",cluster="prod"} 3600.000000
"""


def test_the_metrics_have_kuberhealthys_names_labels_and_help_plus_a_cluster_label() -> None:
    text = render_kuberhealthy_metrics(
        [FAILING, TIMED_OUT_JOB, PASSING],
        ["staging", "prod"],
        current_master="patrol-api-7d9f",
        now=NOW,
    )
    assert text == GOLDEN_METRICS


def test_label_values_are_escaped_for_the_exposition_format() -> None:
    state = CheckState(
        namespace="ns",
        name="x",
        cluster="c",
        one_shot=False,
        last_run_status=RunStatus.FAILED,
        last_run_errors=("line one\nline \\two",),
    )
    text = render_kuberhealthy_metrics([state], ["c"], current_master="m", now=NOW)
    assert 'error="line one\\nline \\\\two"' in text
