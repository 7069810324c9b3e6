"""``gateway/http/console.py``: the console's page at its client routes, hashed assets cached
for a year and nothing else of the folder, and a clear answer when it was never built.

In-process (the gateway app over ``httpx.ASGITransport``) on a console folder the test writes,
so these hold without npm; ``tests/console`` drives the real build in a real browser.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gateway.http import create_app
from gateway.http.console import ASSET_CACHE, console_routes
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph
from tests.support.processes import REPO_ROOT

SUPERGRAPH = REPO_ROOT / "subgraphs" / "supergraph.graphql"
PAGE = '<!doctype html><div id="root"></div><script type="module" src="/assets/app-1a2b.js">'


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _client(folder: Path) -> AsyncIterator[httpx.AsyncClient]:
    gateway = Gateway(load_supergraph(SUPERGRAPH))
    app = create_app(gateway, extra_routes=console_routes(folder))
    transport = httpx.ASGITransport(app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://tandem.test") as client:
            yield client
    finally:
        await gateway.close()


@pytest.fixture
async def built(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "assets" / "app-1a2b.js").write_text("console.log('tandem')")
    (tmp_path / "assets" / "nested").mkdir()
    (tmp_path / "secret.txt").write_text("not an asset")
    async for client in _client(tmp_path):
        yield client


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/", "/signin", "/explorer", "/approvals/req-17"])
async def test_each_client_route_gets_the_page(built: httpx.AsyncClient, path: str) -> None:
    page = await built.get(path)
    assert page.status_code == 200 and page.text == PAGE
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


@pytest.mark.anyio
async def test_hashed_assets_are_cached_for_a_year(built: httpx.AsyncClient) -> None:
    asset = await built.get("/assets/app-1a2b.js")
    assert asset.status_code == 200 and asset.text == "console.log('tandem')"
    assert asset.headers["cache-control"] == ASSET_CACHE


@pytest.mark.anyio
@pytest.mark.parametrize(
    "path",
    ["/assets/", "/assets/nested", "/assets/..%2Fsecret.txt", "/assets/missing.js", "/secret.txt",
     "/approvals/a/b", "/index.html"],
)  # fmt: skip
async def test_nothing_else_of_the_folder_is_served(built: httpx.AsyncClient, path: str) -> None:
    answer = await built.get(path)
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "not an asset" not in answer.text


@pytest.mark.anyio
async def test_an_unbuilt_console_says_how_to_build_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tandem.http"):
        async for client in _client(tmp_path):
            explorer = await client.get("/explorer")
            home = await client.get("/")
    assert explorer.status_code == 503 and "make console" in explorer.text
    assert home.status_code == 200 and "<h1>Tandem</h1>" in home.text  # the plain page
    assert any("the console is not built" in r.getMessage() for r in caplog.records)
