"""The Run page in Chromium: a run followed live while its checker works, a finished run's log and
events, a failed run's reasons, and a run that does not exist."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, WebSocketRoute, expect

from tests.e2e.checkers import python_script
from tests.e2e.serve import Serve
from tests.fixtures.browser import Console, EndableSubscriptions, open_console
from tests.fixtures.stack import eventually, shell_checker

# How long a step that waits for a checker pod may take on a busy machine (ms).
POD_WAIT = 30_000

# Prints as it works, then waits for the test's word (a file) before reporting its result.
TALKING_CHECKER = """
import os, sys, time
print("checking the widgets", flush=True)
print("  indented: whitespace kept", flush=True)
gate = {gate!r}
while not os.path.exists(gate):
    time.sleep(0.05)
print("widgets fine, reporting", flush=True)
from app.checkers.client import report_success
report_success()
"""

# Prints, waits for a first word to print more, then for a second word to report.
TWO_STEP_CHECKER = """
import os, time
def wait(path):
    while not os.path.exists(path):
        time.sleep(0.05)
print("first", flush=True)
print("second", flush=True)
wait({more!r})
print("third", flush=True)
wait({report!r})
from app.checkers.client import report_success
report_success()
"""

# Once the page follows it, writes more than a live log sends (1 MiB by default) in blocks the
# follow keeps up with, then waits for the test's word to report.
CHATTY_CHECKER = """
import os, sys, time
def wait(path):
    while not os.path.exists(path):
        time.sleep(0.05)
print("starting", flush=True)
wait({more!r})
for block in range(20):
    for n in range(block * 1000, block * 1000 + 1000):
        sys.stdout.write(f"line {{n:05d}} " + "x" * 50 + "\\n")
    sys.stdout.flush()
    time.sleep(0.02)
wait({report!r})
from app.checkers.client import report_success
report_success()
"""

# Reports a failure with its own words, as a Kuberhealthy checker does.
FAILING_CHECKER = """
from app.checkers.client import report_failure
print("disk at 97%", flush=True)
report_failure(["disk /var is 97% full", "inode usage above 90%"])
"""


async def local_cluster_id(console: Console) -> str:
    clusters = (await console.api("{ clusters { id name } }"))["clusters"]
    (local,) = [cluster["id"] for cluster in clusters if cluster["name"] == "local"]
    return str(local)


async def start_run(console: Console, name: str, pod_spec: dict[str, Any]) -> str:
    """An on-demand check on the local cluster, triggered once: its run's id."""
    cluster = await local_cluster_id(console)
    check = await console.api(
        "mutation($input: CreateCheckInput!) { createCheck(input: $input) { id } }",
        input={
            "name": name,
            "namespace": "default",
            "podSpec": pod_spec,
            "timeout": "60s",
            "clusterIds": [cluster],
        },
    )
    runs = await console.api(
        "mutation($id: ID!) { triggerCheck(id: $id) { id } }", id=check["createCheck"]["id"]
    )
    return str(runs["triggerCheck"][0]["id"])


async def test_a_running_run_turns_to_its_result_live_and_keeps_its_log(
    console: Console, tmp_path: Path
) -> None:
    page = console.page
    gate = tmp_path / "report-now"
    run_id = await start_run(
        console, "widgets", python_script(TALKING_CHECKER.format(gate=str(gate)))
    )
    sent: list[str] = []
    page.on(
        "websocket", lambda socket: socket.on("framesent", lambda frame: sent.append(str(frame)))
    )
    await console.open(f"/runs/{run_id}")
    await page.reload()  # every websocket from here on is this page's, and `sent` sees it
    status = page.get_by_test_id("run-status").locator("[data-status]")
    await expect(status).to_have_attribute("data-status", "RUNNING", timeout=POD_WAIT)
    await expect(page.get_by_test_id("pod-name")).to_be_visible()
    await expect(page.get_by_test_id("live")).to_be_visible()
    # Marks this document: if the page reloaded, the mark would be gone.
    await page.evaluate("window.stillTheSamePage = true")
    # The pod's log arrives as it is written, while the checker still waits.
    log = page.get_by_test_id("log")
    await expect(log).to_contain_text(
        "checking the widgets\n  indented: whitespace kept\n", timeout=POD_WAIT
    )
    await expect(page.get_by_test_id("log-note")).to_contain_text("Following the pod's log")
    await console.screenshot("run-running")

    gate.touch()

    await expect(status).to_have_attribute("data-status", "SUCCEEDED", timeout=POD_WAIT)
    await expect(log).to_contain_text("widgets fine, reporting")
    text = await log.text_content()
    assert text is not None and "checking the widgets\n  indented: whitespace kept\n" in text
    await expect(page.get_by_test_id("events").get_by_role("row").nth(1)).to_be_visible()
    await expect(page.get_by_test_id("live")).to_be_hidden()
    assert await page.evaluate("window.stillTheSamePage") is True
    # One log subscription for the whole life of the run, however often the page re-read it.
    log_subscriptions = [f for f in sent if '"type":"subscribe"' in f and "RunPageLogs" in f]
    assert len(log_subscriptions) == 1, log_subscriptions
    await expect(page.get_by_test_id("run-failure")).to_have_count(0)
    await expect(page.get_by_test_id("run-duration")).not_to_contain_text("—")
    await expect(page.get_by_role("link", name="default/widgets").first).to_have_attribute(
        "href", f"#/checks/{(await check_of(console, run_id))}"
    )
    await console.screenshot("run")

    await page.set_viewport_size({"width": 390, "height": 844})
    await console.screenshot("run-phone")


async def check_of(console: Console, run_id: str) -> str:
    run = (await console.api("query($id: ID!) { run(id: $id) { checkId } }", id=run_id))["run"]
    return str(run["checkId"])


async def test_a_run_that_reported_failure_shows_why_and_its_errors(console: Console) -> None:
    page = console.page
    run_id = await start_run(console, "disks", python_script(FAILING_CHECKER))
    await console.open(f"/runs/{run_id}")

    await expect(page.get_by_test_id("run-status").locator("[data-status]")).to_have_attribute(
        "data-status", "FAILED", timeout=POD_WAIT
    )
    failure = page.get_by_test_id("run-failure")
    await expect(failure).to_contain_text("The checker reported a failure.")
    await expect(failure).to_contain_text("disk /var is 97% full")
    await expect(failure).to_contain_text("inode usage above 90%")
    await expect(page.get_by_test_id("log")).to_contain_text("disk at 97%")
    await console.screenshot("run-failed")


async def test_a_checker_that_crashed_shows_the_reason_and_its_exit(console: Console) -> None:
    page = console.page
    run_id = await start_run(console, "crasher", shell_checker("echo boom; exit 3"))
    await console.open(f"/runs/{run_id}")

    await expect(page.get_by_test_id("run-status").locator("[data-status]")).to_have_attribute(
        "data-status", "ERROR", timeout=POD_WAIT
    )
    failure = page.get_by_test_id("run-failure")
    await expect(failure).to_contain_text("exited without reporting")
    await expect(failure).to_contain_text("exit code 3")
    await expect(page.get_by_test_id("log")).to_have_text("boom\n")


async def test_a_run_that_does_not_exist_says_so(console: Console) -> None:
    page = console.page
    unknown = str(uuid.uuid4())
    await console.open(f"/runs/{unknown}")
    await expect(page.get_by_role("heading", name="Run not found")).to_be_visible()
    await expect(page.get_by_test_id("run-missing")).to_contain_text(unknown)
    await expect(page.get_by_role("link", name="Back to the overview")).to_be_visible()

    await console.open("/runs/not-a-run")
    await expect(page.get_by_test_id("run-missing")).to_contain_text("is not a run id")


async def test_each_container_has_its_own_tab_and_a_long_log_scrolls_in_its_box(
    console: Console,
) -> None:
    page = console.page
    spec = {
        "containers": [
            {"name": "checker", "image": "busybox:1.36", "command": ["sh", "-c", "seq 1 5000"]},
            {
                "name": "sidecar",
                "image": "busybox:1.36",
                "command": ["sh", "-c", "echo sidecar up"],
            },
        ]
    }
    run_id = await start_run(console, "two-containers", spec)
    await console.open(f"/runs/{run_id}")

    tabs = page.get_by_role("tablist", name="Containers")
    checker = tabs.get_by_role("tab", name="checker")
    await expect(checker).to_have_attribute("aria-selected", "true", timeout=POD_WAIT)
    log = page.get_by_test_id("log")
    await expect(log).to_contain_text("4999\n5000")
    # Patrol keeps the end of a long log, and the page says so.
    await expect(page.get_by_test_id("log-size")).to_contain_text("2000 lines", timeout=POD_WAIT)
    await expect(page.get_by_text("Truncated")).to_be_visible()
    # The log scrolls inside its own box, which stays a readable height.
    box = await log.evaluate("e => [e.clientHeight, e.scrollHeight]")
    assert box[0] < 600 < box[1], box

    # Arrow keys move between tabs, as in any tab list.
    await checker.focus()
    await page.keyboard.press("ArrowRight")
    sidecar = tabs.get_by_role("tab", name="sidecar")
    await expect(sidecar).to_be_focused()
    await expect(sidecar).to_have_attribute("aria-selected", "true")
    await expect(log).to_have_text("sidecar up\n")
    async with page.expect_download() as downloading:
        await page.get_by_role("button", name="Download").click()
    download = await downloading.value
    assert download.suggested_filename == f"run-{run_id}-sidecar.log"
    assert Path(await download.path()).read_text() == "sidecar up\n"
    await expect(log).to_have_css("white-space", "pre")
    await page.get_by_label("Wrap lines").check()
    await expect(log).to_have_css("white-space", "pre-wrap")
    await page.get_by_role("tab", name="checker").click()
    await expect(log).to_contain_text("5000")


async def test_after_the_connection_drops_the_page_catches_up_without_repeating_the_log(
    console: Console, tmp_path: Path
) -> None:
    page = console.page
    more, report = tmp_path / "more", tmp_path / "report"
    spec = python_script(TWO_STEP_CHECKER.format(more=str(more), report=str(report)))
    run_id = await start_run(console, "dropped", spec)
    # Every websocket to Patrol goes through here, so the test can cut it as a network would.
    connections: list[tuple[WebSocketRoute, WebSocketRoute]] = []

    def through(socket: WebSocketRoute) -> None:
        connections.append((socket, socket.connect_to_server()))

    await page.route_web_socket(re.compile(r"/graphql$"), through)
    await console.open(f"/runs/{run_id}")
    await page.reload()
    log = page.get_by_test_id("log")
    await expect(log).to_have_text("first\nsecond\n", timeout=POD_WAIT)

    page_side, server_side = connections[-1]
    await page_side.close(code=1012, reason="restarting")
    await server_side.close()

    async def reconnected() -> bool:
        return len(connections) > 1

    await eventually(reconnected)
    more.touch()
    # The log subscription starts over after the drop: the page shows each line once.
    await expect(log).to_have_text("first\nsecond\nthird\n", timeout=POD_WAIT)
    report.touch()
    status = page.get_by_test_id("run-status").locator("[data-status]")
    await expect(status).to_have_attribute("data-status", "SUCCEEDED", timeout=POD_WAIT)


async def test_when_the_server_ends_the_runs_updates_the_page_says_so_and_follows_again_after_a_pause(
    console: Console, tmp_path: Path
) -> None:
    page = console.page
    gate = tmp_path / "gate"
    run_id = await start_run(
        console, "ended", python_script(TALKING_CHECKER.format(gate=str(gate)))
    )
    sockets = await EndableSubscriptions.on(console, f"/runs/{run_id}")
    status = page.get_by_test_id("run-status").locator("[data-status]")
    await expect(status).to_have_attribute("data-status", "RUNNING", timeout=POD_WAIT)

    async def following(count: int) -> bool:
        return len(sockets.following("runUpdates")) == count

    await eventually(lambda: following(1))
    # The server ends it, then refuses the page's first attempt to follow again.
    sockets.refuse("runUpdates", times=1)
    ended_at = sockets.end(sockets.following("runUpdates")[0])
    interrupted = page.get_by_text("Live updates interrupted: Too slow")
    await expect(interrupted).to_be_visible()
    await eventually(lambda: following(3))
    first_attempt, second_attempt = sockets.to("runUpdates")[1:]
    # Each pause is waited out whole, growing, whatever reads answer in between: a refusal that
    # lasts does not become a storm of attempts. (Timers never fire early; margins for clocks.)
    assert first_attempt.at - ended_at >= 0.95
    assert second_attempt.at - first_attempt.at >= 1.95

    gate.touch()  # the checker reports; the page follows again and shows it
    await expect(status).to_have_attribute("data-status", "SUCCEEDED", timeout=POD_WAIT)
    await expect(interrupted).to_have_count(0)


async def test_a_live_log_the_server_ends_is_followed_again_from_its_start_without_repeats(
    console: Console, tmp_path: Path
) -> None:
    page = console.page
    more, report = tmp_path / "more", tmp_path / "report"
    spec = python_script(TWO_STEP_CHECKER.format(more=str(more), report=str(report)))
    run_id = await start_run(console, "log-ended", spec)
    sockets = await EndableSubscriptions.on(console, f"/runs/{run_id}")
    log = page.get_by_test_id("log")
    await expect(log).to_have_text("first\nsecond\n", timeout=POD_WAIT)

    # Refused once more when it tries again, so that what it says stays long enough to read.
    sockets.refuse("RunPageLogs", times=1)
    sockets.end(sockets.following("RunPageLogs")[0])
    note = page.get_by_test_id("log-note")
    await expect(note).to_have_text("The live log could not be read: Too slow. Trying again…")

    more.touch()
    # Followed again from the log's start, the page shows each line once.
    await expect(log).to_have_text("first\nsecond\nthird\n", timeout=POD_WAIT)
    await expect(note).to_have_text("Following the pod's log as it is written…")
    assert len(sockets.following("RunPageLogs")) == 3
    report.touch()
    status = page.get_by_test_id("run-status").locator("[data-status]")
    await expect(status).to_have_attribute("data-status", "SUCCEEDED", timeout=POD_WAIT)


async def test_a_live_log_past_its_size_limit_says_it_stopped_and_the_stored_end_replaces_it(
    console: Console, tmp_path: Path
) -> None:
    page = console.page
    more, report = tmp_path / "more", tmp_path / "report"
    spec = python_script(CHATTY_CHECKER.format(more=str(more), report=str(report)))
    run_id = await start_run(console, "chatty", spec)
    await console.open(f"/runs/{run_id}")
    log = page.get_by_test_id("log")
    await expect(log).to_contain_text("starting", timeout=POD_WAIT)

    more.touch()
    note = page.get_by_test_id("log-note")
    await expect(note).to_contain_text("stopped at its size limit", timeout=POD_WAIT)
    await expect(log).to_contain_text("line 00000 ")
    await expect(page.get_by_test_id("log-size")).to_contain_text("1.0 MiB")
    await expect(page.get_by_test_id("run-status").locator("[data-status]")).to_have_attribute(
        "data-status", "RUNNING"
    )

    report.touch()
    await expect(page.get_by_text("Truncated")).to_be_visible(timeout=POD_WAIT)
    await expect(log).to_contain_text("line 19999 ")
    await expect(log).not_to_contain_text("line 00000 ")


async def test_a_viewer_on_a_phone_follows_a_running_run_too(
    console: Console, browser: Browser, patrol: Serve, tmp_path: Path
) -> None:
    issued = await console.api(
        'mutation { createApiToken(input: {name: "reader", role: VIEWER}) { token } }'
    )
    viewer = await open_console(
        browser, patrol, issued["createApiToken"]["token"], viewport={"width": 390, "height": 844}
    )
    gate = tmp_path / "report-now"
    run_id = await start_run(
        console, "pocket", python_script(TALKING_CHECKER.format(gate=str(gate)))
    )
    await viewer.open(f"/runs/{run_id}")
    page = viewer.page
    await expect(page.get_by_test_id("log")).to_contain_text(
        "indented: whitespace kept", timeout=POD_WAIT
    )
    await viewer.screenshot("run-running-phone")

    gate.touch()
    await expect(page.get_by_test_id("run-status").locator("[data-status]")).to_have_attribute(
        "data-status", "SUCCEEDED", timeout=POD_WAIT
    )
    await expect(page.get_by_test_id("log")).to_contain_text("widgets fine, reporting")
    assert not viewer.errors, viewer.errors
