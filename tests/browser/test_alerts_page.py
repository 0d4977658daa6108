"""The Alerts page in Chromium: a failing check fires an alert that appears live, an editor
acknowledges it, silences and channels are made through the forms, channel URLs stay masked, and a
viewer gets no buttons (an editor none for channels)."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Browser, Page, WebSocketRoute, expect

from tests.e2e.serve import CREATE_CHECK, Serve
from tests.fixtures.browser import Console, open_console
from tests.fixtures.receivers import Webhook
from tests.fixtures.stack import eventually, shell_checker

SECRET = "s3cr3t-hook-token"

CREATE_CHANNEL = """mutation($input: CreateChannelInput!) {
  createChannel(input: $input) { id maskedUrls }
}"""
CREATE_RULE = "mutation($input: CreateRuleInput!) { createRule(input: $input) { id } }"
CREATE_SILENCE = "mutation($input: CreateSilenceInput!) { createSilence(input: $input) { id } }"


async def set_up_alerting(console: Console, webhook: Webhook) -> dict[str, Any]:
    """A webhook channel and a rule that fires on the first failed run in `default`."""
    channel = (
        await console.api(
            CREATE_CHANNEL,
            input={
                "name": "on-call webhook",
                "urls": [f"json://127.0.0.1:{webhook.port}/hooks/{SECRET}"],
            },
        )
    )["createChannel"]
    await console.api(
        CREATE_RULE,
        input={
            "name": "default checks failing",
            "severity": "CRITICAL",
            "channelIds": [channel["id"]],
            "selector": {"namespaces": ["default"]},
            "condition": {"consecutiveFailures": {"failureThreshold": 1, "successThreshold": 1}},
        },
    )
    return channel


async def create_failing_check(console: Console, name: str) -> str:
    local = (await console.api('{ cluster(name: "local") { id } }'))["cluster"]
    created = await console.api(
        CREATE_CHECK,
        input={
            "name": name,
            "namespace": "default",
            "runInterval": "1h",
            "timeout": "30s",
            "clusterIds": [local["id"]],
            "podSpec": shell_checker("echo broken; exit 3"),
        },
    )
    check_id: str = created["createCheck"]["id"]
    return check_id


class Link:
    """One websocket of the page, routed through the test; held (not connected to Patrol) until
    `connect`, with what the page sent meanwhile delivered then."""

    def __init__(self, page_side: WebSocketRoute, sent: list[str]) -> None:
        self.page_side = page_side
        self.server: WebSocketRoute | None = None
        self.waiting: list[str | bytes] = []
        self.sent = sent
        page_side.on_message(self.from_page)

    def from_page(self, message: str | bytes) -> None:
        self.sent.append(str(message))
        if self.server is None:
            self.waiting.append(message)
        else:
            self.server.send(message)

    def connect(self) -> None:
        self.server = self.page_side.connect_to_server()
        for message in self.waiting:
            self.server.send(message)
        self.waiting.clear()


class CuttableSockets:
    """The page's websockets to Patrol, which the test can cut and keep down."""

    def __init__(self) -> None:
        self.links: list[Link] = []
        self.sent: list[str] = []
        self.down = False

    def handle(self, page_side: WebSocketRoute) -> None:
        link = Link(page_side, self.sent)
        self.links.append(link)
        if not self.down:
            link.connect()

    async def cut(self) -> None:
        self.down = True
        await self.links[-1].page_side.close(code=1012, reason="cut by the test")

    def restore(self) -> None:
        self.down = False
        for link in self.links:
            if link.server is None:
                link.connect()


async def choose_tab(page: Page, name: str) -> None:
    await page.get_by_role("tab", name=name).click()
    await expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


async def test_a_failing_check_fires_an_alert_that_appears_live_and_is_acknowledged(
    console: Console, webhook: Webhook
) -> None:
    page = console.page
    await set_up_alerting(console, webhook)
    sent: list[str] = []
    page.on(
        "websocket", lambda socket: socket.on("framesent", lambda frame: sent.append(str(frame)))
    )
    await page.get_by_role("link", name="Alerts").click()
    await expect(page.get_by_text("Nothing is firing")).to_be_visible()
    # The page is subscribed (alertUpdates sent) before anything fails.
    await eventually(lambda: _async(any("alertUpdates" in frame for frame in sent)))

    await create_failing_check(console, "broken-shop")
    alert = page.get_by_test_id("alert").filter(has_text="default/broken-shop")
    await expect(alert).to_be_visible(timeout=60_000)  # no reload: alertUpdates brought it
    await expect(alert.locator("[data-status]").first).to_have_attribute("data-status", "FIRING")
    await expect(alert).to_contain_text("critical")
    await expect(alert).to_contain_text("default checks failing")

    # The rule's channel, a real HTTP receiver, was told.
    await eventually(lambda: _async(len(webhook.requests) > 0), timeout=60)
    assert "FIRING" in webhook.requests[0].body["title"]

    await alert.get_by_role("button", name="History").click()
    timeline = alert.get_by_role("region", name="Timeline")
    await expect(timeline).to_contain_text("firing")
    await expect(timeline.get_by_role("link", name="a run")).to_be_visible()
    await alert.get_by_label("Acknowledgement comment").fill("looking at the shop")
    await alert.get_by_role("button", name="Acknowledge").click()
    await expect(alert.locator("[data-status]").first).to_have_attribute(
        "data-status", "ACKNOWLEDGED"
    )
    await expect(timeline).to_contain_text("acknowledged")
    await expect(timeline).to_contain_text("looking at the shop")
    await expect(alert.get_by_role("button", name="Acknowledge")).to_have_count(0)

    await alert.get_by_label("Comment", exact=True).fill("the disk was full")
    await alert.get_by_role("button", name="Add comment").click()
    await expect(alert.get_by_role("region", name="Comments")).to_contain_text("the disk was full")
    await expect(alert.get_by_role("region", name="Notifications")).to_contain_text(
        "firing to on-call webhook"
    )
    await console.screenshot("alerts")
    await page.set_viewport_size({"width": 390, "height": 844})
    await console.screenshot("alerts-phone")
    await page.set_viewport_size({"width": 1280, "height": 800})

    # Filters: it is not resolved, and it is among the critical ones.
    await page.get_by_label("State").select_option("resolved")
    await expect(page.get_by_text("No alerts match")).to_be_visible()
    await page.get_by_label("State").select_option("all")
    await page.get_by_label("Severity").select_option("CRITICAL")
    await expect(alert).to_be_visible()

    # The filters and the opened alert are in the address: a reload (or a shared link) keeps them.
    await expect(page).to_have_url(re.compile(r"#/alerts\?state=all&severity=CRITICAL&alert="))
    await page.reload()
    await expect(page.get_by_label("State")).to_have_value("all")
    await expect(alert.get_by_role("region", name="Timeline")).to_contain_text("acknowledged")


async def test_an_alert_fired_while_the_connection_was_down_appears_when_it_is_back(
    console: Console, webhook: Webhook
) -> None:
    page = console.page
    sockets = CuttableSockets()
    await page.route_web_socket(re.compile(r"/graphql$"), sockets.handle)
    await set_up_alerting(console, webhook)
    await console.open("/alerts")
    await page.reload()  # every websocket from here on goes through `sockets`
    await expect(page.get_by_text("Nothing is firing")).to_be_visible()
    await eventually(lambda: _async(any("alertUpdates" in frame for frame in sockets.sent)))

    connections = len(sockets.links)
    await sockets.cut()
    await create_failing_check(console, "broken-while-away")
    await eventually(_alert_fired(console), timeout=60)
    # The page tried to come back, and was kept waiting: it could not have heard of the alert.
    await eventually(lambda: _async(len(sockets.links) > connections), timeout=30)
    await expect(page.get_by_text("Nothing is firing")).to_be_visible()

    sockets.restore()
    alert = page.get_by_test_id("alert").filter(has_text="default/broken-while-away")
    await expect(alert).to_be_visible(timeout=30_000)
    await expect(alert.locator("[data-status]").first).to_have_attribute("data-status", "FIRING")


async def test_alerts_come_in_pages_of_twenty(console: Console, webhook: Webhook) -> None:
    """Every rule gets its own alert: 21 rules over one failing check make 21 alerts."""
    page = console.page
    await set_up_alerting(console, webhook)
    for number in range(20):
        await console.api(
            CREATE_RULE,
            input={
                "name": f"rule {number:02}",
                "condition": {"consecutiveFailures": {"failureThreshold": 1}},
            },
        )
    await create_failing_check(console, "broken-everywhere")

    async def all_fired() -> bool:
        data = await console.api("{ alerts(filter: {status: [FIRING]}) { totalCount } }")
        return bool(data["alerts"]["totalCount"] == 21)

    await eventually(all_fired, timeout=90)
    await console.open("/alerts")
    await expect(page.get_by_text("21 alerts")).to_be_visible()
    await expect(page.get_by_test_id("alert")).to_have_count(20)
    pages = page.get_by_role("navigation", name="Pages")
    await expect(pages.get_by_role("button", name="Newer")).to_be_disabled()
    await pages.get_by_role("button", name="Older").click()
    await expect(page.get_by_test_id("alert")).to_have_count(1)
    await expect(pages).to_contain_text("Page 2")
    await expect(pages.get_by_role("button", name="Older")).to_be_disabled()
    await pages.get_by_role("button", name="Newer").click()
    await expect(page.get_by_test_id("alert")).to_have_count(20)


async def test_a_silence_is_created_with_field_errors_first_and_then_expired(
    console: Console,
) -> None:
    page = console.page
    await console.open("/alerts?tab=silences")
    await expect(page.get_by_role("tab", name="Silences")).to_have_attribute(
        "aria-selected", "true"
    )
    await expect(page.get_by_text("No active silences")).to_be_visible()

    await page.get_by_role("button", name="New silence").click()
    form = page.get_by_role("form", name="New silence")
    await form.get_by_label("Duration").fill("soon")
    await form.get_by_role("button", name="Create silence").click()
    await expect(form).to_contain_text("Say what to silence")
    await expect(form).to_contain_text("Use a duration like 30m")
    await console.screenshot("silences-form")

    # The form's checks passed; the API's own refusal lands at its field too.
    await form.get_by_label("Duration").fill("2h")
    await form.get_by_label("Namespaces").fill("Not_A_Namespace")
    await form.get_by_role("button", name="Create silence").click()
    await expect(
        form.locator(".field").filter(has_text="Namespaces").get_by_role("alert")
    ).to_be_visible()

    await form.get_by_label("Namespaces").fill("default")
    await form.get_by_label("Comment").fill("shop deploy window")
    await form.get_by_role("button", name="Create silence").click()
    silence = page.get_by_test_id("silence").filter(has_text="namespaces default")
    await expect(silence).to_contain_text("shop deploy window")
    await expect(silence.locator("[data-status]")).to_have_attribute("data-status", "ACTIVE")
    await console.screenshot("silences")

    await silence.get_by_role("button", name="Expire").click()
    await expect(page.get_by_text("No active silences")).to_be_visible()
    await page.get_by_label("Show expired silences").check()
    await expect(silence.locator("[data-status]")).to_have_attribute("data-status", "EXPIRED")
    await expect(silence.get_by_role("button", name="Expire")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    await silence.get_by_role("button", name="Delete").click()
    await expect(page.get_by_text("No silences")).to_be_visible()


async def test_channels_show_urls_masked_send_a_test_and_rules_are_edited(
    console: Console, webhook: Webhook
) -> None:
    page = console.page
    await console.open("/alerts?tab=channels")
    await expect(page.get_by_text("No channels")).to_be_visible()
    await expect(page.get_by_text("Add one so Patrol can tell someone")).to_be_visible()

    await page.get_by_role("button", name="New channel").click()
    form = page.get_by_role("form", name="New channel")
    await form.get_by_label("Name").fill("shop webhook")
    await form.get_by_label("Apprise URLs").fill("notaservice://nowhere")
    await form.get_by_role("button", name="Create channel").click()
    await expect(
        form.locator(".field").filter(has_text="Apprise URLs").get_by_role("alert")
    ).to_be_visible()
    await form.get_by_label("Apprise URLs").fill(f"json://127.0.0.1:{webhook.port}/hooks/{SECRET}")
    await form.get_by_role("button", name="Create channel").click()
    channel = page.get_by_test_id("channel").filter(has_text="shop webhook")
    await expect(channel).to_contain_text("json://")
    assert SECRET not in await page.content()

    await channel.get_by_role("button", name="Send test").click()
    result = channel.get_by_test_id("test-result")
    await expect(result).to_contain_text("Test message sent")
    await expect(result.locator("[data-status]")).to_have_attribute("data-status", "SENT")
    assert webhook.requests[-1].body["title"] == "[INFO] Patrol test message"

    # Editing without typing URLs keeps them: the test still reaches the same receiver.
    await channel.get_by_role("button", name="Edit").click()
    edit = page.get_by_role("form", name="Edit channel")
    await expect(edit.get_by_label("Apprise URLs")).to_have_value("")
    await edit.get_by_label("Description").fill("the shop team's hook")
    await edit.get_by_role("button", name="Save channel").click()
    await expect(channel).to_contain_text("the shop team's hook")
    await channel.get_by_role("button", name="Send test").click()
    await eventually(lambda: _async(len(webhook.requests) == 2), timeout=30)
    assert SECRET not in await page.content()
    await console.screenshot("channels")

    await choose_tab(page, "Rules")
    await expect(page.get_by_text("No rules")).to_be_visible()
    await page.get_by_role("button", name="New rule").click()
    form = page.get_by_role("form", name="New rule")
    await form.get_by_label("Name", exact=True).fill("shop failing")
    await form.get_by_label("Severity").select_option("CRITICAL")
    await form.get_by_label("Namespaces").fill("default")
    await form.get_by_label("shop webhook").check()
    await form.get_by_label("Reminder every").fill("5s")
    await form.get_by_role("button", name="Create rule").click()
    reminder = form.locator(".field").filter(has_text="Reminder every").get_by_role("alert")
    await expect(reminder).to_be_visible()
    await console.screenshot("rules-form")
    await form.get_by_label("Reminder every").fill("1h")
    await form.get_by_role("button", name="Create rule").click()
    rule = page.get_by_test_id("rule").filter(has_text="shop failing")
    await expect(rule).to_contain_text("3 failed runs in a row")
    await expect(rule).to_contain_text("shop webhook")
    await expect(rule).to_contain_text("namespaces default")

    await rule.get_by_role("button", name="Edit").click()
    edit = page.get_by_role("form", name="Edit rule")
    await edit.get_by_label("Condition").select_option("noSuccessFor")
    await edit.get_by_label("For (e.g. 30m)").fill("45m")
    await edit.get_by_text("Message templates").click()
    await edit.get_by_label("Title template").fill("{{ check.name")
    await edit.get_by_role("button", name="Save rule").click()
    title = edit.locator(".field").filter(has_text="Title template").get_by_role("alert")
    await expect(title).to_be_visible()
    await edit.get_by_label("Title template").fill("{{ check.name }} is down")
    await edit.get_by_role("button", name="Save rule").click()
    await expect(rule).to_contain_text("no successful run for 45m0s")
    await console.screenshot("rules")

    # Tabs answer the keyboard: arrows move between them.
    await page.get_by_role("tab", name="Rules").focus()
    await page.keyboard.press("ArrowRight")
    await expect(page.get_by_role("tab", name="Channels")).to_be_focused()
    await expect(page.get_by_role("tab", name="Channels")).to_have_attribute(
        "aria-selected", "true"
    )
    await expect(page).to_have_url(f"{console.url}/#/alerts?tab=channels")

    # Deleting asks first; the rule goes, then the channel.
    page.on("dialog", lambda dialog: dialog.accept())
    await choose_tab(page, "Rules")
    await rule.get_by_role("button", name="Delete").click()
    await expect(page.get_by_text("No rules")).to_be_visible()
    await choose_tab(page, "Channels")
    await channel.get_by_role("button", name="Delete").click()
    await expect(page.get_by_text("No channels")).to_be_visible()


async def test_a_viewer_gets_no_buttons_and_an_editor_none_for_channels(
    console: Console, browser: Browser, patrol: Serve, webhook: Webhook
) -> None:
    await set_up_alerting(console, webhook)
    await console.api(
        CREATE_SILENCE,
        input={
            "matchers": {"namespaces": ["staging"]},
            "window": {"oneOff": {"endsAt": "2099-01-01T00:00:00Z"}},
            "comment": "not ready",
        },
    )
    await create_failing_check(console, "broken-cart")
    await eventually(_alert_fired(console), timeout=60)

    issued = await console.api(
        'mutation { createApiToken(input: {name: "reader", role: VIEWER}) { token } }'
    )
    viewer = await open_console(
        browser, patrol, issued["createApiToken"]["token"], viewport={"width": 1280, "height": 800}
    )
    page = viewer.page
    await viewer.open("/alerts")
    alert = page.get_by_test_id("alert").filter(has_text="default/broken-cart")
    await alert.get_by_role("button", name="History").click()
    await expect(alert.get_by_role("region", name="Timeline")).to_contain_text("firing")
    for tab, visible in (
        ("Alerts", alert),
        ("Silences", page.get_by_test_id("silence")),
        ("Rules", page.get_by_test_id("rule")),
        ("Channels", page.get_by_test_id("channel")),
    ):
        await choose_tab(page, tab)
        await expect(visible).to_be_visible()
        for button in (
            "New",
            "Edit",
            "Delete",
            "Expire",
            "Send test",
            "Acknowledge",
            "Add comment",
        ):
            await expect(page.get_by_role("button", name=button)).to_have_count(0)
    await expect(page.get_by_test_id("channel")).to_contain_text("json://")
    assert SECRET not in await page.content()
    assert not viewer.errors, viewer.errors

    # An editor acknowledges, silences and writes rules; channels stay an admin's.
    issued = await console.api(
        'mutation { createApiToken(input: {name: "on-call", role: EDITOR}) { token } }'
    )
    editor = await open_console(
        browser, patrol, issued["createApiToken"]["token"], viewport={"width": 1280, "height": 800}
    )
    page = editor.page
    await editor.open("/alerts")
    alert = page.get_by_test_id("alert").filter(has_text="default/broken-cart")
    await alert.get_by_role("button", name="History").click()
    await expect(alert.get_by_role("button", name="Acknowledge")).to_be_visible()
    for tab, button in (("Silences", "Expire"), ("Rules", "Edit")):
        await choose_tab(page, tab)
        await expect(page.get_by_role("button", name=button)).to_be_visible()
    await choose_tab(page, "Channels")
    await expect(page.get_by_test_id("channel")).to_be_visible()
    for button in ("New channel", "Edit", "Delete", "Send test"):
        await expect(page.get_by_role("button", name=button)).to_have_count(0)
    assert not editor.errors, editor.errors


def _alert_fired(console: Console) -> Any:
    async def probe() -> bool:
        data = await console.api("{ alerts(filter: {status: [FIRING]}) { totalCount } }")
        return bool(data["alerts"]["totalCount"])

    return probe


async def _async(value: bool) -> bool:
    return value
