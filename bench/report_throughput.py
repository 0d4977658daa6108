"""Report endpoint throughput: valid reports recorded per second, beside a bare Litestar endpoint
served the same way in the same run.

Serves Patrol's API with uvicorn in a child process (one process, as `patrol serve` runs it),
fills the database with running runs, and drives each run's own reporting URL,
`POST /check?kh-run-uuid=<run>&kh-run-secret=<its secret>`, with wrk (one distinct run per
request). Then serves a Litestar app whose only handler answers "OK" and drives it the same way.
"Recorded" counts runs whose outcome is in the database afterwards.

Needs wrk (Debian: apt-get install wrk).
Run: .venv/bin/python bench/report_throughput.py [--seconds 10] [--connections 64] [--runs 60000]
     [--database-url ...] [--redis-url ...]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
import uvicorn
from litestar import Litestar, post
from sqlmodel import col, select

from app.domain.manifest import reporting_url
from app.models import Check, Cluster, ConnectionKind, Run, RunStatus, RunTrigger
from app.models.columns import utcnow
from app.runtime import Runtime
from app.services.report_identity import report_secret
from bench.common import bench_runtime, free_port

LUA = """
local targets = {}
for line in io.lines("%(targets)s") do targets[#targets + 1] = line end
local counter = 0
local threads = %(threads)d
offset = 0
function setup(thread) thread:set("offset", offset); offset = offset + 1 end
function init(args) counter = 0 end
request = function()
  local index = (counter * threads + offset) %% #targets + 1
  counter = counter + 1
  return wrk.format("POST", targets[index], nil, '{"OK": true, "Errors": []}')
end
"""


@post("/check", sync_to_thread=False)
def bare_endpoint() -> str:
    return "OK"


def serve_bare(port: int) -> None:
    uvicorn.run(
        Litestar([bare_endpoint], logging_config=None),
        host="127.0.0.1",
        port=port,
        log_level="error",
        access_log=False,
    )


def serve_patrol(
    port: int, database_url: str, redis_url: str, secret_key: str, profile: str | None = None
) -> None:
    async def run() -> None:
        from app.asgi import create_app
        from app.db import create_engine
        from app.runtime import Runtime
        from app.serve import ApiServer, api_server_config
        from app.settings import Settings
        from app.startup import load_keyring

        engine = create_engine(database_url)
        settings = Settings(local_cluster=False, secret_key=secret_key)  # type: ignore[arg-type]
        runtime = await Runtime.open(
            settings, redis_url=redis_url, engine=engine, keyring=load_keyring(settings)
        )
        config = api_server_config(
            create_app(runtime), host="127.0.0.1", port=port, log_level="error"
        )
        await ApiServer(config).serve()  # returns on SIGTERM, so a profile gets written

    if profile is None:
        asyncio.run(run())
        return
    import cProfile

    cProfile.runctx("asyncio.run(run())", globals(), {"asyncio": asyncio, "run": run}, profile)


def wrk(port: int, script: Path, seconds: int, connections: int, threads: int) -> tuple[float, str]:
    output = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return rate, output


def wait_for_port(port: int) -> None:
    import socket

    for _ in range(400):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


async def seed_runs(runtime: Runtime, count: int) -> list[uuid.UUID]:
    """`count` running runs, one per check (a check has at most one run in flight)."""
    now = utcnow()
    cluster = Cluster(
        name="bench", connection_kind=ConnectionKind.LOCAL, api_url="http://127.0.0.1:9"
    )
    async with runtime.session_factory() as session:
        session.add(cluster)
        await session.commit()
        check_ids, run_ids = (
            [uuid.uuid4() for _ in range(count)],
            [uuid.uuid4() for _ in range(count)],
        )
        for start in range(0, count, 5000):
            chunk = range(start, min(count, start + 5000))
            await session.exec(  # type: ignore[call-overload]
                sa.insert(Check),
                params=[
                    {
                        "id": check_ids[n],
                        "name": f"bench-{n}",
                        "namespace": "default",
                        "description": "",
                        "labels": {},
                        "pod_spec": {"containers": [{"name": "c", "image": "x"}]},
                        "extra_labels": {},
                        "extra_annotations": {},
                        "timeout_seconds": 3600,
                        "enabled": True,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in chunk
                ],
            )
            await session.exec(  # type: ignore[call-overload]
                sa.insert(Run),
                params=[
                    {
                        "id": run_ids[n],
                        "check_id": check_ids[n],
                        "cluster_id": cluster.id,
                        "check_version": 1,
                        "trigger": RunTrigger.API,
                        "status": RunStatus.RUNNING,
                        "errors": [],
                        "scheduled_at": now,
                        "started_at": now,
                        "deadline_at": now + timedelta(hours=1),
                        "created_at": now,
                    }
                    for n in chunk
                ],
            )
        await session.commit()
    return run_ids


def report_targets(runtime: Runtime, run_ids: list[uuid.UUID]) -> list[str]:
    """Path and query of each run's KH_REPORTING_URL, as its pod would post to it."""
    targets = []
    for run_id in run_ids:
        url = urlsplit(reporting_url("", run_id, report_secret(runtime.keyring, run_id)))
        targets.append(f"{url.path}?{url.query}")
    return targets


async def main(arguments: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    threads = 2
    workdir = Path(tempfile.mkdtemp(prefix="patrol-reports-"))
    async with bench_runtime(
        arguments.database_url, arguments.redis_url, "http://127.0.0.1:9"
    ) as runtime:
        ids = await seed_runs(runtime, arguments.runs)
        (workdir / "targets.txt").write_text("\n".join(report_targets(runtime, ids)))
        script = workdir / "report.lua"
        script.write_text(LUA % {"targets": workdir / "targets.txt", "threads": threads})
        database_url = runtime.engine.url.render_as_string(hide_password=False)

        port = free_port()
        patrol = multiprocessing.Process(
            target=serve_patrol,
            args=(
                port,
                database_url,
                runtime.redis_url,
                runtime.settings.secret_key.get_secret_value(),  # type: ignore[union-attr]
                arguments.profile,
            ),
            daemon=True,
        )
        patrol.start()
        wait_for_port(port)
        patrol_rate, patrol_output = wrk(
            port, script, arguments.seconds, arguments.connections, threads
        )
        patrol.terminate()
        patrol.join()
        async with runtime.session_factory() as session:
            recorded = (
                await session.exec(
                    select(sa.func.count())
                    .select_from(Run)
                    .where(col(Run.status) == RunStatus.SUCCEEDED)
                )
            ).one()

        port = free_port()
        bare = multiprocessing.Process(target=serve_bare, args=(port,), daemon=True)
        bare.start()
        wait_for_port(port)
        bare_rate, _ = wrk(port, script, arguments.seconds, arguments.connections, threads)
        bare.terminate()
        bare.join()

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", patrol_output)
    print(
        f"database: {runtime.engine.url.get_backend_name()}, {arguments.connections} connections, {arguments.seconds} s each"
    )
    print(
        f"patrol /check: {patrol_rate:.0f} requests/s, non-2xx: {errors.group(1) if errors else 0}"
    )
    print(
        f"patrol /check: {recorded / arguments.seconds:.0f} valid reports recorded/s ({recorded} runs decided)"
    )
    print(f"bare Litestar endpoint: {bare_rate:.0f} requests/s")
    print(f"patrol / bare: {100 * (recorded / arguments.seconds) / bare_rate:.0f} %")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--runs", type=int, default=60000)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    parser.add_argument("--profile", help="write cProfile stats of the Patrol server to this file")
    asyncio.run(main(parser.parse_args()))
