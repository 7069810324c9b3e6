"""The page at ``/``: a real sign-in through the built-in development provider into the real
gateway app (``create_app``), served over HTTP, then the page, sign-out, and the page again.

One demo user's name holds markup (``<script>``, quotes, ``&``): it must come back escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import httpx
import pytest

from gateway.auth.dev_provider import DevProvider
from gateway.auth.routes import SSO
from gateway.demo import demo_users
from gateway.http.app import create_app
from gateway.http.home import render_home
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph
from tandem_shared.tokens import Principal
from tests.auth.test_sso_support import serve, session_cookie
from tests.support.oidc import browser
from tests.support.processes import REPO_ROOT, free_port

HOSTILE_NAME = '<script>alert("x")</script> & Mallory'


@dataclass
class Site:
    base: str
    provider: DevProvider


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    users = tuple(
        replace(u, name=HOSTILE_NAME) if u.username == "sales" else u for u in demo_users()
    )
    provider = DevProvider.for_gateway(base, users=users, environ={})
    sso = SSO.from_environ(provider.sso_environ())
    assert sso is not None
    gateway = Gateway(load_supergraph(REPO_ROOT / "subgraphs" / "supergraph.graphql"))
    app = create_app(gateway, sso=sso, extra_routes=[provider.routes()])
    with serve(app, port):
        yield Site(base, provider)


def _sign_in(site: Site, ua: httpx.Client, role: str) -> httpx.Response:
    """Sign in as the demo user of ``role`` and follow the callback's redirect like a browser."""
    user = site.provider.users[role]
    callback = browser.login(f"{site.base}/auth/login", user.username, user.password, client=ua)
    landed = ua.get(callback)
    assert landed.status_code == 303
    return landed


def _assert_safe_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src" not in csp and "unsafe-inline" not in csp  # no script is allowed at all
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("text/html")
    assert "<script" not in response.text.lower()


def test_anonymous_visitors_get_a_sign_in_link(site: Site) -> None:
    with browser.user_agent() as ua:
        page = ua.get(f"{site.base}/")
    assert page.status_code == 200
    _assert_safe_headers(page)
    assert '<a href="/auth/login">Sign in</a>' in page.text
    assert "Sign out" not in page.text
    assert 'href="/graphql"' in page.text and 'href="/schema"' in page.text


def test_after_signing_in_the_browser_lands_on_a_page_naming_the_person_and_roles(
    site: Site,
) -> None:
    user = site.provider.users["finance"]
    with browser.user_agent() as ua:
        landed = _sign_in(site, ua, "finance")
        assert landed.headers["location"] == "/"
        page = ua.get(f"{site.base}{landed.headers['location']}")
    assert page.status_code == 200
    _assert_safe_headers(page)
    assert f"<dd>{html.escape(user.name)}</dd>" in page.text
    assert f"<code>{user.subject}</code>" in page.text
    assert re.findall(r"<li>([a-z_]+)</li>", page.text) == list(user.roles)
    assert f"<dd>{user.department}</dd>" in page.text
    assert '<form method="post" action="/auth/logout">' in page.text
    assert "Sign in</a>" not in page.text


def test_a_name_holding_markup_is_shown_escaped(site: Site) -> None:
    with browser.user_agent() as ua:
        _sign_in(site, ua, "sales")
        page = ua.get(f"{site.base}/")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Mallory" in page.text
    assert "<script>" not in page.text


def test_signing_out_from_the_page_leaves_it_anonymous(site: Site) -> None:
    with browser.user_agent() as ua:
        _sign_in(site, ua, "hr")
        cookie = session_cookie(ua)
        assert cookie is not None and "Sign out" in ua.get(f"{site.base}/").text
        # the page's button: a same-origin form post, as a browser sends it
        logout = ua.post(
            f"{site.base}/auth/logout",
            headers={"sec-fetch-site": "same-origin", "origin": site.base},
        )
        assert logout.status_code == 303
        assert logout.headers["location"].startswith(f"{site.base}/dev-idp/end_session?")
        back = ua.get(logout.headers["location"])
        assert back.headers["location"] == f"{site.base}/"  # the provider sends it home
        page = ua.get(back.headers["location"])
        assert session_cookie(ua) is None
        assert "Sign in</a>" in page.text and "Sign out" not in page.text
        # the old cookie, replayed, names no session any more
        replayed = httpx.get(f"{site.base}/", cookies={"tandem_session": cookie})
        assert "Sign in</a>" in replayed.text


def test_a_return_to_outside_the_gateway_lands_on_the_page_instead(site: Site) -> None:
    user = site.provider.users["manager"]
    with browser.user_agent() as ua:
        login = f"{site.base}/auth/login?return_to=https://evil.test/"
        callback = browser.login(login, user.username, user.password, client=ua)
        assert ua.get(callback).headers["location"] == "/"


def test_a_gateway_without_browser_sign_in_says_so() -> None:
    page = render_home(None, sign_in=False)
    assert "no browser sign-in configured" in page and "/auth/login" not in page
    signed = render_home(Principal("emp-1", "A & B", (), None))
    assert "<dd>A &amp; B</dd>" in signed and "<li>none</li>" in signed
