"""Where checker pods report, exactly as Kuberhealthy's v2 (`/externalCheckStatus`) and v3
(`/check`) endpoints answer them."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.enums import MediaType
from litestar.handlers import HTTPRouteHandler

from app.domain.manifest import RUN_ID_QUERY_PARAMETER
from app.domain.report import InvalidReport, parse_report
from app.logging import get_logger
from app.metrics import REPORTS
from app.runtime import Runtime
from app.services.report_batcher import ReportBatcher
from app.services.reports import Verdict, run_of_pod_ip

log = get_logger(__name__)
REPORT_PATHS = ["/check", "/externalCheckStatus"]
RUN_ID_HEADER = "kh-run-uuid"


class Refused(Exception):
    """The report cannot be matched to a run; answered with 400."""


def _plain(text: str, status: int) -> Response[str]:
    return Response(text, status_code=status, media_type=MediaType.TEXT)


def _parse_run_id(value: str, where: str) -> uuid.UUID:
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise Refused(f"{where} {value!r} is not a run UUID") from None


async def identify_run(runtime: Runtime, request: Request[Any, Any, Any]) -> uuid.UUID:
    """The run a report is for: the header, else the run named in the reporting URL, else the
    undecided run whose pod has the caller's IP (clients that send neither)."""
    header = request.headers.get(RUN_ID_HEADER)
    query = request.query_params.get(RUN_ID_QUERY_PARAMETER)
    from_header = _parse_run_id(header, f"{RUN_ID_HEADER} header") if header else None
    from_url = _parse_run_id(query, "reporting URL run") if query else None
    if from_header and from_url and from_header != from_url:
        raise Refused("the kh-run-uuid header names another run than the reporting URL")
    if from_url:
        return from_url
    source = request.client.host if request.client else None
    async with runtime.session_factory() as session:
        by_ip = await run_of_pod_ip(session, source) if source else None
    if from_header:
        if by_ip is not None and by_ip != from_header:
            raise Refused("the kh-run-uuid header names another run than the reporting pod's")
        return from_header
    if by_ip is None:
        raise Refused(
            f"cannot tell which run this report is for: no {RUN_ID_HEADER} header, no run in the "
            f"URL, and no running checker pod has IP {source}"
        )
    return by_ip


def report_handlers(runtime: Runtime, batcher: ReportBatcher) -> list[HTTPRouteHandler]:
    max_bytes = runtime.settings.report_max_bytes

    @get(REPORT_PATHS, media_type=MediaType.TEXT, sync_to_thread=False)
    def reporting_endpoint_is_up() -> str:
        # Several official checks GET the URL first to wait until Patrol is reachable.
        return "OK"

    # The body limit is enforced here rather than by Litestar: its 413 would make Kuberhealthy's Go
    # client retry for 30 s, while a 400 tells it to stop.
    @post(REPORT_PATHS, status_code=200, request_max_body_size=None)
    async def receive_report(request: Request[Any, Any, Any]) -> Response[str]:
        try:
            report = parse_report(await _bounded_body(request, max_bytes))
            run_id = await identify_run(runtime, request)
        except (InvalidReport, Refused) as error:
            REPORTS.labels(result="rejected").inc()
            return _plain(str(error), 400)
        result = await batcher.record(run_id, report)
        REPORTS.labels(result=result.verdict.name.lower()).inc()
        if result.verdict is not Verdict.ACCEPTED:
            log.info("report refused", run_id=str(run_id), reason=result.message)
            return _plain(result.message, result.verdict.value)
        return _plain("OK", 200)

    return [reporting_endpoint_is_up, receive_report]


async def _bounded_body(request: Request[Any, Any, Any], max_bytes: int) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise InvalidReport(f"report body exceeds {max_bytes} bytes")
    return bytes(body)
