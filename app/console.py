"""The web console: its built files served at `/` with headers that keep it to its own origin.

The console is a static single-page app (console/, built by `make install` into console/dist);
it talks to Patrol only through the public GraphQL API, so serving it needs no knowledge of it.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Response
from litestar.datastructures import CacheControlHeader
from litestar.response import File
from litestar.router import Router
from litestar.static_files import create_static_files_router

# Everything the console loads comes from this origin (websockets included); nothing may frame it.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

SOURCE_DIST = Path(__file__).resolve().parent.parent / "console" / "dist"

NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>Patrol</title>
<h1>Patrol</h1>
<p>The web console is not built here: run <code>make install</code> (it needs Node.js 20+).</p>
<p>The GraphQL API and GraphiQL are at <a href="/graphql">/graphql</a>.</p>"""


def console_directory(configured: Path | None) -> Path:
    return configured if configured is not None else SOURCE_DIST


def console_page(directory: Path) -> Response[bytes] | File:
    """The console's index page, or a page saying how to build it."""
    index = directory / "index.html"
    if not index.is_file():
        return Response(NOT_BUILT.encode(), media_type="text/html", headers=SECURITY_HEADERS)
    # Never cached: the next load must pick up a new build's asset names.
    return File(
        index,
        media_type="text/html",
        content_disposition_type="inline",
        headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"},
    )


def console_assets(directory: Path) -> list[Router]:
    """The built assets (content-hashed names, so cached for good); none before a build."""
    assets = directory / "assets"
    if not assets.is_dir():
        return []
    return [
        create_static_files_router(
            path="/assets",
            directories=[assets],
            name="console-assets",
            include_in_schema=False,
            cache_control=CacheControlHeader(max_age=31536000, public=True),
        )
    ]
