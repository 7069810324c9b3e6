"""Access-token refresh against a real provider whose access tokens live 4 seconds: concurrent
requests make one refresh (the Redis lock, also across two gateway replicas) and all end with
the same valid session; a refresh the provider refuses ends the session."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from gateway.auth.sessions import Session
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
from tests.support.oidc.fixture import (
    OidcProvider,
    TokenError,
    default_settings,
    running_oidc_provider,
)

__all__ = ["redis_url"]  # a fixture this module uses

ACCESS_TOKEN_TTL = 4


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    settings = default_settings().with_changes(access_token_ttl=ACCESS_TOKEN_TTL)
    with running_oidc_provider(settings) as running:
        yield running


@pytest.fixture(scope="module")
def replicas(provider: OidcProvider, redis_url: str) -> Iterator[tuple[Gateway, Gateway]]:
    with (
        running_gateway(provider, redis_url) as first,
        running_gateway(provider, redis_url, replica_of=first) as second,
    ):
        yield first, second


def signed_in(gateway: Gateway, provider: OidcProvider, username: str) -> tuple[str, Session]:
    with browser.user_agent() as ua:
        sign_in(ua, gateway.base, provider, username)
        cookie = session_cookie(ua)
    assert cookie is not None
    session = stored_session(gateway.prefix, cookie)
    assert session is not None and session.refresh_token
    return cookie, session


def wait_until_due(session: Session) -> None:
    assert session.refresh_at < session.access_expires_at  # refreshed before expiry
    time.sleep(max(session.refresh_at - time.time(), 0) + 0.05)


async def burst(urls: list[str], cookie: str) -> list[httpx.Response]:
    """One request per URL, all at once, with the session cookie (JSON POSTs for /probe)."""
    async with httpx.AsyncClient(cookies={"tandem_session": cookie}, timeout=20) as client:

        async def one(url: str) -> httpx.Response:
            if url.endswith("/probe"):
                return await client.post(url, json={"query": "{ me }"})
            return await client.get(url)

        return await asyncio.gather(*(one(url) for url in urls))


def refreshes(*gateways: Gateway) -> int:
    return sum(g.sso.sessions.refreshes for g in gateways)


def test_twenty_concurrent_requests_make_one_refresh(
    replicas: tuple[Gateway, Gateway], provider: OidcProvider
) -> None:
    gateway = replicas[0]
    cookie, before = signed_in(gateway, provider, "alice")
    wait_until_due(before)
    counted = refreshes(gateway)
    urls = [f"{gateway.base}/auth/me", f"{gateway.base}/probe"] * 10
    responses = asyncio.run(burst(urls, cookie))
    assert [r.status_code for r in responses] == [200] * 20
    assert {(r.json().get("data") or r.json())["subject"] for r in responses} == {"user-alice"}
    assert refreshes(gateway) - counted == 1
    after = stored_session(gateway.prefix, cookie)
    assert after is not None
    assert after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token  # the provider rotates refresh tokens
    assert after.refresh_at > time.time()
    assert provider.userinfo(after.access_token)["sub"] == "user-alice"
    # the session is still good, and needs no other refresh yet
    assert asyncio.run(burst([f"{gateway.base}/auth/me"] * 3, cookie))[0].status_code == 200
    assert refreshes(gateway) - counted == 1


def test_concurrent_requests_on_two_replicas_make_one_refresh(
    replicas: tuple[Gateway, Gateway], provider: OidcProvider
) -> None:
    first, second = replicas
    cookie, before = signed_in(first, provider, "bob")
    wait_until_due(before)
    counted = refreshes(first, second)
    urls = [f"{first.base}/auth/me", f"{second.base}/auth/me"] * 10
    responses = asyncio.run(burst(urls, cookie))
    assert [r.status_code for r in responses] == [200] * 20
    assert refreshes(first, second) - counted == 1
    after = stored_session(first.prefix, cookie)
    assert after is not None and after.access_token != before.access_token
    assert provider.userinfo(after.access_token)["sub"] == "user-bob"


def test_a_refused_refresh_ends_the_session(
    replicas: tuple[Gateway, Gateway], provider: OidcProvider
) -> None:
    gateway = replicas[0]
    cookie, session = signed_in(gateway, provider, "carol")
    assert session.refresh_token is not None
    provider.revoke(session.refresh_token)  # e.g. an administrator revoked the grant
    with pytest.raises(TokenError):
        provider.refresh(session.refresh_token)
    wait_until_due(session)
    with httpx.Client(cookies={"tandem_session": cookie}) as client:
        response = client.get(f"{gateway.base}/auth/me")
    assert (response.status_code, error_code(response)) == (401, "UNAUTHENTICATED")
    assert stored_session(gateway.prefix, cookie) is None
