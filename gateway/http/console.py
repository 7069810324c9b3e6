"""The web console (``console/``, built into static files by ``make console``) served at ``/``.

The console is a single-page app on the public GraphQL API: same origin as ``/graphql``, so
the session cookie signs its requests in, and it sends ``X-Tandem-CSRF: 1`` with each POST
(``gateway/auth/browser_safety.py``). This module serves what ``vite build`` wrote:

- the page (``index.html``) at ``/`` and at each client route (:data:`CLIENT_ROUTES`, the
  same paths the console's router knows), so a reload or a shared link lands on the right
  page; ``Cache-Control: no-cache`` (a rebuild shows at once), a Content-Security-Policy
  allowing scripts, styles and connections to this origin only (``connect-src 'self'``, which
  in CSP Level 3 also covers ``ws:``/``wss:`` to this host: Home's subscriptions), no framing;
- ``/assets/<name>``: the bundles, whose names carry a hash of their content, so they are
  cached for a year (``immutable``). Only files directly in the assets folder: no directory
  listing, nothing outside it (a name with a slash or dots is a coded 404).

A console folder without ``index.html`` (configured, never built): ``/`` stays the plain page
of ``home.py``, the other client routes answer 503 with a page saying how to build it, and
start-up logs the same once.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from ..auth.routes import SSO

__all__ = ["ASSET_CACHE", "CLIENT_ROUTES", "console_routes"]

log = logging.getLogger("tandem.http")

CLIENT_ROUTES: Final = (
    "/", "/signin", "/explorer", "/approvals/{request_id}", "/policy", "/audit",
    "/dashboards", "/sales", "/warehouse", "/production", "/people",
)  # fmt: skip
"""The console's own pages (``console/src/router.ts`` knows the same)."""
ASSET_CACHE: Final = "public, max-age=31536000, immutable"
_ASSET_NAME: Final = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$")
_NOT_BUILT: Final = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tandem console</title>'
    "</head><body><main><h1>The console is not built</h1><p>Build it with <code>make console"
    "</code> (Node.js and npm), or run <code>make run</code>, which builds it first. The API "
    'is served meanwhile at <a href="/graphql">/graphql</a>.</p></main></body></html>'
)


def console_routes(folder: Path) -> list[BaseRoute]:
    """The routes serving the console built into ``folder`` (``console/dist``)."""
    index = folder / "index.html"
    if not index.is_file():
        log.warning(
            "the console is not built (no %s): run `make console`; / serves the plain page",
            index,
        )
        return [Route(path, _not_built, methods=["GET"]) for path in CLIENT_ROUTES if path != "/"]
    assets = folder / "assets"

    async def page(request: Request) -> Response:
        try:
            body = index.read_bytes()  # read each time: a rebuild needs no restart
        except OSError:
            return await _not_built(request)
        return HTMLResponse(body, headers=_page_headers(request))

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        path = assets / name
        if not _ASSET_NAME.match(name) or ".." in name or not path.is_file():
            raise HTTPException(404)
        return FileResponse(
            path, headers={"cache-control": ASSET_CACHE, "x-content-type-options": "nosniff"}
        )

    return [
        *(Route(path, page, methods=["GET"]) for path in CLIENT_ROUTES),
        Route("/assets/{name:str}", asset, methods=["GET"]),
    ]


async def _not_built(request: Request) -> Response:
    return HTMLResponse(_NOT_BUILT, status_code=503, headers={"cache-control": "no-store"})


def _page_headers(request: Request) -> dict[str, str]:
    """A strict policy for the app's page: its own scripts, styles and API only. Sign-out is
    a form post that the gateway redirects to the identity provider, hence ``form-action``."""
    form_action = "'self'"
    sso: SSO | None = getattr(request.app.state, "tandem_sso", None)
    if sso is not None:
        issuer = urlsplit(sso.oidc.settings.issuer)
        form_action += f" {issuer.scheme}://{issuer.netloc}"
    return {
        "content-security-policy": (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
            f"object-src 'none'; form-action {form_action}; frame-ancestors 'none'; "
            "base-uri 'none'"
        ),
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "same-origin",
    }
