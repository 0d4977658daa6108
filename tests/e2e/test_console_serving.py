"""The web console is served at `/` to browsers, kept to its own origin, with cacheable assets;
Kuberhealthy's JSON status still answers at `/` for dashboards that ask for JSON."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from app.console import SOURCE_DIST
from tests.fixtures.stack import PatrolStack, patrol_settings


async def test_the_console_and_its_assets_are_served_with_a_strict_policy(
    api_stack: PatrolStack,
) -> None:
    assert (SOURCE_DIST / "index.html").is_file(), "console not built: run `make install`"
    async with httpx.AsyncClient(base_url=api_stack.api_url) as http:
        page = await http.get("/", headers={"accept": "text/html"})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert '<div id="app">' in page.text
        policy = page.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert page.headers["cache-control"] == "no-cache"

        scripts = re.findall(r'src="(/assets/[^"]+\.js)"', page.text)
        assert scripts, page.text
        script = await http.get(scripts[0])
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
        assert "max-age=31536000" in script.headers["cache-control"]

        missing = await http.get("/assets/nothing-here.js")
        assert missing.status_code == 404


@patrol_settings(console_dir=Path("/nonexistent/console"))
async def test_without_a_build_the_root_says_how_to_build_the_console(
    api_stack: PatrolStack,
) -> None:
    async with httpx.AsyncClient(base_url=api_stack.api_url) as http:
        page = await http.get("/", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "make install" in page.text and 'href="/graphql"' in page.text
