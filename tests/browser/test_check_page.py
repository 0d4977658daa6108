"""The check page in Chromium: status, uptime, durations and history, live; trigger, pause,
edit, delete for editors; nothing to press for viewers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, WebSocketRoute, expect

from tests.e2e.checkers import REPORT_TO_INJECTED_URL, python_script
from tests.e2e.serve import Serve
from tests.fixtures.browser import Console, EndableSubscriptions, open_console
from tests.fixtures.stack import eventually, shell_checker

CREATE_CHECK = """
mutation($input: CreateCheckInput!) { createCheck(input: $input) { id name version } }
"""
CHECK = "query($id: ID!) { check(id: $id) { id name timeout version enabled } }"
RUNS = """query($filter: RunFilterInput!) {
  runs(filter: $filter, first: 500) { totalCount nodes { id status trigger failureReason } }
}"""
DECIDED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ERROR", "CANCELLED")

SUCCEEDS = python_script(REPORT_TO_INJECTED_URL)
FAILS = shell_checker("exit 3")


async def create_check(console: Console, name: str, pod_spec: dict[str, Any], **fields: Any) -> str:
    clusters = (await console.api("{ clusters { id } }"))["clusters"]
    check = {
        "name": name,
        "namespace": "default",
        "timeout": "20s",
        "clusterIds": [cluster["id"] for cluster in clusters],
        "podSpec": pod_spec,
    }
    created = await console.api(CREATE_CHECK, input=check | fields)
    check_id: str = created["createCheck"]["id"]
    return check_id


async def runs_of(console: Console, check_id: str, **filter: Any) -> list[dict[str, Any]]:
    answer = await console.api(RUNS, filter={"checkId": check_id} | filter)
    runs: list[dict[str, Any]] = answer["runs"]["nodes"]
    return runs


async def all_decided(console: Console, check_id: str, at_least: int) -> list[dict[str, Any]]:
    async def decided() -> list[dict[str, Any]] | None:
        runs = await runs_of(console, check_id)
        done = len(runs) >= at_least and all(run["status"] in DECIDED for run in runs)
        return runs if done else None

    return await eventually(decided, timeout=240, interval=0.2)


async def open_check(console: Console, check_id: str, clusters: int = 1) -> Page:
    await console.open(f"/checks/{check_id}")
    page = console.page
    await expect(page.get_by_test_id("cluster-status")).to_have_count(clusters)
    return page


async def test_a_triggered_run_appears_in_the_history_and_finishes_live(console: Console) -> None:
    check_id = await create_check(console, "homepage", SUCCEEDS)
    page = await open_check(console, check_id)
    await expect(page.get_by_text("No runs yet")).to_be_visible()
    await expect(page.get_by_test_id("uptime")).to_contain_text("no runs")

    await page.get_by_role("button", name="Run now").click()
    await expect(page.get_by_test_id("triggered")).to_contain_text("Started 1 run: local")
    rows = page.get_by_test_id("run-row")
    await expect(rows).to_have_count(1, timeout=15_000)
    # The run is decided after the page read it: only the live updates can tell the page.
    await expect(rows.first.locator("[data-status]")).to_have_attribute(
        "data-status", "SUCCEEDED", timeout=30_000
    )
    status = page.get_by_test_id("cluster-status")
    await expect(status.locator("[data-status]").first).to_have_attribute(
        "data-status", "PASSING", timeout=15_000
    )
    await expect(page.get_by_test_id("uptime")).to_contain_text("100 %")
    await expect(page.get_by_test_id("duration-summary")).to_contain_text("1 run")

    # A run started elsewhere (here: through the API) shows up too, without a reload.
    await console.api("mutation($id: ID!) { triggerCheck(id: $id) { id } }", id=check_id)
    await expect(rows).to_have_count(2, timeout=15_000)
    await expect(rows.first.locator("[data-status]")).to_have_attribute(
        "data-status", "SUCCEEDED", timeout=30_000
    )
    await expect(page.get_by_test_id("run-count")).to_have_text("Showing 2 of 2 runs")
    await console.screenshot("check")
    await page.set_viewport_size({"width": 390, "height": 844})
    await expect(page.get_by_role("button", name="Run now")).to_be_visible()
    await console.screenshot("check-phone-editor")


async def test_pausing_shows_paused_and_resuming_clears_it(console: Console) -> None:
    check_id = await create_check(console, "pausable", SUCCEEDS, runInterval="1h")
    page = await open_check(console, check_id)
    status = page.get_by_test_id("cluster-status").locator("[data-status]").first

    await page.get_by_role("button", name="Pause").click()
    await expect(status).to_have_attribute("data-status", "PAUSED", timeout=15_000)
    await expect(page.locator("h1 + [data-status='PAUSED']")).to_be_visible()
    assert (await console.api(CHECK, id=check_id))["check"]["enabled"] is False

    await page.get_by_role("button", name="Resume").click()
    await expect(page.get_by_role("button", name="Pause")).to_be_visible()
    await expect(status).not_to_have_attribute("data-status", "PAUSED")
    await expect(page.locator("h1 + [data-status='PAUSED']")).to_have_count(0)
    assert (await console.api(CHECK, id=check_id))["check"]["enabled"] is True


async def test_an_invalid_edit_is_refused_at_its_field_and_a_valid_one_is_saved(
    console: Console,
) -> None:
    check_id = await create_check(console, "editable", SUCCEEDS, runInterval="1h")
    page = await open_check(console, check_id)
    await page.get_by_role("button", name="Edit").click()
    form = page.locator("#edit-check")
    await expect(form.get_by_label("Name", exact=True)).to_be_focused()
    spec = form.get_by_label("Pod spec (YAML)")
    await expect(spec).to_have_value(re.compile("^containers:"))

    # Broken YAML is caught in the page; nothing is sent.
    original_spec = await spec.input_value()
    await spec.fill("containers: [")
    await form.get_by_role("button", name="Save").click()
    await expect(form.locator("#edit-podSpec-error")).to_contain_text("YAML")
    await expect(spec).to_be_focused()
    await spec.fill(original_spec)

    # The API refuses a timeout longer than the interval: its message is shown at the field.
    timeout = form.get_by_label("Timeout")
    await timeout.fill("2h")
    await form.get_by_role("button", name="Save").click()
    await expect(form.locator("#edit-timeout-error")).to_contain_text(
        "longer than the run interval"
    )
    await expect(timeout).to_have_attribute("aria-invalid", "true")
    await expect(form.locator("#edit-podSpec-error")).to_have_count(0)
    await console.screenshot("check-edit")
    unchanged = (await console.api(CHECK, id=check_id))["check"]
    assert unchanged == {
        "id": check_id,
        "name": "editable",
        "timeout": "20s",
        "version": 1,
        "enabled": True,
    }

    await timeout.fill("45s")
    await form.get_by_label("Name", exact=True).fill("edited")
    await form.get_by_role("button", name="Save").click()
    await expect(form).to_have_count(0)
    await expect(page.get_by_role("heading", level=1)).to_have_text("edited")
    await expect(page.get_by_text("timeout 45s")).to_be_visible()
    saved = (await console.api(CHECK, id=check_id))["check"]
    assert (saved["name"], saved["timeout"], saved["version"]) == ("edited", "45s", 2)


async def test_deleting_asks_first_then_lands_on_the_overview(console: Console) -> None:
    check_id = await create_check(console, "doomed", SUCCEEDS)
    page = await open_check(console, check_id)
    dialog = page.get_by_role("dialog")

    await page.get_by_role("button", name="Delete").click()
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("button", name="Delete")).to_be_focused()
    assert (await console.api(CHECK, id=check_id))["check"] is not None

    await page.get_by_role("button", name="Delete").click()
    await dialog.get_by_role("button", name="Delete check").click()
    await expect(page).to_have_url(f"{console.url}/#/")
    assert (await console.api(CHECK, id=check_id))["check"] is None

    await console.open(f"/checks/{check_id}")
    await expect(page.get_by_role("heading", name="No such check")).to_be_visible()
    await expect(page.get_by_role("link", name="Back to the overview")).to_be_visible()
    await console.open("/checks/not-an-id")
    await expect(page.get_by_role("heading", name="No such check")).to_be_visible()


async def test_an_edit_or_a_deletion_by_another_client_shows_at_once(console: Console) -> None:
    check_id = await create_check(console, "shared", SUCCEEDS)
    page = await open_check(console, check_id)
    await page.evaluate("window.stillTheSamePage = true")

    await console.api(
        "mutation($i: UpdateCheckInput!) { updateCheck(input: $i) { id } }",
        i={"id": check_id, "name": "shared-renamed", "description": "edited elsewhere"},
    )
    await expect(page.get_by_role("heading", name="shared-renamed", level=1)).to_be_visible()
    await expect(page.get_by_text("edited elsewhere")).to_be_visible()

    await console.api("mutation($id: ID!) { deleteCheck(id: $id) }", id=check_id)
    await expect(page.get_by_test_id("check-deleted")).to_have_text(
        "The check default/shared-renamed has been deleted, with its runs."
    )
    assert await page.evaluate("window.stillTheSamePage") is True  # no reload


async def test_a_viewer_sees_the_check_but_nothing_to_press(
    console: Console, browser: Browser, patrol: Serve
) -> None:
    check_id = await create_check(console, "watched", SUCCEEDS)
    issued = await console.api(
        'mutation { createApiToken(input: {name: "watcher", role: VIEWER}) { token } }'
    )
    viewer = await open_console(
        browser, patrol, issued["createApiToken"]["token"], viewport={"width": 390, "height": 844}
    )
    page = await open_check(viewer, check_id)
    await expect(page.get_by_role("heading", level=1)).to_have_text("watched")
    await expect(page.get_by_role("heading", name="Run history")).to_be_visible()
    for action in ("Run now", "Pause", "Resume", "Edit", "Delete"):
        await expect(page.get_by_role("button", name=action)).to_have_count(0)
    await viewer.screenshot("check-phone")
    assert not viewer.errors, viewer.errors


async def test_the_history_filters_and_pages_through_many_runs(console: Console) -> None:
    # Scheduled every second and failing, until about 30 runs are there; then one manual success.
    check_id = await create_check(console, "busy", FAILS, runInterval="1s", timeout="1s")
    await all_decided(console, check_id, at_least=30)
    await console.api("mutation($id: ID!) { pauseCheck(id: $id) { id } }", id=check_id)
    scheduled = await all_decided(console, check_id, at_least=30)
    await console.api(
        "mutation($input: UpdateCheckInput!) { updateCheck(input: $input) { id } }",
        input={"id": check_id, "podSpec": SUCCEEDS},
    )
    await console.api("mutation($id: ID!) { triggerCheck(id: $id) { id } }", id=check_id)
    runs = await all_decided(console, check_id, at_least=len(scheduled) + 1)
    total = len(runs)
    failed = [run for run in runs if run["status"] != "SUCCEEDED"]
    # Unreported exits within a 1 s timeout are decided as timed out or as exited: either way,
    # every failure has the same reason.
    (reason,) = {run["failureReason"] for run in failed}

    page = await open_check(console, check_id)
    rows = page.get_by_test_id("run-row")
    count = page.get_by_test_id("run-count")
    await expect(count).to_have_text(f"Showing 20 of {total} runs")
    await expect(rows).to_have_count(20)
    await page.get_by_role("button", name="Load more").click()
    await expect(rows).to_have_count(min(total, 40))
    await expect(count).to_have_text(f"Showing {min(total, 40)} of {total} runs")

    filters = page.get_by_role("form", name="Filter runs")
    await filters.get_by_label("Status").select_option("SUCCEEDED")
    await expect(count).to_have_text("Showing 1 of 1 run")
    await expect(rows.first).to_contain_text("manual")
    assert "status=SUCCEEDED" in page.url
    # The filter is in the address: a reload keeps it.
    await page.reload()
    await expect(count).to_have_text("Showing 1 of 1 run")

    await filters.get_by_role("button", name="Clear filters").click()
    await filters.get_by_label("Failure reason").select_option(reason)
    await expect(count).to_have_text(f"Showing 20 of {len(failed)} runs")
    await filters.get_by_label("Trigger").select_option("MANUAL")
    await expect(page.get_by_text("No run matches these filters")).to_be_visible()
    await filters.get_by_label("Failure reason").select_option("")
    await filters.get_by_label("Cluster").select_option(label="local")
    await expect(count).to_have_text("Showing 1 of 1 run")
    await filters.get_by_label("Trigger").select_option("SCHEDULE")
    await expect(count).to_have_text(f"Showing 20 of {len(failed)} runs")
    await expect(page.get_by_test_id("cluster-status")).to_contain_text("paused")


async def test_after_the_live_connection_comes_back_the_page_reads_what_it_missed(
    console: Console,
) -> None:
    check_id = await create_check(console, "unsteady", SUCCEEDS)
    page = console.page
    online = True
    sockets: list[WebSocketRoute] = []

    async def network(socket: WebSocketRoute) -> None:
        if online:
            socket.connect_to_server()
            sockets.append(socket)
        else:
            await socket.close(code=1012, reason="offline")

    await page.route_web_socket("**/graphql", network)
    await page.reload()
    page = await open_check(console, check_id)
    await expect(page.get_by_text("No runs yet")).to_be_visible()
    await eventually(lambda: _true(bool(sockets)))

    online = False
    await sockets[0].close(code=1012, reason="offline")
    await console.api("mutation($id: ID!) { triggerCheck(id: $id) { id } }", id=check_id)
    await all_decided(console, check_id, at_least=1)
    await expect(page.get_by_text("No runs yet")).to_be_visible()

    online = True
    rows = page.get_by_test_id("run-row")
    await expect(rows.first.locator("[data-status]")).to_have_attribute(
        "data-status", "SUCCEEDED", timeout=60_000
    )
    assert len(sockets) >= 2


async def _true(value: bool) -> bool:
    return value


async def test_a_run_can_be_started_in_one_cluster_or_in_all(
    console: Console, tmp_path: Path
) -> None:
    # A second cluster: the same local cluster, reached through the data directory's kubeconfig.
    await console.api(
        "mutation($input: CreateClusterInput!) { createCluster(input: $input) { id } }",
        input={
            "name": "second",
            "connectionKind": "KUBECONFIG",
            "kubeconfig": (tmp_path / "data" / "kubeconfig").read_text(),
        },
    )
    check_id = await create_check(console, "twice", SUCCEEDS)
    page = await open_check(console, check_id, clusters=2)
    rows = page.get_by_test_id("run-row")

    await page.get_by_label("Run in").select_option(label="second")
    await page.get_by_role("button", name="Run now").click()
    await expect(page.get_by_test_id("triggered")).to_have_text("Started 1 run: second")
    await expect(rows).to_have_count(1, timeout=15_000)
    await expect(rows.first).to_contain_text("second")
    await all_decided(console, check_id, at_least=1)

    await page.get_by_label("Run in").select_option(label="All clusters")
    await page.get_by_role("button", name="Run now").click()
    await expect(page.get_by_test_id("triggered")).to_contain_text("Started 2 runs")
    await expect(rows).to_have_count(3, timeout=15_000)
    filters = page.get_by_role("form", name="Filter runs")
    await filters.get_by_label("Cluster").select_option(label="second")
    await expect(page.get_by_test_id("run-count")).to_have_text("Showing 2 of 2 runs")
    await expect(page.get_by_test_id("uptime").locator("tbody tr")).to_have_count(3)


async def test_a_subscription_the_server_ends_is_followed_again_and_misses_nothing(
    console: Console,
) -> None:
    check_id = await create_check(console, "followed-again", SUCCEEDS)
    page = console.page
    sockets = await EndableSubscriptions.on(console, f"/checks/{check_id}")
    page = await open_check(console, check_id)
    await expect(page.get_by_text("No runs yet")).to_be_visible()
    await eventually(lambda: _true(len(sockets.following("runUpdates")) == 1))

    # The server ends both of the page's subscriptions and refuses the first attempt to follow
    # again; a run is decided before any is back.
    sockets.refuse("runUpdates", times=1)
    for subscription_id in sockets.following("runUpdates") + sockets.following(
        "checkStatusChanged"
    ):
        sockets.end(subscription_id)
    await expect(page.get_by_text("Live updates interrupted")).to_be_visible()
    await console.api("mutation($id: ID!) { triggerCheck(id: $id) { id } }", id=check_id)
    await all_decided(console, check_id, at_least=1)

    # The page follows again by itself, reads what it missed, and says nothing is wrong any more.
    rows = page.get_by_test_id("run-row")
    await expect(rows.first.locator("[data-status]")).to_have_attribute(
        "data-status", "SUCCEEDED", timeout=30_000
    )
    await expect(page.get_by_text("Live updates interrupted")).to_have_count(0)
    await eventually(lambda: _true(len(sockets.following("runUpdates")) == 3))

    # And it is live again: the next run shows up with no reload.
    await console.api("mutation($id: ID!) { triggerCheck(id: $id) { id } }", id=check_id)
    await expect(rows).to_have_count(2, timeout=30_000)
    await expect(rows.first.locator("[data-status]")).to_have_attribute(
        "data-status", "SUCCEEDED", timeout=30_000
    )
