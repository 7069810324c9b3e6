"""Retries of reads and a circuit breaker per subgraph (issue 15, item 5).

The ``faulty`` graph goes through the fault proxy's ``flaky`` mode: HTTP 503 (as a load
balancer without a backend answers) for the first N requests of a tag, then the real subgraph.
The proxy counts what arrives, so "not retried" and "not asked while open" are counts, and the
breaker's cooldown runs on a clock the test moves, not on the wall clock.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from gateway.executor.shaping import Shaper, Shaping
from gateway.executor.transport import AiohttpTransport
from gateway.pipeline import Gateway
from gateway.settings import Settings
from gateway.supergraph import load_supergraph
from tests.support.fault_proxy import FaultProxy
from tests.support.faulty_subgraph import ANNOUNCEMENTS
from tests.support.fixtures import write_supergraph
from tests.support.integration_fixtures import FAULTY_SUPERGRAPH

QUERY = "{ announcements }"
MUTATION = "mutation { acknowledge(index: 0) }"
ANSWER = {"data": {"announcements": list(ANNOUNCEMENTS)}}
_tags = itertools.count()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def flaky_gateway(
    proxy: FaultProxy, tmp_path: Path, failures: int, shaper: Shaper
) -> tuple[Gateway, str]:
    tag = f"flaky{next(_tags)}"
    supergraph = write_supergraph(
        {"faulty": proxy.flaky(failures, tag)},
        tmp_path / f"{tag}.graphql",
        source=FAULTY_SUPERGRAPH,
    )
    transport = AiohttpTransport(shaper=shaper)
    return Gateway(load_supergraph(supergraph), transport=transport), tag


def codes(answer: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in answer.get("errors", ())]


@pytest.mark.anyio
async def test_a_read_is_tried_again_after_a_503(proxy: FaultProxy, tmp_path: Path) -> None:
    gateway, tag = flaky_gateway(proxy, tmp_path, 1, Shaper(Shaping(retries=1, backoff=0.01)))
    try:
        assert await gateway.execute(QUERY) == ANSWER
    finally:
        await gateway.close()
    assert proxy.count(tag) == 2


@pytest.mark.anyio
async def test_retries_stop_at_the_setting(proxy: FaultProxy, tmp_path: Path) -> None:
    gateway, tag = flaky_gateway(proxy, tmp_path, 5, Shaper(Shaping(retries=2, backoff=0.01)))
    try:
        answer = await gateway.execute(QUERY)
    finally:
        await gateway.close()
    assert codes(answer) == ["SUBGRAPH_UNAVAILABLE"]
    assert "answered HTTP 503" in answer["errors"][0]["message"]
    assert proxy.count(tag) == 3


@pytest.mark.anyio
async def test_a_mutation_is_never_tried_again(proxy: FaultProxy, tmp_path: Path) -> None:
    gateway, tag = flaky_gateway(proxy, tmp_path, 1, Shaper(Shaping(retries=3, backoff=0.01)))
    try:
        answer = await gateway.execute(MUTATION)
    finally:
        await gateway.close()
    assert codes(answer) == ["SUBGRAPH_UNAVAILABLE"]
    assert proxy.count(tag) == 1


@pytest.mark.anyio
async def test_the_circuit_opens_refuses_at_once_and_probes_to_close(
    proxy: FaultProxy, tmp_path: Path
) -> None:
    clock = Clock()
    shaper = Shaper(Shaping(threshold=3, cooldown=10.0, retries=0), clock=clock)
    gateway, tag = flaky_gateway(proxy, tmp_path, 4, shaper)
    try:
        for _ in range(3):  # three failures in a row open it
            assert codes(await gateway.execute(QUERY)) == ["SUBGRAPH_UNAVAILABLE"]
        assert shaper.breakers["faulty"].state == "open"
        refused = await gateway.execute(QUERY)
        assert codes(refused) == ["SUBGRAPH_UNAVAILABLE"]
        assert "circuit open" in refused["errors"][0]["message"]
        assert proxy.count(tag) == 3  # the refusal never reached the subgraph

        clock.now += 10.0  # cooled down: one probe goes, fails (the 4th 503), opens again
        assert shaper.breakers["faulty"].state == "half-open"
        assert codes(await gateway.execute(QUERY)) == ["SUBGRAPH_UNAVAILABLE"]
        assert proxy.count(tag) == 4
        assert shaper.breakers["faulty"].state == "open"
        assert "circuit open" in (await gateway.execute(QUERY))["errors"][0]["message"]
        assert proxy.count(tag) == 4

        clock.now += 10.0  # the next probe succeeds and closes it
        assert await gateway.execute(QUERY) == ANSWER
        assert shaper.breakers["faulty"].state == "closed"
        assert await gateway.execute(QUERY) == ANSWER
        assert proxy.count(tag) == 6
    finally:
        await gateway.close()


def test_the_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="subgraph_retries"):
        Settings(subgraph_retries=-1)
    with pytest.raises(ValueError, match="subgraph_circuit_cooldown"):
        Settings(subgraph_circuit_cooldown=0)
    assert Shaper(Shaping(threshold=0)).breaker("faulty") is None  # 0: no breaker
