"""Where checker pods report, exactly as Kuberhealthy's v2 (`/externalCheckStatus`) and v3
(`/check`) endpoints answer them. Identifying and recording a report is the intake's job; this
module turns HTTP into claims and verdicts into status codes."""

from __future__ import annotations

from typing import Any, assert_never

from litestar import Request, Response, get, post
from litestar.enums import MediaType
from litestar.handlers import HTTPRouteHandler

from app.domain.manifest import RUN_ID_QUERY_PARAMETER, RUN_SECRET_QUERY_PARAMETER
from app.domain.report_identity import RUN_ID_HEADER, ReportClaims
from app.runtime import Runtime
from app.services.report_batcher import ReportBatcher
from app.services.report_intake import ReportIntake
from app.services.reports import Verdict

REPORT_PATHS = ["/check", "/externalCheckStatus"]


def http_status(verdict: Verdict) -> int:
    """Kuberhealthy's answers: clients stop retrying on 400; v3 answers a late report with 410."""
    match verdict:
        case Verdict.ACCEPTED:
            return 200
        case Verdict.TOO_LATE:
            return 410
        case (
            Verdict.INVALID
            | Verdict.UNIDENTIFIED
            | Verdict.UNKNOWN_RUN
            | Verdict.NOT_STARTED
            | Verdict.ALREADY_DECIDED
        ):
            return 400
        case _:
            assert_never(verdict)


def claims_of(request: Request[Any, Any, Any]) -> ReportClaims:
    return ReportClaims(
        header_run_id=request.headers.get(RUN_ID_HEADER),
        url_run_id=request.query_params.get(RUN_ID_QUERY_PARAMETER),
        url_secret=request.query_params.get(RUN_SECRET_QUERY_PARAMETER),
        source=request.client.host if request.client else None,
    )


def report_handlers(runtime: Runtime, batcher: ReportBatcher) -> list[HTTPRouteHandler]:
    intake = ReportIntake(
        session_factory=runtime.session_factory,
        keyring=runtime.keyring,
        ip_fallback=runtime.settings.report_ip_fallback,
        max_bytes=runtime.settings.report_max_bytes,
        batcher=batcher,
    )

    @get(REPORT_PATHS, media_type=MediaType.TEXT, sync_to_thread=False)
    def reporting_endpoint_is_up() -> str:
        # Several official checks GET the URL first to wait until Patrol is reachable.
        return "OK"

    # The body limit is enforced by the intake rather than by Litestar: its 413 would make
    # Kuberhealthy's Go client retry for 30 s, while a 400 tells it to stop.
    @post(REPORT_PATHS, status_code=200, request_max_body_size=None)
    async def receive_report(request: Request[Any, Any, Any]) -> Response[str]:
        result = await intake.receive(claims_of(request), request.stream())
        text = "OK" if result.verdict is Verdict.ACCEPTED else result.message
        return Response(text, status_code=http_status(result.verdict), media_type=MediaType.TEXT)

    return [reporting_endpoint_is_up, receive_report]
