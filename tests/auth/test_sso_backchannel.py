"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0) from a real provider: the provider
POSTs a signed logout token to the gateway's endpoint over HTTP, and the sessions it names end
within a second; anything else posted there is refused with 400."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.auth.test_sso_support import (
    Gateway,
    error_code,
    redis_url,
    running_gateway,
    session_cookie,
    sign_in,
    stored_session,
)
from tests.support.oidc import browser
from tests.support.oidc.fixture import OidcProvider

__all__ = ["redis_url"]  # a fixture this module uses


@pytest.fixture(scope="module")
def gateway(oidc_provider: OidcProvider, redis_url: str) -> Iterator[Gateway]:
    with running_gateway(oidc_provider, redis_url) as running:
        yield running


HANG = 15.0
"""Seconds after which a logout that has not taken effect is taken for a hang (generous: a
loaded machine may be slow, a lost logout never arrives)."""


def signed_out_within(client: httpx.Client, url: str, seconds: float) -> float:
    """Poll ``/auth/me`` until it answers 401; returns how long that took."""
    start = time.monotonic()
    while True:
        response = client.get(url)
        if response.status_code == 401:
            assert error_code(response) == "UNAUTHENTICATED"
            return time.monotonic() - start
        assert response.status_code == 200
        if time.monotonic() - start > seconds:
            raise AssertionError(f"still signed in after {seconds}s")
        time.sleep(0.02)


def test_logout_at_the_provider_ends_that_browser_session_by_sid(
    gateway: Gateway, oidc_provider: OidcProvider
) -> None:
    me = f"{gateway.base}/auth/me"
    with browser.user_agent() as laptop, browser.user_agent() as phone:
        sign_in(laptop, gateway.base, oidc_provider, "bob")
        sign_in(phone, gateway.base, oidc_provider, "bob")
        cookie = session_cookie(laptop)
        assert cookie is not None
        session = stored_session(gateway.prefix, cookie)
        assert session is not None and session.sid
        before = len(oidc_provider.events("backchannel.success"))
        # the user signs out at the provider itself (another application's logout button)
        browser.logout(oidc_provider.end_session_url(session.id_token), client=laptop)
        signed_out_within(laptop, me, HANG)
        assert phone.get(me).status_code == 200  # another provider session: another sid
    sent = oidc_provider.events("backchannel.success")[before:]
    assert any(e["client_id"] == gateway.client.client_id for e in sent)


def test_a_logout_token_for_the_subject_ends_every_session_of_the_user(
    gateway: Gateway, oidc_provider: OidcProvider
) -> None:
    me = f"{gateway.base}/auth/me"
    with (
        browser.user_agent() as laptop,
        browser.user_agent() as phone,
        browser.user_agent() as other,
    ):
        sign_in(laptop, gateway.base, oidc_provider, "erin")
        sign_in(phone, gateway.base, oidc_provider, "erin")
        sign_in(other, gateway.base, oidc_provider, "dave")
        sub = oidc_provider.user("erin").sub
        oidc_provider.send_backchannel_logout(gateway.client.client_id, sub)
        signed_out_within(laptop, me, HANG)
        signed_out_within(phone, me, HANG)
        assert other.get(me).status_code == 200


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"logout_token=not.a.jwt", "application/x-www-form-urlencoded"),
        (b"logout_token=", "application/x-www-form-urlencoded"),
        (b"something=else", "application/x-www-form-urlencoded"),
        (b'{"logout_token": "x.y.z"}', "application/json"),
    ],
)
def test_anything_but_a_valid_logout_token_is_refused(
    gateway: Gateway, content: bytes, content_type: str
) -> None:
    response = httpx.post(
        f"{gateway.base}/auth/backchannel-logout",
        content=content,
        headers={"content-type": content_type},
    )
    assert response.status_code == 400
    assert error_code(response) in ("LOGOUT_TOKEN_INVALID", "BAD_REQUEST")
    assert response.headers["cache-control"] == "no-store"


def test_an_id_token_is_not_a_logout_token(gateway: Gateway, oidc_provider: OidcProvider) -> None:
    with browser.user_agent() as ua:
        sign_in(ua, gateway.base, oidc_provider, "alice")
        cookie = session_cookie(ua)
        assert cookie is not None
        session = stored_session(gateway.prefix, cookie)
        assert session is not None
        response = httpx.post(
            f"{gateway.base}/auth/backchannel-logout", data={"logout_token": session.id_token}
        )
        assert (response.status_code, error_code(response)) == (400, "LOGOUT_TOKEN_INVALID")
        assert ua.get(f"{gateway.base}/auth/me").status_code == 200
