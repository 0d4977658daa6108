"""Built-in checkers run as check pods (`python -m app.checkers.http|tcp|dns|tls`), and their
reporting client.

Nothing here imports the rest of `app`: a checker image needs only the standard library.
"""

from app.checkers.client import (
    ReportError,
    ReportingEndpointUnavailable,
    ReportingNotConfigured,
    ReportNotDelivered,
    ReportRejected,
    ReportTooLate,
    RetryPolicy,
    report_failure,
    report_success,
    wait_for_reporting_endpoint,
)

__all__ = [
    "ReportError",
    "ReportNotDelivered",
    "ReportRejected",
    "ReportTooLate",
    "ReportingEndpointUnavailable",
    "ReportingNotConfigured",
    "RetryPolicy",
    "report_failure",
    "report_success",
    "wait_for_reporting_endpoint",
]
