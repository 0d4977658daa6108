"""The console's overview with a big fleet, in headless Chromium: how soon it is usable, and how
far live updates lag behind while runs are decided at a steady rate.

Seeds a fresh database in bulk (bench/history_seed.py): `--checks` checks in each of `--clusters`
clusters with a status each, `--runs` decided runs over the last 30 days and 25 hourly rollups per
pair. Serves Patrol's API and console with uvicorn in a child process (as bench.subscription_latency
does), then drives Debian's Chromium with Playwright, signed in with a viewer token:
- load: `--loads` times, a fresh tab opens the overview; "rendered" is navigation to the first
  grid row drawn, "interactive" is navigation to the grid narrowed to one check after typing its
  name into the search box (the first load is also printed alone: nothing cached yet);
- live: with the overview open, decided runs are committed at `--rate` per second for `--seconds`
  seconds, each flipping the status of a cell the page shows (between passing and failing, as the
  workers' decisions do, through the event log and Redis nudge). Lag is the time the cell shows
  the new status (a MutationObserver's clock in the page) minus the time the deciding transaction
  began; a flip never shown is lost.

Run: .venv/bin/python -m bench.console_overview [--checks 1000] [--clusters 3] [--runs 100000]
     [--loads 20] [--rate 30] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from playwright.async_api import Page, async_playwright

from app.domain.run_lifecycle import RunStatus, RunTrigger
from app.models.columns import utcnow
from app.runtime import Runtime
from app.services import history
from app.services.history import RunFacts
from bench.common import bench_runtime, free_port, percentile
from bench.history_seed import seed_fleet, seed_rollups, seed_runs
from bench.subscription_latency import serve_patrol, viewer_token, wait_for_port

CHROMIUM = os.environ.get("PATROL_TEST_CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 1280, "height": 1000}

# Records each cell's status as it changes, with the page's wall clock.
OBSERVE = """
() => {
  window.benchSeen = [];
  const body = document.querySelector('[data-testid="grid-body"]');
  new MutationObserver((records) => {
    const at = Date.now();
    for (const record of records) {
      const cell = record.target;
      const row = cell.closest('[data-check]');
      if (row) window.benchSeen.push([row.dataset.check, cell.dataset.cluster, cell.dataset.status, at]);
    }
  }).observe(body, { subtree: true, attributes: true, attributeFilter: ['data-status'] });
}
"""


# When the largest GraphQL answer (the summary) had arrived, from navigation.
SUMMARY_ANSWERED = """
() => performance.getEntriesByType('resource').filter(e => e.name.endsWith('/graphql'))
  .sort((a, b) => b.encodedBodySize - a.encodedBodySize)[0].responseEnd
"""

# Where a load's time went: each request's start and end, from navigation.
TIMELINE = """
() => [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')]
  .map(e => `${e.name.split('/').pop() || 'page'} ${e.startTime.toFixed(0)}-${e.responseEnd.toFixed(0)}`)
  .join(', ')
"""


@dataclass(frozen=True)
class Cell:
    label: str  # "bench/check-00001"
    check_id: uuid.UUID
    cluster: str
    cluster_id: uuid.UUID


@dataclass
class Flip:
    cell: Cell
    status: str  # what the grid should show: PASSING or FAILING
    began: float  # epoch seconds, before the deciding transaction


def ms(values: list[float]) -> str:
    if not values:
        return "none"
    return (
        f"p50 {percentile(values, 0.5) * 1000:.0f} ms, p95 {percentile(values, 0.95) * 1000:.0f} ms, "
        f"max {max(values) * 1000:.0f} ms"
    )


async def seed(runtime: Runtime, arguments: argparse.Namespace) -> None:
    now = utcnow()
    async with runtime.engine.begin() as connection:
        await seed_fleet(connection, checks=arguments.checks, clusters=arguments.clusters, now=now)
    async with runtime.engine.begin() as connection:
        pairs = arguments.checks * arguments.clusters
        await seed_runs(connection, runs=arguments.runs, pairs=pairs, now=now)
    async with runtime.engine.begin() as connection:
        await seed_rollups(connection, hours=25, now=now)
        await connection.execute(sa.text("ANALYZE"))


async def cells_by_label(runtime: Runtime) -> dict[tuple[str, str], tuple[Cell, str]]:
    """Every (check, cluster) pair with its seeded status."""
    async with runtime.engine.connect() as connection:
        rows = await connection.execute(
            sa.text(
                "SELECT c.namespace, c.name, c.id, k.name, k.id, s.status FROM check_status s "
                'JOIN "check" c ON c.id = s.check_id JOIN cluster k ON k.id = s.cluster_id'
            )
        )
        found = {}
        for namespace, name, check_id, cluster, cluster_id, status in rows.all():
            label = f"{namespace}/{name}"
            cell = Cell(label, uuid.UUID(str(check_id)), cluster, uuid.UUID(str(cluster_id)))
            found[(label, cluster)] = (cell, str(status).upper())
        return found


async def open_overview(page: Page, url: str) -> tuple[float, float, float]:
    """Seconds from navigation to the first row drawn, to the grid answering a search, and from
    the summary's answer to the first row drawn: the page's own clock, checked every frame."""
    await page.goto(f"{url}/#/", wait_until="commit")
    drawn = await page.wait_for_function(
        "() => document.querySelector('[data-testid=\"check-row\"]') && performance.now()",
        polling="raf",
    )
    rendered = float(await drawn.json_value()) / 1000
    answered = float(await page.evaluate(SUMMARY_ANSWERED)) / 1000
    await page.locator("#overview-search").fill("check-00999")
    narrowed = await page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"check-row\"]').length === 1 && "
        "document.querySelector('[data-check=\"bench/check-00999\"]') && performance.now()",
        polling="raf",
    )
    return rendered, float(await narrowed.json_value()) / 1000, rendered - answered


async def summary_over_http(url: str, token: str, times: int) -> list[float]:
    """The page's summary query alone, over HTTP: the part of a load the server spends."""
    document = (
        Path(__file__).parent.parent / "console/src/operations/overview.graphql"
    ).read_text()
    seconds = []
    async with httpx.AsyncClient(
        base_url=url, timeout=60, headers={"authorization": f"Bearer {token}"}
    ) as client:
        for _ in range(times):
            began = time.perf_counter()
            response = await client.post(
                "/graphql",
                json={"query": document, "operationName": "OverviewSummary", "variables": {}},
            )
            assert response.status_code == 200 and "errors" not in response.json(), response.text
            seconds.append(time.perf_counter() - began)
    return seconds


async def decide(runtime: Runtime, flip: Flip) -> None:
    """One decided run of the cell, as a worker's deciding transaction logs it, then the nudge."""
    now = utcnow()
    facts = RunFacts(
        run_id=uuid.uuid4(),
        check_id=flip.cell.check_id,
        cluster_id=flip.cell.cluster_id,
        status=RunStatus.SUCCEEDED if flip.status == "PASSING" else RunStatus.FAILED,
        trigger=RunTrigger.SCHEDULE,
        scheduled_at=now - timedelta(seconds=1),
        started_at=now - timedelta(milliseconds=900),
        finished_at=now,
    )
    async with runtime.session_factory.begin() as session:
        await history.record_decisions(session, [facts], now=now)
    runtime.event_nudges.events_appended()


async def live_lag(
    runtime: Runtime, page: Page, url: str, arguments: argparse.Namespace
) -> tuple[list[float], int, int]:
    await page.goto(f"{url}/#/")
    await page.locator('[data-testid="check-row"]').first.wait_for()
    await page.evaluate(OBSERVE)
    drawn = await page.eval_on_selector_all(
        '[data-testid="check-row"] [data-cluster]',
        "cells => cells.map(c => [c.closest('[data-check]').dataset.check, c.dataset.cluster])",
    )
    known = await cells_by_label(runtime)
    cells = [known[(label, cluster)] for label, cluster in drawn]
    current = {cell: status for cell, status in cells}
    order = [cell for cell, _ in cells]
    flips: list[Flip] = []
    began = time.perf_counter()
    total = int(arguments.rate * arguments.seconds)
    for sequence in range(total):
        await asyncio.sleep(max(0.0, began + sequence / arguments.rate - time.perf_counter()))
        cell = order[sequence % len(order)]
        status = "PASSING" if current[cell] != "PASSING" else "FAILING"
        current[cell] = status
        flip = Flip(cell, status, time.time())
        flips.append(flip)
        await decide(runtime, flip)
    achieved = total / (time.perf_counter() - began)
    # Wait for the last flips to show (or not) before matching.
    await asyncio.sleep(5)
    seen: list[list[Any]] = await page.evaluate("window.benchSeen")
    by_cell: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for label, cluster, status, at in seen:
        by_cell.setdefault((label, cluster), []).append((status, at / 1000))
    lags: list[float] = []
    lost = 0
    next_index: dict[tuple[str, str], int] = {}
    for flip in flips:
        key = (flip.cell.label, flip.cell.cluster)
        observations = by_cell.get(key, [])
        index = next_index.get(key, 0)
        while index < len(observations) and (
            observations[index][0] != flip.status or observations[index][1] < flip.began - 0.05
        ):
            index += 1
        if index == len(observations):
            lost += 1
            continue
        lags.append(max(0.0, observations[index][1] - flip.began))
        next_index[key] = index + 1
    print(f"  published {total} decided runs at {achieved:.1f}/s over {len(order)} cells in view")
    return lags, lost, total


async def main(arguments: argparse.Namespace) -> None:
    load_before = os.getloadavg()[0]
    async with bench_runtime(None, None, "http://127.0.0.1:9") as runtime:
        began = time.perf_counter()
        await seed(runtime, arguments)
        print(
            f"seeded {arguments.checks:,} checks x {arguments.clusters} clusters, "
            f"{arguments.runs:,} runs in {time.perf_counter() - began:.0f} s"
        )
        token = await viewer_token(runtime)
        port = free_port()
        patrol = multiprocessing.Process(
            target=serve_patrol,
            args=(
                port,
                runtime.engine.url.render_as_string(hide_password=False),
                runtime.redis_url,
                runtime.settings.secret_key.get_secret_value(),  # type: ignore[union-attr]
                None,
            ),
            daemon=True,
        )
        patrol.start()
        try:
            await wait_for_port(port)
            url = f"http://127.0.0.1:{port}"
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
                context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
                await context.add_init_script(f"localStorage.setItem('patrol.token', {token!r})")
                rendered, interactive, drawing = [], [], []
                for _ in range(arguments.loads):
                    page = await context.new_page()
                    first, usable, after_answer = await open_overview(page, url)
                    rendered.append(first)
                    interactive.append(usable)
                    drawing.append(after_answer)
                    if arguments.verbose:
                        print(await page.evaluate(TIMELINE))
                    await page.close()
                print(f"load, {arguments.loads} times (the first with nothing cached):")
                print(
                    f"  first load: rendered {rendered[0] * 1000:.0f} ms, "
                    f"interactive {interactive[0] * 1000:.0f} ms"
                )
                print(f"  rendered (first row drawn):        {ms(rendered)}")
                print(f"  interactive (search narrowed it):  {ms(interactive)}")
                print(f"  summary answered to first row:     {ms(drawing)}")
                alone = await summary_over_http(url, token, arguments.loads)
                print(f"  of which the summary query alone:  {ms(alone)} (over HTTP, no browser)")
                print(
                    f"live updates, {arguments.rate:g} decided runs/s for {arguments.seconds:g} s:"
                )
                page = await context.new_page()
                lags, lost, total = await live_lag(runtime, page, url, arguments)
                print(f"  lag (commit began to cell shown):  {ms(lags)}; lost {lost} of {total}")
                await browser.close()
        finally:
            patrol.terminate()
            patrol.join()
    print(
        f"load average: {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, "
        f"on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checks", type=int, default=1_000)
    parser.add_argument("--clusters", type=int, default=3)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--rate", type=float, default=30)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--verbose", action="store_true", help="print each load's requests")
    asyncio.run(main(parser.parse_args()))
