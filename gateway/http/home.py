"""The page at ``/``: who is signed in, a sign-out button, and where the API is.

Where the browser lands after signing in (``/auth/callback`` sends it to ``/`` unless the login
named another same-origin path). Signed in (a live session cookie): the person's name,
subject, roles and department, a sign-out button (a same-origin ``POST`` form to
``/auth/logout``, which ends the session and sends the browser on to the provider's
end-session endpoint), and the API's addresses. Not signed in: a "Sign in" link to
``/auth/login``. A gateway without browser sign-in says so.

Plain HTML, built by :func:`render_home` (a pure function, reusable by the console to come):
every value is escaped with ``html.escape`` (a name is whatever the identity provider says),
no script at all, one stylesheet allowed by its hash in a strict Content-Security-Policy, and
``Cache-Control: no-store`` (the page names a person). Reading the session for a page view
needs no CSRF check: a cross-site page can make the browser navigate here but never read the
response, and framing is forbidden.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
from typing import Final
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tandem_shared.tokens import Principal

from ..auth.routes import SSO, principal_of
from ..errors import TandemError

__all__ = ["home_route", "render_home", "security_headers"]

log = logging.getLogger("tandem.http")

_STYLE: Final = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:40rem;padding:0 1rem}"
    "dt{font-weight:600}dd{margin:0 0 .5rem}code{background:#f2f2f2;padding:0 .2rem}"
    "button{font:inherit;padding:.3rem 1rem}"
)
_STYLE_HASH: Final = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()


def security_headers(form_targets: tuple[str, ...] = ()) -> dict[str, str]:
    """The headers of a page of this kind: a strict CSP, no caching, no framing, no referrer.

    ``form_targets`` are origins a form may lead to besides this one: browsers apply
    ``form-action`` to the redirects after a form post too, and sign-out redirects to the
    identity provider.
    """
    form_action = " ".join(("'self'", *form_targets))
    return {
        "content-security-policy": (
            f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action {form_action}; "
            "frame-ancestors 'none'; base-uri 'none'"
        ),
        "cache-control": "no-store",
        "pragma": "no-cache",
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
    }


def render_home(
    principal: Principal | None,
    *,
    sign_in: bool = True,
    graphql_path: str = "/graphql",
    auth_prefix: str = "/auth",
) -> str:
    """The page for ``principal`` (None: not signed in); ``sign_in``: browser login exists."""
    e = html.escape
    if principal is not None:
        roles = "".join(f"<li>{e(role)}</li>" for role in principal.roles) or "<li>none</li>"
        body = (
            "<h2>Signed in</h2><dl>"
            f"<dt>Name</dt><dd>{e(principal.name)}</dd>"
            f"<dt>Subject</dt><dd><code>{e(principal.subject)}</code></dd>"
            f"<dt>Roles</dt><dd><ul>{roles}</ul></dd>"
            f"<dt>Department</dt><dd>{e(principal.department or 'none')}</dd></dl>"
            f'<form method="post" action="{e(auth_prefix)}/logout">'
            '<button type="submit">Sign out</button></form>'
        )
    elif sign_in:
        body = (
            "<h2>Not signed in</h2>"
            f'<p><a href="{e(auth_prefix)}/login">Sign in</a> with your company account.</p>'
        )
    else:
        body = (
            "<h2>Not signed in</h2><p>This gateway has no browser sign-in configured: "
            "programs call the API with <code>Authorization: Bearer</code> tokens.</p>"
        )
    api = (
        "<h2>The API</h2><ul>"
        f'<li>GraphQL: <code>POST <a href="{e(graphql_path)}">{e(graphql_path)}</a></code> '
        "(from a browser with your session: send <code>content-type: application/json</code> "
        "or <code>X-Tandem-CSRF: 1</code>)</li>"
        '<li>Schema you may see (SDL): <a href="/schema"><code>/schema</code></a></li>'
        "<li>Query plans, for developers the policy allows: <code>POST /plan</code> with a "
        "GraphQL request (the plan and estimated cost; nothing runs)</li></ul>"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Tandem</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>Tandem</h1>{body}{api}</main></body></html>"
    )


def home_route(*, graphql_path: str = "/graphql") -> Route:
    """``GET /`` for the app; the browser login is the app's ``state.tandem_sso`` (or none)."""

    async def home(request: Request) -> Response:
        sso: SSO | None = getattr(request.app.state, "tandem_sso", None)
        principal = await _signed_in(sso, request)
        targets: tuple[str, ...] = ()
        if sso is not None:
            issuer = urlsplit(sso.oidc.settings.issuer)
            targets = (f"{issuer.scheme}://{issuer.netloc}",)
        page = render_home(principal, sign_in=sso is not None, graphql_path=graphql_path)
        return HTMLResponse(page, headers=security_headers(targets))

    return Route("/", home, methods=["GET"])


async def _signed_in(sso: SSO | None, request: Request) -> Principal | None:
    """The session's principal, or None (no cookie, or one naming no live session)."""
    if sso is None:
        return None
    session_id = request.cookies.get(sso.settings.cookie_name)
    if not session_id:
        return None
    try:
        session = await sso.sessions.current(session_id)
    except TandemError as error:  # the session store is unreachable: show the signed-out page
        log.warning("home page: session not read: %s", error.code)
        return None
    return principal_of(session) if session is not None else None
