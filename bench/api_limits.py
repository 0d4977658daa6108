"""What one hostile or careless request costs everyone else: the API's answer to it, and how other
requests fare meanwhile.

Serves Patrol's API with uvicorn in a child process (as `patrol serve` runs it) on a fresh database
seeded with runs, their logs and events, then sends one request of each kind below while probes
keep asking `GET /healthz` (every 20 ms: is the event loop free?) and a small GraphQL query (every
100 ms: is the database free?). For each case it prints the request's time and answer, and the
probes' worst latency and failures while it ran.

Cases:
  cluster-ids   createCheck with N unknown clusterIds
  aliases       N aliased `runs(first: 500) { nodes { logs { content } events { reason } } }`
  pod-spec      createCheck with a pod spec of about N KiB (many env entries)

Run: .venv/bin/python -m bench.api_limits [--case cluster-ids --count 2000] [--database-url ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from app.domain.access import Role
from app.models import Check, CheckCluster, Cluster, ConnectionKind, Run, RunStatus, RunTrigger
from app.models.columns import utcnow
from app.runtime import Runtime
from app.services.tokens import issue_token
from bench.common import bench_runtime, free_port
from bench.report_throughput import serve_patrol, wait_for_port

CREATE_CHECK = "mutation($input: CreateCheckInput!) { createCheck(input: $input) { id } }"
HEAVY_FIELD = "runs(first: 500) { nodes { id logs { content } events { reason } } }"


@dataclass
class Probe:
    latencies: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)

    def report(self, name: str) -> str:
        worst = max(self.latencies, default=float("nan"))
        failures = ", ".join(f"{n} {kind}" for kind, n in self.failures.items()) or "none"
        return f"{name}: {len(self.latencies)} answered, worst {worst * 1000:.0f} ms, failures: {failures}"


async def probing(
    request: Callable[[], Awaitable[httpx.Response]], interval: float, probe: Probe
) -> None:
    while True:
        started = time.perf_counter()
        try:
            response = await request()
            if response.status_code >= 500 or "errors" in response.text[:20]:
                probe.failures[f"HTTP {response.status_code}"] += 1
        except httpx.HTTPError as error:
            probe.failures[type(error).__name__] += 1
        probe.latencies.append(time.perf_counter() - started)
        await asyncio.sleep(interval)


async def seed(runtime: Runtime, runs: int) -> None:
    now = utcnow()
    cluster = Cluster(name="bench", connection_kind=ConnectionKind.LOCAL)
    check = Check(
        name="bench",
        namespace="default",
        pod_spec={"containers": [{"name": "c", "image": "x"}]},
        timeout_seconds=60,
    )
    async with runtime.session_factory.begin() as session:
        session.add_all([cluster, check])
        await session.flush()
        session.add(CheckCluster(check_id=check.id, cluster_id=cluster.id))
        run_ids = [uuid.uuid4() for _ in range(runs)]
        await session.exec(  # type: ignore[call-overload]
            sa.insert(Run),
            params=[
                {
                    "id": run_id,
                    "check_id": check.id,
                    "cluster_id": cluster.id,
                    "check_version": 1,
                    "trigger": RunTrigger.API,
                    "status": RunStatus.SUCCEEDED,
                    "ok": True,
                    "errors": [],
                    "scheduled_at": now - timedelta(seconds=n),
                    "started_at": now,
                    "finished_at": now,
                    "finalized_at": now,
                    "created_at": now,
                }
                for n, run_id in enumerate(run_ids)
            ],
        )
        await session.exec(  # type: ignore[call-overload]
            sa.text(
                "INSERT INTO run_log (run_id, container, content, truncated, captured_at) "
                "VALUES (:run_id, 'checker', :content, false, :now)"
            ),
            params=[
                {"run_id": run_id.hex, "content": "log line\n" * 900, "now": now}
                for run_id in run_ids
            ],
        )
        for position in range(5):
            session.add_all([_event(run_id, position) for run_id in run_ids])


def _event(run_id: uuid.UUID, position: int) -> Any:
    from app.models import RunEvent

    return RunEvent(
        run_id=run_id, position=position, type="Normal", reason="Pulled", message="image pulled"
    )


def case_request(case: str, count: int) -> dict[str, Any]:
    base = {
        "name": f"bench-{uuid.uuid4().hex[:8]}",
        "namespace": "default",
        "timeout": "10s",
        "podSpec": {"containers": [{"name": "c", "image": "x"}]},
    }
    if case == "cluster-ids":
        ids = [str(uuid.uuid4()) for _ in range(count)]
        return {"query": CREATE_CHECK, "variables": {"input": {**base, "clusterIds": ids}}}
    if case == "aliases":
        fields = " ".join(f"a{n}: {HEAVY_FIELD}" for n in range(count))
        return {"query": f"query {{ {fields} }}"}
    if case == "pod-spec":
        entry = {"name": "VARIABLE_0000", "value": "v" * 64}
        per_entry = len(json.dumps(entry)) + 1
        env = [
            {"name": f"VARIABLE_{n:04d}", "value": "v" * 64}
            for n in range(count * 1024 // per_entry)
        ]
        spec = {"containers": [{"name": "c", "image": "x", "env": env}]}
        return {"query": CREATE_CHECK, "variables": {"input": {**base, "podSpec": spec}}}
    raise SystemExit(f"unknown case {case}")


def describe(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]!r}"
    errors = body.get("errors") or []
    codes = Counter(str((error.get("extensions") or {}).get("code")) for error in errors)
    first = errors[0]["message"][:160] if errors else ""
    return f"HTTP {response.status_code}, {len(response.content)} bytes, errors {dict(codes)} {first!r}"


async def main(arguments: argparse.Namespace) -> None:
    async with bench_runtime(
        arguments.database_url, arguments.redis_url, "http://127.0.0.1:9"
    ) as runtime:
        await seed(runtime, arguments.runs)
        async with runtime.session_factory.begin() as session:
            issued = await issue_token(
                session,
                runtime.keyring,
                name="bench",
                role=Role.ADMIN,
                created_by="bench",
                now=utcnow(),
            )
        port = free_port()
        server = multiprocessing.Process(
            target=serve_patrol,
            args=(
                port,
                runtime.engine.url.render_as_string(hide_password=False),
                runtime.redis_url,
                runtime.settings.secret_key.get_secret_value(),  # type: ignore[union-attr]
            ),
            daemon=True,
        )
        server.start()
        wait_for_port(port)
        headers = {"Authorization": f"Bearer {issued.secret}"}
        body = case_request(arguments.case, arguments.count)
        size = len(json.dumps(body))
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=arguments.timeout
        ) as client:
            loop_probe, database_probe = Probe(), Probe()
            probes = [
                asyncio.create_task(probing(lambda: client.get("/healthz"), 0.02, loop_probe)),
                asyncio.create_task(
                    probing(
                        lambda: client.post("/graphql", json={"query": "{ clusters { id } }"}),
                        0.1,
                        database_probe,
                    )
                ),
            ]
            await asyncio.sleep(0.5)
            started = time.perf_counter()
            try:
                response = await client.post("/graphql", json=body)
                answer = describe(response)
            except httpx.HTTPError as error:
                answer = f"no answer: {type(error).__name__}"
            elapsed = time.perf_counter() - started
            for task in probes:
                task.cancel()
            await asyncio.gather(*probes, return_exceptions=True)
        server.terminate()
        server.join()
    print(f"case {arguments.case}, count {arguments.count}, request body {size / 1024:.0f} KiB")
    print(f"answered in {elapsed:.2f} s: {answer}")
    print(loop_probe.report("GET /healthz every 20 ms"))
    print(database_probe.report("GraphQL { clusters } every 100 ms"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--case", choices=["cluster-ids", "aliases", "pod-spec"], required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    asyncio.run(main(parser.parse_args()))
