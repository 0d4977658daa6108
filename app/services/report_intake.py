"""Receiving one checker report: tell which run it proves it is for, parse it, record it.
Every refusal is counted and logged here, once, and never with the report's secret."""

from __future__ import annotations

import time
from collections.abc import AsyncIterable
from dataclasses import dataclass

from app.db import SessionFactory
from app.domain.report import InvalidReport, parse_report
from app.domain.report_identity import IpFallback, ReportClaims, Unidentified
from app.keyring import Keyring
from app.logging import get_logger
from app.metrics import REPORT_LATENCY, REPORTS
from app.services.report_batcher import ReportBatcher
from app.services.report_identity import identify_report
from app.services.reports import ReportResult, Verdict

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ReportIntake:
    session_factory: SessionFactory
    keyring: Keyring
    ip_fallback: IpFallback
    max_bytes: int
    batcher: ReportBatcher

    async def receive(self, claims: ReportClaims, body: AsyncIterable[bytes]) -> ReportResult:
        started = time.perf_counter()
        result = await self._settle(claims, body)
        REPORTS.labels(result=result.verdict.value).inc()
        REPORT_LATENCY.labels(result=result.verdict.value).observe(time.perf_counter() - started)
        if result.verdict is not Verdict.ACCEPTED:
            log.info(
                "report refused",
                verdict=result.verdict.value,
                reason=result.message,
                source=claims.source,
                run_id=str(result.run_id) if result.run_id else None,
            )
        return result

    async def _settle(self, claims: ReportClaims, body: AsyncIterable[bytes]) -> ReportResult:
        identity = await identify_report(
            claims,
            keyring=self.keyring,
            ip_fallback=self.ip_fallback,
            session_factory=self.session_factory,
        )
        if isinstance(identity, Unidentified):
            return ReportResult(Verdict.UNIDENTIFIED, identity.reason, identity.claimed_run_id)
        try:
            report = parse_report(await _read_at_most(body, self.max_bytes))
        except InvalidReport as error:
            return ReportResult(Verdict.INVALID, str(error), identity)
        return await self.batcher.record(identity, report)


async def _read_at_most(chunks: AsyncIterable[bytes], max_bytes: int) -> bytes:
    body = bytearray()
    async for chunk in chunks:
        body.extend(chunk)
        if len(body) > max_bytes:
            raise InvalidReport(f"report body exceeds {max_bytes} bytes")
    return bytes(body)
