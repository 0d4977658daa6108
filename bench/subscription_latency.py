"""Subscription delivery latency: from a run event's commit to each of many websocket
subscribers.

Serves Patrol's API with uvicorn in a child process (one process, as `patrol serve --no-worker`
runs it, with its event listener), opens `--subscribers` websockets from this process, each
authenticated with a viewer token and subscribed to `runUpdates` with no filter
(graphql-transport-ws, permessage-deflate as browsers negotiate it), then appends one run event
at a time to the log, as a deciding transaction does, and nudges the listener through Redis.
Latency is the time a subscriber receives the update minus the event's `at` (taken before the
commit), so it includes the commit, the nudge, the listener's read, the fan-out, GraphQL
execution and the websocket. Every subscriber must receive every event.

Run: .venv/bin/python -m bench.subscription_latency [--subscribers 1000] [--events 60]
     [--interval 0.25] [--database-url ...] [--redis-url ...]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import websockets

from app.domain.access import Role
from app.domain.run_lifecycle import RunStatus, RunTrigger
from app.models import EventKind
from app.models.columns import utcnow
from app.runtime import Runtime
from app.services import history
from app.services.history import RunFacts
from app.services.tokens import issue_token
from bench.common import bench_runtime, free_port, percentile, summary

SUBSCRIPTION = """
subscription { runUpdates { eventId step status runId checkId clusterId at } }
"""


def serve_patrol(
    port: int, database_url: str, redis_url: str, secret_key: str, profile: str | None
) -> None:
    async def run() -> None:
        from app.asgi import create_app
        from app.db import create_engines
        from app.serve import ApiServer, api_server_config
        from app.settings import Settings
        from app.startup import load_keyring, pool_settings

        settings = Settings(local_cluster=False, secret_key=secret_key)  # type: ignore[arg-type]
        engines = create_engines(database_url, schema=None, pools=pool_settings(settings))
        runtime = await Runtime.open(
            settings,
            redis_url=redis_url,
            engine=engines.background,
            api_engine=engines.api,
            keyring=load_keyring(settings),
        )
        from app.serve import tune_garbage_collection

        config = api_server_config(
            create_app(runtime),
            host="127.0.0.1",
            port=port,
            log_level="error",
            ws="websockets-sansio",
            backlog=4096,
        )
        tune_garbage_collection()  # as `patrol serve` does
        await ApiServer(config).serve()  # returns on SIGTERM, so a profile gets written

    if profile is None:
        asyncio.run(run())
        return
    import cProfile

    cProfile.runctx("asyncio.run(run())", globals(), {"asyncio": asyncio, "run": run}, profile)


async def wait_for_port(port: int) -> None:
    for _ in range(600):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError(f"nothing listens on {port}")


class Subscriber:
    def __init__(self, compression: str | None) -> None:
        self.compression = compression
        self.latencies: dict[int, float] = {}
        self.ready = asyncio.Event()
        self.errors: list[Any] = []

    async def run(self, url: str, token: str, stop: asyncio.Event) -> None:
        async with websockets.connect(
            url,
            subprotocols=["graphql-transport-ws"],
            compression=self.compression,  # type: ignore[list-item]
        ) as socket:
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
            await socket.send(json.dumps(init))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            payload = {"query": SUBSCRIPTION}
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            self.ready.set()
            receiving = asyncio.ensure_future(self._receive(socket))
            await stop.wait()
            receiving.cancel()

    async def _receive(self, socket: Any) -> None:
        while True:
            raw = await socket.recv()
            received = time.time()
            message = json.loads(raw)
            if message["type"] != "next" or "errors" in message["payload"]:
                self.errors.append(message)
                continue
            update = message["payload"]["data"]["runUpdates"]
            sequence = int(uuid.UUID(update["runId"]).int & 0xFFFFFFFF)
            at = datetime.fromisoformat(update["at"]).timestamp()
            self.latencies[sequence] = received - at


def process_cpu_seconds(pid: int | None) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def viewer_token(runtime: Runtime) -> str:
    async with runtime.session_factory.begin() as session:
        issued = await issue_token(
            session,
            runtime.keyring,
            name="bench",
            role=Role.VIEWER,
            created_by="bench",
            now=utcnow(),
        )
    return issued.secret


async def append_event(runtime: Runtime, sequence: int) -> None:
    """One run's creation logged and committed, then the nudge, as run_state.create's callers do."""
    now = utcnow()
    run_id = uuid.UUID(int=(uuid.uuid4().int & ~0xFFFFFFFF) | sequence)
    facts = RunFacts(
        run_id=run_id,
        check_id=uuid.uuid4(),
        cluster_id=uuid.uuid4(),
        status=RunStatus.PENDING,
        trigger=RunTrigger.SCHEDULE,
        scheduled_at=now - timedelta(milliseconds=5),
    )
    async with runtime.session_factory.begin() as session:
        await history.record_runs(session, EventKind.RUN_CREATED, [facts], now=now)
    runtime.event_nudges.events_appended()


async def main(arguments: argparse.Namespace) -> None:
    # The harness holds a thousand websockets too: its own collections must not count as
    # Patrol's latency.
    gc.set_threshold(100_000, 50, 100)
    load_before = " ".join(f"{value:.1f}" for value in os.getloadavg())
    async with bench_runtime(
        arguments.database_url, arguments.redis_url, "http://127.0.0.1:9"
    ) as runtime:
        token = await viewer_token(runtime)
        port = free_port()
        patrol = multiprocessing.Process(
            target=serve_patrol,
            args=(
                port,
                runtime.engine.url.render_as_string(hide_password=False),
                runtime.redis_url,
                runtime.settings.secret_key.get_secret_value(),  # type: ignore[union-attr]
                arguments.profile,
            ),
            daemon=True,
        )
        patrol.start()
        try:
            await wait_for_port(port)
            url = f"ws://127.0.0.1:{port}/graphql"
            stop = asyncio.Event()
            compression = None if arguments.no_compression else "deflate"
            subscribers = [Subscriber(compression) for _ in range(arguments.subscribers)]
            began = time.monotonic()
            tasks = []
            for index, subscriber in enumerate(subscribers):
                tasks.append(asyncio.ensure_future(subscriber.run(url, token, stop)))
                if index % 50 == 49:
                    await asyncio.sleep(0.05)  # uvicorn's accept backlog
            await asyncio.wait_for(
                asyncio.gather(*(subscriber.ready.wait() for subscriber in subscribers)), 120
            )
            # A subscription registers with the listener once its first result is asked for.
            await asyncio.sleep(2)
            connected = time.monotonic() - began
            cpu_before = (process_cpu_seconds(patrol.pid), time.process_time())
            for sequence in range(arguments.events):
                await append_event(runtime, sequence)
                await asyncio.sleep(arguments.interval)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and any(
                len(subscriber.latencies) < arguments.events for subscriber in subscribers
            ):
                await asyncio.sleep(0.1)
            server_cpu = process_cpu_seconds(patrol.pid) - cpu_before[0]
            client_cpu = time.process_time() - cpu_before[1]
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            patrol.terminate()
            patrol.join()

    latencies = [value for s in subscribers for value in s.latencies.values()]
    per_event = [
        max(s.latencies.get(sequence, float("inf")) for s in subscribers)
        for sequence in range(arguments.events)
    ]
    expected = arguments.subscribers * arguments.events
    if arguments.verbose:
        for sequence, slowest in enumerate(per_event):
            fastest = min(s.latencies.get(sequence, float("inf")) for s in subscribers)
            print(f"event {sequence}: first {fastest * 1000:.1f} ms, last {slowest * 1000:.1f} ms")
    print(
        f"database: {runtime.engine.url.get_backend_name()}, {arguments.subscribers} websocket "
        f"subscribers (connected in {connected:.1f} s), {arguments.events} events, one every "
        f"{arguments.interval * 1000:.0f} ms"
    )
    print(
        f"deliveries: {len(latencies)} of {expected}, errors: {sum(len(s.errors) for s in subscribers)}"
    )
    print(f"delivery latency (commit to each subscriber): {summary(latencies)}")
    print(
        f"CPU per event: server {server_cpu / arguments.events * 1000:.1f} ms "
        f"({server_cpu / max(1, len(latencies)) * 1e6:.0f} us per delivery), clients "
        f"{client_cpu / arguments.events * 1000:.1f} ms; load average before: {load_before}"
    )
    print(
        "last subscriber of each event: "
        f"p50={percentile(per_event, 0.5) * 1000:.1f} ms p99={percentile(per_event, 0.99) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--interval", type=float, default=0.25)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    parser.add_argument(
        "--no-compression", action="store_true", help="clients do not offer permessage-deflate"
    )
    parser.add_argument("--profile", help="write cProfile stats of the Patrol server to this file")
    parser.add_argument("--verbose", action="store_true", help="print each event's figures")
    asyncio.run(main(parser.parse_args()))
