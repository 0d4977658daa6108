"""The overview in Chromium: the status grid of every check x cluster, live, filtered, by keyboard."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, WebSocketRoute, expect

from tests.e2e.checkers import gated_checker, python_script
from tests.e2e.serve import Serve
from tests.fixtures.browser import Console, open_console
from tests.fixtures.stack import eventually, shell_checker

CREATE_CHECK = "mutation($input: CreateCheckInput!) { createCheck(input: $input) { id } }"


async def create_check(
    console: Console,
    namespace: str,
    name: str,
    *,
    pod_spec: dict[str, Any] | None = None,
    run_interval: str | None = None,
    labels: dict[str, str] | None = None,
) -> str:
    """A check in the local cluster; without a run interval it never runs by itself."""
    clusters = (await console.api("{ clusters { id } }"))["clusters"]
    created = await console.api(
        CREATE_CHECK,
        input={
            "namespace": namespace,
            "name": name,
            "podSpec": pod_spec or shell_checker("exit 0"),
            "timeout": "30s",
            "runInterval": run_interval,
            "labels": labels or {},
            "clusterIds": [clusters[0]["id"]],
        },
    )
    check_id: str = created["createCheck"]["id"]
    return check_id


async def test_a_new_checks_first_run_appears_live_on_the_open_overview(
    console: Console, tmp_path: Path
) -> None:
    page = console.page
    await expect(page.get_by_role("heading", name="No checks yet")).to_be_visible()
    await page.evaluate("window.stillTheSamePage = true")
    gate = tmp_path / "gate"
    await create_check(
        console,
        "default",
        "first-light",
        pod_spec=gated_checker(gate, report=True),
        run_interval="1h",
    )
    # Its first run is under way: the check shows up, its status not known yet.
    row = page.get_by_test_id("check-row").filter(has_text="first-light")
    cell = row.locator('[data-cluster="local"]')
    await expect(cell).to_have_attribute("data-status", "UNKNOWN", timeout=15_000)
    await expect(page.get_by_test_id("count-UNKNOWN")).to_contain_text("1")

    gate.touch()  # the checker reports OK: its run is decided

    await expect(cell).to_have_attribute("data-status", "PASSING", timeout=30_000)
    await expect(cell).to_contain_text("passing")
    await expect(page.get_by_test_id("count-PASSING")).to_contain_text("1")
    await expect(page.get_by_test_id("count-UNKNOWN")).to_contain_text("0")
    assert await page.evaluate("window.stillTheSamePage") is True  # no reload
    # The uptime is read again shortly after the flip.
    await expect(cell).to_contain_text("100 %", timeout=15_000)
    await expect(row.get_by_role("link")).to_have_attribute("href", re.compile(r"^#/checks/"))
    await console.screenshot("overview")


async def test_checks_created_renamed_and_deleted_elsewhere_show_live_even_without_runs(
    console: Console,
) -> None:
    page = console.page
    await create_check(console, "default", "stays")
    await page.reload()
    rows = page.get_by_test_id("check-row")
    await expect(rows).to_have_count(1)
    await page.evaluate("window.stillTheSamePage = true")

    # On demand: no run and no status flip says it exists, only the check's own change does.
    created = await create_check(console, "default", "quiet")
    quiet = rows.filter(has_text="default/quiet")
    await expect(quiet.locator('[data-cluster="local"]')).to_have_attribute(
        "data-status", "UNKNOWN"
    )
    await console.api(
        "mutation($i: UpdateCheckInput!) { updateCheck(input: $i) { id } }",
        i={"id": created, "name": "renamed"},
    )
    await expect(rows.filter(has_text="default/renamed")).to_have_count(1)
    await expect(quiet).to_have_count(0)

    await console.api("mutation($id: ID!) { deleteCheck(id: $id) }", id=created)
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-check", "default/stays")
    assert await page.evaluate("window.stillTheSamePage") is True  # no reload


def reporting_whether_absent(path: Path) -> str:
    """A checker that reports OK while `path` does not exist, and a failure once it does."""
    return (
        "import os\n"
        "from app.checkers.client import report_failure, report_success\n"
        f"if os.path.exists({str(path)!r}):\n"
        "    report_failure(['the file exists'])\n"
        "else:\n"
        "    report_success()\n"
    )


async def is_finalized(console: Console, run_id: str) -> bool:
    answer = await console.api("query($id: ID!) { run(id: $id) { finalizedAt } }", id=run_id)
    return answer["run"]["finalizedAt"] is not None


async def has_status(console: Console, check_id: str, status: str) -> bool:
    answer = await console.api(
        "query($id: ID!) { check(id: $id) { statuses { status } } }", id=check_id
    )
    return bool(answer["check"]["statuses"][0]["status"] == status)


async def test_a_flip_while_the_live_connection_is_still_opening_is_not_missed(
    console: Console, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    check_id = await create_check(
        console, "default", "late-socket", pod_spec=python_script(reporting_whether_absent(broken))
    )
    await console.api("mutation($id: ID!) { triggerCheck(id: $id) { id } }", id=check_id)
    await eventually(lambda: has_status(console, check_id, "PASSING"))

    # A fresh tab whose websocket is held open but not connected to Patrol: the grid is read,
    # then the check flips, and only then does the live connection reach the server.
    page = await console.page.context.new_page()
    held: list[str | bytes] = []
    server: list[WebSocketRoute] = []
    sockets: list[WebSocketRoute] = []

    def hold(socket: WebSocketRoute) -> None:
        sockets.append(socket)
        socket.on_message(
            lambda message: server[0].send(message) if server else held.append(message)
        )

    await page.route_web_socket(re.compile(r"/graphql$"), hold)
    await page.goto(f"{console.url}/#/")
    cell = (
        page.get_by_test_id("check-row")
        .filter(has_text="late-socket")
        .locator('[data-cluster="local"]')
    )
    await expect(cell).to_have_attribute("data-status", "PASSING")

    broken.touch()
    triggered = await console.api(
        "mutation($id: ID!) { triggerCheck(id: $id) { id } }", id=check_id
    )
    await eventually(lambda: has_status(console, check_id, "FAILING"))
    # Its run is finalized too, so no later update of it will prompt a read.
    await eventually(lambda: is_finalized(console, triggered["triggerCheck"][0]["id"]))
    await expect(cell).to_have_attribute("data-status", "PASSING")  # nothing live yet

    server.append(sockets[0].connect_to_server())
    for message in held:
        server[0].send(message)
    await expect(cell).to_have_attribute("data-status", "FAILING")
    await page.close()


async def test_filters_and_search_narrow_the_grid_and_live_in_the_address(
    console: Console,
) -> None:
    page = console.page
    await create_check(console, "web", "frontend", labels={"team": "web"})
    await create_check(console, "web", "api", labels={"team": "web"})
    await create_check(console, "db", "postgres", labels={"team": "db"})
    redis = await create_check(console, "db", "redis", labels={"team": "db"})
    await console.api("mutation($id: ID!) { pauseCheck(id: $id) { id } }", id=redis)
    await page.reload()
    rows = page.get_by_test_id("check-row")
    await expect(rows).to_have_count(4)
    # Counts are cells (check x cluster) by status.
    await expect(page.get_by_test_id("count-UNKNOWN")).to_contain_text("3")
    await expect(page.get_by_test_id("count-PAUSED")).to_contain_text("1")
    await expect(page.get_by_test_id("count-PASSING")).to_contain_text("0")

    await page.get_by_label("Search", exact=True).fill("postg")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-check", "db/postgres")
    await expect(page).to_have_url(re.compile(r"#/\?q=postg$"))
    await page.get_by_label("Search", exact=True).fill("")

    await page.get_by_test_id("count-PAUSED").click()
    await expect(page.get_by_test_id("count-PAUSED")).to_have_attribute("aria-pressed", "true")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-check", "db/redis")
    await expect(page).to_have_url(re.compile(r"#/\?status=PAUSED$"))
    await page.get_by_test_id("count-PAUSED").click()
    await expect(rows).to_have_count(4)

    await page.get_by_label("Namespace", exact=True).select_option("web")
    await expect(rows).to_have_count(2)
    await page.get_by_label("Labels", exact=True).fill("team=web")
    await page.get_by_label("Labels", exact=True).press("Enter")
    await page.get_by_label("Namespace", exact=True).select_option("")
    await expect(rows).to_have_count(2)
    await expect(page).to_have_url(re.compile(r"#/\?labels=team%3Dweb$"))
    await page.get_by_label("Cluster", exact=True).select_option("local")
    await page.get_by_label("Search", exact=True).fill("front")
    await expect(rows).to_have_count(1)

    # The address is the view: opened elsewhere, it shows the same filtered grid.
    shared = page.url
    other = await page.context.new_page()
    await other.goto(shared)
    await expect(other.get_by_label("Search", exact=True)).to_have_value("front")
    await expect(other.get_by_label("Labels", exact=True)).to_have_value("team=web")
    await expect(other.get_by_label("Cluster", exact=True)).to_have_value("local")
    await expect(other.get_by_test_id("check-row")).to_have_count(1)
    await expect(other.get_by_test_id("check-row")).to_have_attribute("data-check", "web/frontend")
    await other.close()

    await page.get_by_label("Search", exact=True).fill("nothing-like-this")
    await expect(page.get_by_role("heading", name="No checks match these filters")).to_be_visible()
    await page.get_by_role("button", name="Clear filters").first.click()
    await expect(rows).to_have_count(4)
    await expect(page).to_have_url(re.compile(r"#/$"))

    await page.set_viewport_size({"width": 390, "height": 844})
    await console.screenshot("overview-phone")


async def test_with_no_checks_the_overview_says_how_to_create_one(console: Console) -> None:
    page = console.page
    await expect(page.get_by_role("heading", name="No checks yet")).to_be_visible()
    create = page.get_by_role("link", name="Create a check")
    await expect(create).to_have_attribute("href", "#/checks/new")
    await console.screenshot("overview-empty")


async def test_a_viewer_is_told_who_creates_checks(
    console: Console, browser: Browser, patrol: Serve
) -> None:
    issued = await console.api(
        'mutation { createApiToken(input: {name: "reader", role: VIEWER}) { token } }'
    )
    viewer = await open_console(
        browser, patrol, issued["createApiToken"]["token"], viewport={"width": 1280, "height": 800}
    )
    empty = viewer.page.get_by_role("status").filter(has_text="No checks yet")
    await expect(empty).to_contain_text("once an editor creates one")
    await expect(viewer.page.get_by_role("link", name="Create a check")).to_have_count(0)
    assert not viewer.errors, viewer.errors


async def test_the_keyboard_moves_through_rows_even_those_not_drawn_yet(console: Console) -> None:
    page = console.page
    for number in range(40):
        await create_check(console, "fleet", f"check-{number:02d}")
    await page.reload()
    rows = page.get_by_test_id("check-row")
    await expect(rows.first).to_have_attribute("data-check", "fleet/check-00")
    # Only the rows near the viewport are drawn.
    assert await rows.count() < 40

    # One row link is in the tab order: Tab from the last filter control reaches it.
    await page.get_by_test_id("count-PASSING").focus()
    await page.keyboard.press("Tab")
    first = page.get_by_role("link", name="fleet/check-00")
    await expect(first).to_be_focused()
    await page.keyboard.press("ArrowDown")
    await expect(page.get_by_role("link", name="fleet/check-01")).to_be_focused()
    await page.keyboard.press("End")
    await expect(page.get_by_role("link", name="fleet/check-39")).to_be_focused()
    await page.keyboard.press("ArrowUp")
    await expect(page.get_by_role("link", name="fleet/check-38")).to_be_focused()
    await page.keyboard.press("Home")
    await expect(first).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"#/checks/[^/]+$"))
