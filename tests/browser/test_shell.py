"""The console's shell in Chromium: signing in and out, the navigation, themes, the clusters page."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.e2e.serve import Serve
from tests.fixtures.browser import SCREENSHOTS, Console


async def test_a_refused_token_is_explained_and_a_good_one_signs_in(
    browser: Browser, patrol: Serve, tmp_path: Path
) -> None:
    page = await (await browser.new_context()).new_page()
    await page.goto(patrol.url)
    await page.get_by_label("API token").fill("patrol_not-a-real-token")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("UNAUTHENTICATED")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / "sign-in-refused-light.png")

    token = (tmp_path / "data" / "admin.token").read_text().strip()
    await page.get_by_label("API token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_test_id("principal")).to_contain_text("admin")

    # The token is remembered by this browser: a reload stays signed in, signing out forgets it.
    await page.reload()
    await expect(page.get_by_test_id("principal")).to_contain_text("admin")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_label("API token")).to_be_visible()
    await page.reload()
    await expect(page.get_by_label("API token")).to_be_visible()


async def test_the_clusters_page_shows_the_local_cluster_reachable(console: Console) -> None:
    page = console.page
    await page.get_by_role("link", name="Clusters").click()
    local = page.get_by_test_id("cluster").filter(has_text="local")
    await expect(local).to_be_visible()
    await expect(local.locator("[data-status]").first).to_have_attribute("data-status", "REACHABLE")
    await expect(page.get_by_role("link", name="Clusters")).to_have_attribute(
        "aria-current", "page"
    )
    await console.screenshot("clusters")
    await page.set_viewport_size({"width": 390, "height": 844})
    await console.screenshot("clusters-phone")


async def test_the_theme_switch_is_remembered_and_reachable_by_keyboard(console: Console) -> None:
    page = console.page
    before = await page.evaluate("document.documentElement.dataset.theme")
    switch = page.get_by_role("button", name="theme")
    await switch.focus()
    await page.keyboard.press("Enter")
    after = await page.evaluate("document.documentElement.dataset.theme")
    assert {before, after} == {"light", "dark"}
    await page.reload()
    await expect(page.locator("html")).to_have_attribute("data-theme", after)
    await page.get_by_role("navigation", name="Main").wait_for()

    # The first Tab reaches the skip link, which moves focus to the content.
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    await expect(skip).to_be_focused()
    url_before_skip = page.url
    await page.keyboard.press("Enter")
    await expect(page.locator("#content")).to_be_focused()
    # Skipping is not navigating: the page shown stays the page that was asked for.
    assert page.url == url_before_skip
    await expect(page.get_by_role("heading", name="Nothing at content")).to_have_count(0)


async def test_the_sign_in_page_follows_the_system_theme(browser: Browser, patrol: Serve) -> None:
    for scheme in ("light", "dark"):
        page = await (await browser.new_context(color_scheme=scheme)).new_page()
        await page.goto(patrol.url)
        await expect(page.locator("html")).to_have_attribute("data-theme", scheme)
        await expect(page.get_by_label("API token")).to_be_focused()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SCREENSHOTS / f"sign-in-{scheme}.png")


async def test_everything_the_console_loads_comes_from_patrol_itself(
    browser: Browser, patrol: Serve, tmp_path: Path
) -> None:
    """No CDN, no font service: it works with no internet, and talks to its own origin only."""
    token = (tmp_path / "data" / "admin.token").read_text().strip()
    context = await browser.new_context()
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    sockets: list[str] = []
    page = await context.new_page()
    page.on("websocket", lambda socket: sockets.append(socket.url))
    await page.goto(patrol.url)
    await page.get_by_label("API token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("link", name="Clusters").click()
    await expect(page.get_by_test_id("cluster").first).to_be_visible()  # its page subscribes

    assert requested and all(url.startswith(patrol.url + "/") for url in requested), requested
    websocket_origin = patrol.url.replace("http://", "ws://", 1)
    assert sockets and all(url.startswith(websocket_origin + "/graphql") for url in sockets), (
        sockets
    )
