"""A policy change reaches running subscriptions at their next event: re-planned under the
new decision, or, when the owning subgraph itself would have to be asked something else,
ended with ``SUBSCRIPTION_POLICY_CHANGED``. A gateway of its own, its policy files
hot-reloaded, in front of the stack's subgraphs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection

from tests.subscriptions.conftest import POLICY, ROLES, SUPERGRAPH, Stack
from tests.subscriptions.test_websocket import VIEWER, receive, session, subscribe
from tests.support.gateway_process import running_gateway
from tests.support.spawn import REPO_ROOT

GRANTED = POLICY.replace("p, viewer, *, Tick.secret, read, deny\n", "")


@pytest.fixture
def policy_gateway(stack: Stack, tmp_path: Path) -> Iterator[tuple[Stack, Path]]:
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "model.conf").write_text((REPO_ROOT / "policies/model.conf").read_text())
    (policy / "policy.csv").write_text(POLICY)
    (policy / "roles.csv").write_text(ROLES)
    env = {
        "TANDEM_SUBGRAPH_URLS": f"clock={stack.clock},labels={stack.labels}",
        "TANDEM_GATEWAY_KEY_FILE": str(stack.key_file),
        "TANDEM_DEV_IDENTITY": "1",
        "TANDEM_POLICY_DIR": str(policy),
        "TANDEM_POLICY_POLL_SECONDS": "0.2",
        "TANDEM_DATA_DIR": str(tmp_path / "data"),
    }
    with running_gateway(SUPERGRAPH, env=env) as url:
        yield Stack(url, stack.clock, stack.labels, stack.key_file), policy / "policy.csv"


async def _granted(gateway: Stack) -> None:
    """Wait until a new subscription of the viewer's gets ``secret``: the change is in force."""
    while True:
        async with session(gateway, VIEWER) as probe:
            await receive(probe)
            await subscribe(probe, "p", "subscription { ticks(count: 1) { secret } }")
            data = (await receive(probe))["payload"]["data"]
            # None: the change came between the probe's start and its event (ended for it)
            if data is not None and data["ticks"]["secret"] is not None:
                return
        await asyncio.sleep(0.1)


async def _rest(ws: ClientConnection, ident: str) -> list[dict[str, Any]]:
    messages = []
    while not messages or messages[-1]["type"] != "complete":
        message = await receive(ws)
        assert message["id"] == ident
        messages.append(message)
    return messages


def test_a_granted_field_appears_in_the_next_event_of_a_running_subscription(
    policy_gateway: tuple[Stack, Path],
) -> None:
    gateway, policy = policy_gateway
    hold = f"grant-{uuid.uuid4().hex[:8]}"
    query = f'subscription {{ ticks(count: 2, waitFor: "{hold}") {{ n label secret }} }}'

    async def scenario() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        async with session(gateway, VIEWER) as ws:
            await receive(ws)
            await subscribe(ws, "s", query)
            first = await receive(ws)
            policy.write_text(GRANTED)
            await _granted(gateway)
            await asyncio.to_thread(gateway.release, hold)
            return first, await _rest(ws, "s")

    first, rest = asyncio.run(scenario())
    assert first["payload"]["data"] == {
        "ticks": {"n": 1, "label": "label of tick-1", "secret": None}
    }
    assert first["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert [m["type"] for m in rest] == ["next", "complete"]
    assert rest[0]["payload"] == {
        "data": {"ticks": {"n": 2, "label": "label of tick-2", "secret": "secret of tick-2"}}
    }


def test_a_change_to_what_the_owning_subgraph_is_asked_ends_the_subscription_with_a_code(
    policy_gateway: tuple[Stack, Path],
) -> None:
    gateway, policy = policy_gateway
    hold = f"replan-{uuid.uuid4().hex[:8]}"
    # without `label`, granting `secret` adds the entity keys to the subscription itself
    query = f'subscription {{ ticks(count: 2, waitFor: "{hold}") {{ n secret }} }}'

    async def scenario() -> list[dict[str, Any]]:
        async with session(gateway, VIEWER) as ws:
            await receive(ws)
            await subscribe(ws, "s", query)
            await receive(ws)
            policy.write_text(GRANTED)
            await _granted(gateway)
            await asyncio.to_thread(gateway.release, hold)
            return await _rest(ws, "s")

    rest = asyncio.run(scenario())
    assert [m["type"] for m in rest] == ["next", "complete"]
    assert rest[0]["payload"]["data"] is None
    assert rest[0]["payload"]["errors"][0]["extensions"]["code"] == "SUBSCRIPTION_POLICY_CHANGED"
