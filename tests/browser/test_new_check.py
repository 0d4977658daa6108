"""The New check page in Chromium: a check written in the form, one imported from a Kuberhealthy
manifest after a dry run, one made from the catalog, and what a viewer sees instead."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Browser, Page, expect

from tests.e2e.serve import Serve
from tests.fixtures.browser import Console, open_console
from tests.fixtures.stack import eventually

CHECKS = "{ checks { nodes { id namespace name labels description runInterval } } }"
RUNS = "query($id: ID!) { runs(filter: {checkId: $id}) { nodes { status } } }"

MANIFESTS = """\
apiVersion: kuberhealthy.github.io/v2
kind: HealthCheck
metadata:
  name: from-manifest
  namespace: default
spec:
  runInterval: 1h
  timeout: 30s
  podSpec:
    spec:
      containers:
        - name: main
          image: busybox:1.36
          command: ["sh", "-c", "exit 0"]
---
apiVersion: kuberhealthy.github.io/v2
kind: HealthCheck
metadata:
  name: broken-manifest
  namespace: default
spec:
  runInterval: every hour
  timeout: 30s
  podSpec:
    spec:
      containers:
        - name: main
          image: busybox:1.36
"""


def check_page(check_id: str) -> re.Pattern[str]:
    return re.compile(re.escape(f"#/checks/{check_id}") + "$")


async def checks(console: Console) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await console.api(CHECKS))["checks"]["nodes"]
    return found


async def first_run_succeeds(console: Console, check_id: str) -> None:
    async def statuses() -> list[str] | None:
        runs = (await console.api(RUNS, id=check_id))["runs"]["nodes"]
        found = [run["status"] for run in runs]
        return found if "SUCCEEDED" in found else None

    assert (await eventually(statuses, timeout=90, interval=0.5))[-1] == "SUCCEEDED"


async def open_new_check(page: Page) -> None:
    await page.get_by_role("link", name="New check").click()
    await expect(page.get_by_role("heading", name="New check", level=1)).to_be_visible()


async def test_a_check_written_in_the_form_opens_its_page_and_its_first_run_succeeds(
    console: Console,
) -> None:
    page = console.page
    panel = page.get_by_role("tabpanel")  # the one shown: the others are hidden
    await open_new_check(page)
    await expect(page.get_by_role("tab", name="Form")).to_have_attribute("aria-selected", "true")
    await panel.get_by_role("textbox", name="Name", exact=True).fill("from-form")
    await panel.get_by_label("Description").fill("Reports OK, as the starter pod spec does")
    await panel.get_by_label("Labels").fill("team=sre")
    # The local cluster is chosen already; the starter pod spec reports success by itself.
    await expect(page.get_by_role("checkbox", name="local")).to_be_checked()
    await expect(panel.get_by_label("Pod spec (YAML)")).to_have_value(
        re.compile("KH_REPORTING_URL")
    )
    await console.screenshot("new-check-form")
    await page.set_viewport_size({"width": 390, "height": 844})
    await console.screenshot("new-check-form-phone")
    await page.set_viewport_size({"width": 1280, "height": 800})

    await page.get_by_role("button", name="Create check").click()
    await expect(page).to_have_url(re.compile(r"#/checks/(?!new)[^/?]+$"))
    [created] = await checks(console)
    await expect(page).to_have_url(check_page(created["id"]))
    assert (created["namespace"], created["name"]) == ("default", "from-form")
    assert created["labels"] == {"team": "sre"}
    assert created["description"] == "Reports OK, as the starter pod spec does"
    assert created["runInterval"] == "1m0s"
    await first_run_succeeds(console, created["id"])


async def test_an_invalid_field_shows_the_apis_message_there_and_creates_nothing(
    console: Console,
) -> None:
    page = console.page
    panel = page.get_by_role("tabpanel")  # the one shown: the others are hidden
    await console.open("/checks/new")
    await panel.get_by_role("textbox", name="Name", exact=True).fill("invalid")
    await panel.get_by_label("Timeout").fill("soon")
    await page.get_by_role("button", name="Create check").click()
    timeout = panel.get_by_label("Timeout")
    await expect(timeout).to_have_accessible_description(re.compile("invalid duration 'soon'"))
    await expect(timeout).to_have_attribute("aria-invalid", "true")
    await expect(timeout).to_be_focused()
    await expect(panel.get_by_role("textbox", name="Name", exact=True)).not_to_have_attribute(
        "aria-invalid", "true"
    )

    # YAML that does not parse is caught here, at its field, before anything is sent.
    await panel.get_by_label("Timeout").fill("30s")
    await panel.get_by_label("Pod spec (YAML)").fill("containers: [unclosed")
    await page.get_by_role("button", name="Create check").click()
    await expect(panel.get_by_label("Pod spec (YAML)")).to_have_accessible_description(
        re.compile("podSpec: line 1")
    )
    await expect(timeout).not_to_have_attribute("aria-invalid", "true")
    await expect(page).to_have_url(re.compile(r"#/checks/new$"))
    assert await checks(console) == []


async def test_a_manifest_is_dry_run_then_applied_and_links_to_its_check(
    console: Console,
) -> None:
    page = console.page
    panel = page.get_by_role("tabpanel")  # the one shown: the others are hidden
    await console.open("/checks/new")
    # The tabs follow the WAI-ARIA pattern: arrow keys move between them.
    await page.get_by_role("tab", name="Form").focus()
    await page.keyboard.press("ArrowRight")
    manifest_tab = page.get_by_role("tab", name="Kuberhealthy manifest")
    await expect(manifest_tab).to_be_focused()
    await expect(manifest_tab).to_have_attribute("aria-selected", "true")
    await expect(page).to_have_url(re.compile(r"#/checks/new\?tab=manifest$"))

    # One document is invalid: the dry run says which and why, and nothing can be applied.
    await panel.get_by_label("Manifests (YAML)").fill(MANIFESTS)
    await page.get_by_role("button", name="Dry run").click()
    documents = page.get_by_test_id("manifest-document")
    await expect(documents).to_have_count(2)
    await expect(documents.nth(0)).to_contain_text("would create")
    await expect(documents.nth(0)).to_contain_text("default/from-manifest")
    await expect(documents.nth(1)).to_have_attribute("data-action", "INVALID")
    await expect(documents.nth(1)).to_contain_text("default/broken-manifest")
    await expect(documents.nth(1)).to_contain_text("every hour")
    await expect(page.get_by_role("button", name="Apply")).to_be_disabled()
    await console.screenshot("new-check-manifest")

    # Editing the YAML asks for a new dry run; with only the good document it can be applied.
    await panel.get_by_label("Manifests (YAML)").fill(MANIFESTS.split("---")[0])
    await expect(page.get_by_role("button", name="Apply")).to_be_disabled()
    await page.get_by_role("button", name="Dry run").click()
    await expect(documents).to_have_count(1)
    assert await checks(console) == []
    await page.get_by_role("button", name="Apply").click()
    link = page.get_by_role("link", name="default/from-manifest")
    await expect(link).to_be_visible()
    await expect(page.get_by_test_id("manifest-document")).to_contain_text("created")
    [created] = await checks(console)
    assert created["name"] == "from-manifest"
    await link.click()
    await expect(page).to_have_url(check_page(created["id"]))


async def test_a_catalog_http_check_against_patrol_itself_is_created_in_one_click(
    console: Console,
) -> None:
    page = console.page
    panel = page.get_by_role("tabpanel")  # the one shown: the others are hidden
    await console.open("/checks/new")
    await page.get_by_role("tab", name="Form").focus()
    await page.keyboard.press("End")
    await expect(page.get_by_role("tab", name="Catalog")).to_have_attribute("aria-selected", "true")
    templates = page.get_by_test_id("catalog-template")
    await expect(templates.filter(has_text="TCP connection")).to_be_visible()
    await console.screenshot("new-check-catalog")
    await panel.get_by_label("Search the catalog").fill("http request")
    await expect(templates.filter(has_text="TCP connection")).to_have_count(0)
    await page.get_by_role("button", name="Use HTTP request").click()

    # Settings come with their defaults and help; a bad one is named at its field.
    await expect(panel.get_by_role("textbox", name="Name", exact=True)).to_be_focused()
    await expect(panel.get_by_label("Method")).to_have_value("GET")
    await expect(panel.get_by_label("Expected status code")).to_have_value("200")
    await expect(page).to_have_url(re.compile(r"tab=catalog&template=patrol-http$"))
    await panel.get_by_role("textbox", name="Name", exact=True).fill("patrol-self")
    await panel.get_by_role("textbox", name="URL", exact=True).fill("not a url")
    create = page.get_by_role("button", name="Create HTTP request check")
    await create.click()
    url = panel.get_by_role("textbox", name="URL", exact=True)
    await expect(url).to_have_attribute("aria-invalid", "true")
    await expect(url).to_have_accessible_description(re.compile("settings.CHECK_URL"))
    assert await checks(console) == []
    await console.screenshot("new-check-catalog-settings")
    await page.set_viewport_size({"width": 390, "height": 844})
    await console.screenshot("new-check-catalog-settings-phone")
    await page.set_viewport_size({"width": 1280, "height": 800})

    # Back to the list and in again: the search is kept, the form starts from the defaults.
    await panel.get_by_role("button", name="All templates").click()
    await expect(panel.get_by_label("Search the catalog")).to_be_focused()
    await expect(panel.get_by_label("Search the catalog")).to_have_value("http request")
    await page.get_by_role("button", name="Use HTTP request").click()
    await expect(url).to_have_value("")
    await panel.get_by_role("textbox", name="Name", exact=True).fill("patrol-self")
    await url.fill(f"{console.url}/healthz")
    await create.click()
    [created] = await eventually(lambda: checks(console))
    await expect(page).to_have_url(check_page(created["id"]))
    assert created["name"] == "patrol-self"
    await first_run_succeeds(console, created["id"])


async def test_a_viewer_is_told_why_there_is_no_form(
    browser: Browser, patrol: Serve, console: Console
) -> None:
    issued = await console.api(
        'mutation { createApiToken(input: {name: "reader", role: VIEWER}) { token } }'
    )
    viewer = await open_console(
        browser, patrol, issued["createApiToken"]["token"], viewport={"width": 1280, "height": 800}
    )
    page = viewer.page
    await expect(page.get_by_role("link", name="New check")).to_have_count(0)
    await viewer.open("/checks/new")
    await expect(page.get_by_text("Creating checks needs the editor role")).to_be_visible()
    await expect(page.get_by_role("tab")).to_have_count(0)
    await expect(page.get_by_role("textbox")).to_have_count(0)
    assert not viewer.errors, viewer.errors
