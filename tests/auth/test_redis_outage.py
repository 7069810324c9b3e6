"""Redis, where browser sessions live, stops and comes back (issue 11, item 3).

A real ``tandem serve`` signs users in at the real OpenID provider and keeps their sessions in
a private ``redis-server`` of this module's own (never the machine's shared one). While that
Redis is down, every request that needs a session answers ``503`` with
``SERVICE_UNAVAILABLE`` and ``Retry-After``, and the gateway's log gets one line for the
outage rather than a traceback per request. When Redis comes back, the pooled connections
that died with it are replaced without a failed request; when it comes back empty, the old
cookie names no session: ``401 UNAUTHENTICATED``, and signing in again works.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.auth.test_sso_support import session_cookie, sign_in
from tests.support.gateway_process import tandem_command
from tests.support.oidc import browser
from tests.support.oidc.fixture import OidcProvider
from tests.support.processes import REPO_ROOT, free_port
from tests.support.redis_server import RedisServer, redis_server_binary

SUPERGRAPH = Path(__file__).with_name("sample_supergraph.graphql")
pytestmark = pytest.mark.skipif(redis_server_binary() is None, reason="needs redis-server")


@dataclass
class Served:
    """The gateway under test: its base URL, its log file, and its Redis."""

    base: str
    log: IO[bytes]
    redis: RedisServer

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def restart_redis(self, *, empty: bool) -> None:
        """Kill Redis and start it again on the same port, with its data or without."""
        self.redis.kill()
        if empty:
            shutil.rmtree(self.redis.folder)
            self.redis.folder.mkdir()
        self.redis.start()


@pytest.fixture(scope="module")
def served(
    oidc_provider: OidcProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    redis = RedisServer(tmp_path_factory.mktemp("redis"), durable=True, fsync="everysec")
    redis.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    client = oidc_provider.register_web_client([f"{base}/auth/callback"])
    env = {
        **os.environ,
        "TANDEM_DATA_DIR": str(tmp_path_factory.mktemp("data")),
        "TANDEM_REDIS_URL": redis.url,
        "TANDEM_OIDC_ISSUER": oidc_provider.issuer,
        "TANDEM_OIDC_CLIENT_ID": client.client_id,
        "TANDEM_OIDC_CLIENT_SECRET": client.client_secret or "",
        "TANDEM_OIDC_REDIRECT_URI": f"{base}/auth/callback",
        "TANDEM_OIDC_ROLES_CLAIM": "roles",
        "TANDEM_SESSION_INSECURE_LOCALHOST": "1",
    }
    command = [*tandem_command(), "serve", "--supergraph", str(SUPERGRAPH), "--port", str(port)]
    log = (tmp_path_factory.mktemp("log") / "gateway.log").open("w+b")
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
    )
    served = Served(base, log, redis)
    try:
        deadline = time.monotonic() + 30
        while process.poll() is None and not _answers(base):
            assert time.monotonic() < deadline, served.output()
            time.sleep(0.1)
        assert process.poll() is None, served.output()
        yield served
    finally:
        process.terminate()
        process.wait(10)
        redis.kill()
        log.close()


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _signed_in(served: Served, provider: OidcProvider, username: str) -> dict[str, str]:
    with browser.user_agent() as agent:
        sign_in(agent, served.base, provider, username)
        cookie = session_cookie(agent)
    assert cookie, "no session cookie after signing in"
    return {"tandem_session": cookie}


def _code(response: httpx.Response) -> str | None:
    try:
        code: str = response.json()["errors"][0]["extensions"]["code"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return code


def _requests(client: httpx.Client, base: str) -> list[httpx.Response]:
    """What a signed-in browser does: a query with its cookie, who am I, a new login, and
    signing out (refused while the session cannot be ended: the cookie stays, to try again)."""
    return [
        client.post(f"{base}/graphql", json={"query": "{ __typename }"}),
        client.get(f"{base}/auth/me"),
        client.get(f"{base}/auth/login", follow_redirects=False),
        client.post(f"{base}/auth/logout", follow_redirects=False),
    ]


def test_redis_down_answers_503_with_retry_after_and_logs_the_outage_once(
    served: Served, oidc_provider: OidcProvider
) -> None:
    cookie = _signed_in(served, oidc_provider, "alice")
    served.redis.kill()
    try:
        with httpx.Client(cookies=cookie, timeout=30) as client:
            answers = [r for _ in range(4) for r in _requests(client, served.base)]
    finally:
        served.redis.start()  # with its data: the session is still there
    for response in answers:
        assert response.status_code == 503, (response.request.url, response.text)
        assert _code(response) == "SERVICE_UNAVAILABLE", response.text
        assert int(response.headers["retry-after"]) >= 1
        assert "set-cookie" not in response.headers  # the session cookie is kept
    with httpx.Client(cookies=cookie, timeout=30) as client:
        # the pooled connections died with the server: the first request after is served
        query = client.post(f"{served.base}/graphql", json={"query": "{ __typename }"})
        me = client.get(f"{served.base}/auth/me")
    assert query.status_code == 200 and query.json() == {"data": {"__typename": "Query"}}
    assert me.status_code == 200 and me.json()["subject"] == oidc_provider.user("alice").sub
    output = served.output()
    assert "Traceback" not in output, output
    outage = [line for line in output.splitlines() if "Redis for sessions unavailable" in line]
    assert len(outage) == 1, output  # sixteen failed requests, one line
    back = [line for line in output.splitlines() if "Redis for sessions reachable" in line]
    assert len(back) == 1 and "after 16 failed call(s)" in back[0], output


def test_redis_back_empty_makes_the_caller_sign_in_again(
    served: Served, oidc_provider: OidcProvider
) -> None:
    cookie = _signed_in(served, oidc_provider, "bob")
    served.restart_redis(empty=True)
    with httpx.Client(cookies=cookie, timeout=30) as client:
        query = client.post(f"{served.base}/graphql", json={"query": "{ __typename }"})
        me = client.get(f"{served.base}/auth/me")
    assert (query.status_code, _code(query)) == (401, "UNAUTHENTICATED"), query.text
    assert (me.status_code, _code(me)) == (401, "UNAUTHENTICATED"), me.text
    again = _signed_in(served, oidc_provider, "bob")
    with httpx.Client(cookies=again, timeout=30) as client:
        me = client.get(f"{served.base}/auth/me")
    assert me.status_code == 200 and me.json()["subject"] == oidc_provider.user("bob").sub
    assert "Traceback" not in served.output()
