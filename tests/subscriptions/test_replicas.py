"""Subscriptions across replicas: two (or three) ``tandem serve`` processes sharing the real
Redis, under a key prefix of each test's own, in front of the stack's subgraphs.

- identical upstream subscriptions of two replicas share one subgraph subscription, whose
  events reach the clients of both (the ``clock`` subgraph counts the WebSockets it accepted);
- two identities never share one, though they ask the same;
- a replica that cannot reach Redis ends a new subscription at once with a coded error;
- when the replica owning the upstream subscription dies (SIGKILL), its lease lapses and a
  replica with subscribers subscribes upstream itself: its clients go on receiving; where the
  subscription resumes (the root field takes ``after``, the client selects ``cursor``), they
  receive every event exactly once, in order, though the owner died while they kept coming;
- a logout or a back-channel logout served by one replica closes the caller's WebSockets on
  every replica with the same close code and reason, the periodic check being far off
  (``subscription_recheck_seconds`` 300), so only the announcement can have done it; an
  event stream (SSE) on another replica ends with the coded error;
- a policy change made through one replica's admin API (policy in PostgreSQL, announced
  through Redis, no polling) re-plans the running subscriptions of the other: the next event
  comes with the field denied.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.auth.test_sso_support import delete_prefix, redis_url, session_cookie, sign_in
from tests.authz.policy_support import scratch_postgres
from tests.subscriptions.conftest import POLICY, ROLES, SUPERGRAPH, Stack
from tests.subscriptions.test_websocket import receive, session, subscribe, until_complete
from tests.support.gateway_process import tandem_command
from tests.support.oidc import browser
from tests.support.oidc.fixture import OidcProvider
from tests.support.processes import free_port
from tests.support.spawn import REPO_ROOT, Child, http_answers, running

__all__ = ["redis_url"]  # a fixture this module uses

HELD = "subscription H($hold: String!) { ticks(count: 3, waitFor: $hold) { n label } }"
WAIT = 30.0
"""Seconds after which something awaited is taken for never coming (generous: a loaded
machine is slow, a lost event never arrives)."""


class Replica:
    """One ``tandem serve`` process."""

    def __init__(self, url: str, child: Child, stack: Stack) -> None:
        self.url = url
        self.child = child
        self.stack = Stack(url, stack.clock, stack.labels, stack.key_file)

    @property
    def base(self) -> str:
        return self.url.removesuffix("/graphql")


@contextlib.contextmanager
def replica(stack: Stack, env: Mapping[str, str], port: int | None = None) -> Iterator[Replica]:
    port = port if port is not None else free_port()
    url = f"http://127.0.0.1:{port}/graphql"

    def command() -> tuple[list[str], Any]:
        line = [*tandem_command(), "serve", "--supergraph", str(SUPERGRAPH), "--port", str(port)]
        return line, http_answers(url, json={"query": "{ __typename }"})

    with running(f"tandem serve :{port}", command, env={**os.environ, **env}) as child:
        yield Replica(url, child, stack)


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """This test's own Redis key prefix (its keys deleted afterwards)."""
    name = f"tandem-test-subs-{uuid.uuid4().hex[:12]}:"
    yield name
    delete_prefix(redis_url, name)


def settings(stack: Stack, redis_url: str, prefix: str, folder: Path) -> dict[str, str]:
    """A replica's settings: subscriptions through Redis under ``prefix``, 1 s leases."""
    return {
        "TANDEM_SUBGRAPH_URLS": f"clock={stack.clock},labels={stack.labels}",
        "TANDEM_GATEWAY_KEY_FILE": str(stack.key_file),
        "TANDEM_DATA_DIR": str(folder / "data"),
        "TANDEM_REDIS_URL": redis_url,
        "TANDEM_SUBSCRIPTION_KEY_PREFIX": prefix,
        "TANDEM_SUBSCRIPTION_LEASE_SECONDS": "1",
        "TANDEM_SUBSCRIPTION_RECHECK_SECONDS": "300",
    }


@pytest.fixture
def developer_settings(stack: Stack, redis_url: str, prefix: str, tmp_path: Path) -> dict[str, str]:
    """Replicas with development identities and the stack's policy."""
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "model.conf").write_text((REPO_ROOT / "policies/model.conf").read_text())
    (policy / "policy.csv").write_text(POLICY)
    (policy / "roles.csv").write_text(ROLES)
    return {
        **settings(stack, redis_url, prefix, tmp_path),
        "TANDEM_DEV_IDENTITY": "1",
        "TANDEM_POLICY_DIR": str(policy),
    }


@pytest.fixture
def two(stack: Stack, developer_settings: dict[str, str]) -> Iterator[tuple[Replica, Replica]]:
    with replica(stack, developer_settings) as a, replica(stack, developer_settings) as b:
        yield a, b


def viewer(name: str) -> dict[str, str]:
    return {"x-tandem-dev-user": name, "x-tandem-dev-roles": "viewer"}


def connections_opened(stack: Stack) -> int:
    answer = httpx.post(stack.clock, json={"query": "{ connectionsOpened }"}, timeout=10)
    count: int = answer.json()["data"]["connectionsOpened"]
    return count


async def replicas_listening(redis_url: str, prefix: str, count: int) -> None:
    """Wait until ``count`` replicas have registered for an upstream subscription under
    ``prefix`` (each does once its Redis channel is subscribed)."""
    client = Redis.from_url(redis_url)
    try:
        async with asyncio.timeout(WAIT):
            while True:
                keys = await asyncio.to_thread(
                    lambda: list(client.scan_iter(f"{prefix}*:replicas"))
                )
                if any(client.zcard(key) >= count for key in keys):
                    return
                await asyncio.sleep(0.05)
    finally:
        client.close()


def numbers(results: list[dict[str, Any]]) -> list[int]:
    return [result["data"]["ticks"]["n"] for result in results]


async def first_tick(ws: ClientConnection, ident: str) -> int:
    async with asyncio.timeout(WAIT):
        message = await receive(ws)
    assert message["type"] == "next" and message["id"] == ident, message
    n: int = message["payload"]["data"]["ticks"]["n"]
    return n


def test_identical_subscriptions_on_two_replicas_share_one_upstream_subscription(
    two: tuple[Replica, Replica], stack: Stack, redis_url: str, prefix: str
) -> None:
    a, b = two
    hold = f"share-{uuid.uuid4().hex[:8]}"
    who = viewer(f"vera-{hold}")

    async def scenario() -> tuple[int, list[int], list[int]]:
        async with session(a.stack, who) as on_a, session(b.stack, who) as on_b:
            assert await receive(on_a) == await receive(on_b) == {"type": "connection_ack"}
            before = await asyncio.to_thread(connections_opened, stack)
            await subscribe(on_a, "s", HELD, hold=hold)
            assert await first_tick(on_a, "s") == 1
            await subscribe(on_b, "s", HELD, hold=hold)
            await replicas_listening(redis_url, prefix, 2)
            await asyncio.to_thread(stack.release, hold)
            async with asyncio.timeout(WAIT):
                rest_a = numbers(await until_complete(on_a, "s"))
                rest_b = numbers(await until_complete(on_b, "s"))
            opened = await asyncio.to_thread(connections_opened, stack)
            return opened - before, rest_a, rest_b

    opened, rest_a, rest_b = asyncio.run(scenario())
    assert (rest_a, rest_b) == ([2, 3], [2, 3])  # b joined after tick 1, as a local sharer would
    assert opened == 1


def test_two_identities_never_share_an_upstream_subscription_across_replicas(
    two: tuple[Replica, Replica], stack: Stack, redis_url: str, prefix: str
) -> None:
    a, b = two
    hold = f"apart-{uuid.uuid4().hex[:8]}"

    async def scenario() -> tuple[int, int, int]:
        async with (
            session(a.stack, viewer(f"vera-{hold}")) as on_a,
            session(b.stack, viewer(f"victor-{hold}")) as on_b,
        ):
            await receive(on_a), await receive(on_b)
            before = await asyncio.to_thread(connections_opened, stack)
            await subscribe(on_a, "s", HELD, hold=hold)
            first_a = await first_tick(on_a, "s")
            await subscribe(on_b, "s", HELD, hold=hold)
            first_b = await first_tick(on_b, "s")  # its own upstream's first tick
            opened = await asyncio.to_thread(connections_opened, stack)
            await asyncio.to_thread(stack.release, hold)
            return opened - before, first_a, first_b

    assert asyncio.run(scenario()) == (2, 1, 1)


def test_without_redis_a_subscription_ends_at_once_with_service_unavailable(
    stack: Stack, developer_settings: dict[str, str]
) -> None:
    nobody = f"redis://127.0.0.1:{free_port()}/0"  # a port nothing listens on

    async def scenario(gateway: Replica) -> list[dict[str, Any]]:
        async with session(gateway.stack, viewer("vera-no-redis")) as ws:
            await receive(ws)
            await subscribe(ws, "s", HELD, hold="never")
            async with asyncio.timeout(WAIT):
                return await until_complete(ws, "s")

    with replica(stack, {**developer_settings, "TANDEM_REDIS_URL": nobody}) as gateway:
        results = asyncio.run(scenario(gateway))
    assert [r["data"] for r in results] == [None]
    assert [e["extensions"]["code"] for e in results[0]["errors"]] == ["SERVICE_UNAVAILABLE"]


def test_when_the_owning_replica_dies_another_takes_the_upstream_subscription_over(
    stack: Stack, developer_settings: dict[str, str], redis_url: str, prefix: str
) -> None:
    hold = f"takeover-{uuid.uuid4().hex[:8]}"
    who = viewer(f"vera-{hold}")

    async def scenario(a: Replica, b: Replica) -> tuple[int, int, list[int]]:
        async with session(b.stack, who) as on_b:
            on_a = await connect(a.stack.websocket, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
            await on_a.send(json.dumps({"type": "connection_init", "payload": who}))
            assert await receive(on_a) == await receive(on_b) == {"type": "connection_ack"}
            before = await asyncio.to_thread(connections_opened, stack)
            await subscribe(on_a, "s", HELD, hold=hold)
            assert await first_tick(on_a, "s") == 1  # a owns the upstream subscription
            await subscribe(on_b, "s", HELD, hold=hold)
            await replicas_listening(redis_url, prefix, 2)
            a.child.kill()  # no goodbye: the lease must lapse
            with contextlib.suppress(ConnectionClosed):
                await on_a.wait_closed()
            taken = await first_tick(on_b, "s")  # b's own upstream subscription's first tick
            opened = await asyncio.to_thread(connections_opened, stack)
            await asyncio.to_thread(stack.release, hold)
            async with asyncio.timeout(WAIT):
                rest = numbers(await until_complete(on_b, "s"))
            return opened - before, taken, rest

    with replica(stack, developer_settings) as b, replica(stack, developer_settings) as a:
        assert asyncio.run(scenario(a, b)) == (2, 1, [2, 3])


RESUMING = (
    "subscription R($hold: String!, $after: String) "
    "{ ticks(count: 50, waitFor: $hold, every: 0.1, after: $after) { n cursor label } }"
)


@pytest.mark.parametrize("own_after", [None, "0"], ids=["from-now", "after-its-own-cursor"])
def test_a_takeover_resumes_after_the_last_event_published_so_none_is_lost_or_doubled(
    stack: Stack,
    developer_settings: dict[str, str],
    redis_url: str,
    prefix: str,
    own_after: str | None,
) -> None:
    hold = f"resume-{uuid.uuid4().hex[:8]}"
    who = viewer(f"vera-{hold}")

    async def scenario(a: Replica, b: Replica) -> tuple[int, list[dict[str, Any]]]:
        async with session(b.stack, who) as on_b:
            on_a = await connect(a.stack.websocket, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
            await on_a.send(json.dumps({"type": "connection_init", "payload": who}))
            assert await receive(on_a) == await receive(on_b) == {"type": "connection_ack"}
            before = await asyncio.to_thread(connections_opened, stack)
            await subscribe(on_a, "s", RESUMING, hold=hold, after=own_after)
            assert await first_tick(on_a, "s") == 1  # a owns the upstream subscription
            await subscribe(on_b, "s", RESUMING, hold=hold, after=own_after)
            await replicas_listening(redis_url, prefix, 2)
            await asyncio.to_thread(stack.release, hold)  # a tick every 0.1 s from now
            async with asyncio.timeout(WAIT):
                first = await receive(on_b)
            assert first["type"] == "next", first
            a.child.kill()  # while ticks keep coming; no goodbye: the lease must lapse
            async with asyncio.timeout(WAIT):
                rest = await until_complete(on_b, "s")
            opened = await asyncio.to_thread(connections_opened, stack)
            return opened - before, [first["payload"], *rest]

    with replica(stack, developer_settings) as b, replica(stack, developer_settings) as a:
        opened, results = asyncio.run(scenario(a, b))
    assert opened == 2  # b took the upstream subscription over
    got = numbers(results)
    assert got == list(range(got[0], 51)), got  # every one after b joined, once, in order
    assert results[-1] == {
        "data": {"ticks": {"n": 50, "cursor": "50", "label": "label of tick-50"}}
    }


# -- ending a caller's subscriptions on every replica ---------------------------------------


@pytest.fixture
def signed_in_replicas(
    stack: Stack, oidc_provider: OidcProvider, redis_url: str, prefix: str, tmp_path: Path
) -> Iterator[tuple[Replica, Replica, str]]:
    """Two replicas signing users in at the real OpenID provider, sessions in Redis; yields
    them and the provider's client id. Sign-in goes through the first (its callback URL)."""
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    client = oidc_provider.register_web_client(
        [f"{public}/auth/callback"],
        post_logout_redirect_uris=[f"{public}/"],
        backchannel_logout_uri=f"{public}/auth/backchannel-logout",
    )
    env = {
        **settings(stack, redis_url, prefix, tmp_path),
        "TANDEM_OIDC_ISSUER": oidc_provider.issuer,
        "TANDEM_OIDC_CLIENT_ID": client.client_id,
        "TANDEM_OIDC_CLIENT_SECRET": client.client_secret or "",
        "TANDEM_OIDC_REDIRECT_URI": f"{public}/auth/callback",
        "TANDEM_OIDC_ROLES_CLAIM": "roles",
        "TANDEM_SESSION_INSECURE_LOCALHOST": "1",
        "TANDEM_SESSION_KEY_PREFIX": f"{prefix}sessions:",
    }
    with replica(stack, env, port) as a, replica(stack, env) as b:
        yield a, b, client.client_id


@contextlib.asynccontextmanager
async def browser_socket(target: Replica, cookie: str) -> AsyncIterator[ClientConnection]:
    """A browser page's WebSocket to ``target``, its session cookie sent with the upgrade."""
    headers = {"cookie": f"tandem_session={cookie}", "origin": target.base}
    async with connect(
        target.stack.websocket,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers=headers,
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert await receive(ws) == {"type": "connection_ack"}
        yield ws


async def closed_with(ws: ClientConnection) -> tuple[int, str]:
    """The close code and reason ``ws`` ends with (nothing else may come before it)."""
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(WAIT):
            message = await ws.recv()
            raise AssertionError(f"a message instead of the close: {message!r}")
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def ended_everywhere(
    replicas: tuple[Replica, Replica],
    stack: Stack,
    cookie: str,
    end: Any,
) -> list[tuple[int, str]]:
    """Hold a subscription of ``cookie``'s on each replica, call ``end()``; how each ended."""
    a, b = replicas
    holds = [f"end-{uuid.uuid4().hex[:8]}" for _ in replicas]

    async def scenario() -> list[tuple[int, str]]:
        async with browser_socket(a, cookie) as on_a, browser_socket(b, cookie) as on_b:
            for ws, hold in zip((on_a, on_b), holds, strict=True):
                await subscribe(ws, "s", HELD, hold=hold)
                assert await first_tick(ws, "s") == 1
            await asyncio.to_thread(end)
            return [await closed_with(on_a), await closed_with(on_b)]

    try:
        return asyncio.run(scenario())
    finally:
        for hold in holds:
            stack.release(hold)


def test_a_logout_on_one_replica_closes_the_callers_websockets_on_every_replica(
    signed_in_replicas: tuple[Replica, Replica, str], stack: Stack, oidc_provider: OidcProvider
) -> None:
    a, b, _ = signed_in_replicas
    with browser.user_agent() as ua:
        sign_in(ua, a.base, oidc_provider, "bob")
        cookie = session_cookie(ua)
        assert cookie is not None

    def logout() -> None:  # the user logs out in another tab, served by the first replica
        answer = httpx.post(f"{a.base}/auth/logout", headers={"cookie": f"tandem_session={cookie}"})
        assert answer.status_code == 303

    closes = ended_everywhere((a, b), stack, cookie, logout)
    assert closes == [(4401, "UNAUTHENTICATED"), (4401, "UNAUTHENTICATED")]


def test_a_back_channel_logout_on_one_replica_closes_the_websockets_on_every_replica(
    signed_in_replicas: tuple[Replica, Replica, str], stack: Stack, oidc_provider: OidcProvider
) -> None:
    a, b, client_id = signed_in_replicas
    with browser.user_agent() as ua:
        sign_in(ua, a.base, oidc_provider, "erin")
        cookie = session_cookie(ua)
        assert cookie is not None
    sub = oidc_provider.user("erin").sub

    def provider_logout() -> None:  # the provider posts a logout token to the first replica
        oidc_provider.send_backchannel_logout(client_id, sub)

    closes = ended_everywhere((a, b), stack, cookie, provider_logout)
    assert closes == [(4401, "UNAUTHENTICATED"), (4401, "UNAUTHENTICATED")]


def test_a_logout_on_one_replica_ends_the_callers_event_stream_on_another(
    signed_in_replicas: tuple[Replica, Replica, str], stack: Stack, oidc_provider: OidcProvider
) -> None:
    a, b, _ = signed_in_replicas
    hold = f"sse-{uuid.uuid4().hex[:8]}"
    with browser.user_agent() as ua:
        sign_in(ua, a.base, oidc_provider, "carol")
        cookie = session_cookie(ua)
        assert cookie is not None

    async def scenario() -> list[dict[str, Any]]:
        """The stream's results on ``b``: the first, then what the logout on ``a`` brings."""
        results: list[dict[str, Any]] = []
        headers = {"accept": "text/event-stream", "cookie": f"tandem_session={cookie}"}
        body = {"query": HELD, "variables": {"hold": hold}}
        async with (
            httpx.AsyncClient(timeout=WAIT) as client,
            client.stream("POST", b.url, json=body, headers=headers) as stream,
        ):
            assert stream.status_code == 200
            async for line in stream.aiter_lines():
                if line.startswith("data: {"):
                    results.append(json.loads(line.removeprefix("data: ")))
                    if len(results) == 1:  # the user logs out in another tab, on a
                        answer = await client.post(
                            f"{a.base}/auth/logout", headers={"cookie": headers["cookie"]}
                        )
                        assert answer.status_code == 303
        return results

    try:
        results = asyncio.run(scenario())
    finally:
        stack.release(hold)
    assert results[0] == {"data": {"ticks": {"n": 1, "label": "label of tick-1"}}}
    assert [e["extensions"]["code"] for e in results[1]["errors"]] == ["UNAUTHENTICATED"]
    assert len(results) == 2  # then the stream completed


# -- a policy change made on one replica, in force on the other's running subscriptions -----

AUDITOR_SECRET = {"subject": "auditor", "object": "Tick.secret", "action": "read", "effect": "deny"}
ADD_RULE = """mutation($rule: PolicyRuleInput!) {
  addPolicyRule(rule: $rule) { status version { version } } }"""
ADMIN = {"x-tandem-dev-user": "sec-001", "x-tandem-dev-roles": "security_admin"}


@pytest.fixture
def policy_replicas(
    stack: Stack, developer_settings: dict[str, str], prefix: str
) -> Iterator[tuple[Replica, Replica]]:
    """Two replicas whose policy lives in one PostgreSQL database, changes announced through
    Redis only (no polling), security_admin allowed to change it."""
    policy = Path(developer_settings["TANDEM_POLICY_DIR"])
    with (policy / "policy.csv").open("a") as rules:
        rules.write("p, security_admin, *, Policy*.*, read, allow\n")
        rules.write("p, security_admin, *, Mutation.*Polic*, write, allow\n")
    with (policy / "roles.csv").open("a") as roles:
        roles.write("security_admin, changes the policy\n")
    with scratch_postgres() as database:
        env = {
            **developer_settings,
            "TANDEM_POLICY_STORE": "database",
            "TANDEM_POLICY_DATABASE_URL": database,
            "TANDEM_POLICY_CHANNEL": f"{prefix}policy",
            "TANDEM_POLICY_POLL_SECONDS": "0",
        }
        with replica(stack, env) as a, replica(stack, env) as b:
            yield a, b


async def secret_denied(target: Replica, who: Mapping[str, str]) -> None:
    """Wait until a new subscription on ``target`` gets ``secret`` denied: the change is in
    force there."""
    async with asyncio.timeout(WAIT):
        while True:
            async with session(target.stack, who) as probe:
                await receive(probe)
                await subscribe(probe, "p", "subscription { ticks(count: 1) { secret } }")
                payload = (await receive(probe))["payload"]
                if any(e["extensions"]["code"] == "FORBIDDEN" for e in payload.get("errors", ())):
                    return
            await asyncio.sleep(0.1)


def test_a_policy_change_made_on_one_replica_reaches_the_running_subscriptions_of_another(
    policy_replicas: tuple[Replica, Replica], stack: Stack
) -> None:
    a, b = policy_replicas
    hold = f"policy-{uuid.uuid4().hex[:8]}"
    auditor = {"x-tandem-dev-user": f"audrey-{hold}", "x-tandem-dev-roles": "auditor"}
    # with `label` the labels subgraph is asked either way: re-planned, not ended
    query = "subscription H($hold: String!) { ticks(count: 2, waitFor: $hold) { n label secret } }"

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with session(b.stack, auditor) as ws:
            await receive(ws)
            await subscribe(ws, "s", query, hold=hold)
            async with asyncio.timeout(WAIT):
                first = await receive(ws)
            changed = await asyncio.to_thread(
                httpx.post,
                f"{a.base}/admin/graphql",
                json={"query": ADD_RULE, "variables": {"rule": AUDITOR_SECRET}},
                headers=ADMIN,
                timeout=30,
            )
            assert changed.json()["data"]["addPolicyRule"]["status"] == "APPLIED", changed.text
            await secret_denied(b, auditor)
            await asyncio.to_thread(stack.release, hold)
            async with asyncio.timeout(WAIT):
                return first["payload"], (await receive(ws))["payload"]

    first, after = asyncio.run(scenario())
    assert first == {
        "data": {"ticks": {"n": 1, "label": "label of tick-1", "secret": "secret of tick-1"}}
    }
    assert after["data"] == {"ticks": {"n": 2, "label": "label of tick-2", "secret": None}}
    assert [(e["path"], e["extensions"]["code"]) for e in after["errors"]] == [
        (["ticks", "secret"], "FORBIDDEN")
    ]
