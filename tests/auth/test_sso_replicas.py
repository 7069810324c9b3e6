"""Two gateway replicas (two uvicorn servers) sharing the real Redis: a session made on one is
valid on the other, and ending it on either (logout, back-channel logout) ends it on both."""

from __future__ import annotations

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
)
from tests.support.oidc import browser
from tests.support.oidc.fixture import OidcProvider

__all__ = ["redis_url"]  # a fixture this module uses


@pytest.fixture(scope="module")
def replicas(oidc_provider: OidcProvider, redis_url: str) -> Iterator[tuple[Gateway, Gateway]]:
    with (
        running_gateway(oidc_provider, redis_url) as first,
        running_gateway(oidc_provider, redis_url, replica_of=first) as second,
    ):
        assert first.sso is not second.sso and first.base != second.base
        yield first, second


def test_a_session_made_on_one_replica_is_valid_on_the_other(
    replicas: tuple[Gateway, Gateway], oidc_provider: OidcProvider
) -> None:
    first, second = replicas
    with browser.user_agent() as ua:
        sign_in(ua, first.base, oidc_provider, "alice")
        cookie = {"tandem_session": session_cookie(ua) or ""}
    with httpx.Client(cookies=cookie) as client:
        me = client.get(f"{second.base}/auth/me")
        probe = client.post(f"{second.base}/probe", json={"query": "{ me }"})
    assert me.status_code == 200 and me.json()["subject"] == "user-alice"
    assert probe.json()["data"]["roles"] == ["employee", "finance"]


def test_logout_on_one_replica_ends_the_session_on_the_other(
    replicas: tuple[Gateway, Gateway], oidc_provider: OidcProvider
) -> None:
    first, second = replicas
    with browser.user_agent() as ua:
        sign_in(ua, first.base, oidc_provider, "bob")
        cookie = {"tandem_session": session_cookie(ua) or ""}
    with httpx.Client(cookies=cookie) as client:
        assert client.post(f"{second.base}/auth/logout").status_code == 303
    with httpx.Client(cookies=cookie) as client:
        response = client.get(f"{first.base}/auth/me")
    assert (response.status_code, error_code(response)) == (401, "UNAUTHENTICATED")


def test_a_back_channel_logout_received_by_one_replica_ends_the_session_on_both(
    replicas: tuple[Gateway, Gateway], oidc_provider: OidcProvider
) -> None:
    second = replicas[1]
    with browser.user_agent() as ua:
        # started on the second replica; the callback lands on the first (one public URL)
        sign_in(ua, second.base, oidc_provider, "dave")
        cookie = {"tandem_session": session_cookie(ua) or ""}
    with httpx.Client(cookies=cookie) as client:
        assert client.get(f"{second.base}/auth/me").status_code == 200
        # the provider knows the first replica's back-channel URI only
        user = oidc_provider.user("dave")
        oidc_provider.send_backchannel_logout(replicas[0].client.client_id, user.sub)
        for gateway in replicas:
            response = client.get(f"{gateway.base}/auth/me")
            assert (response.status_code, error_code(response)) == (401, "UNAUTHENTICATED")
