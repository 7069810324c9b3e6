"""Demand control over ``@defer``: a query's deferred fragments are part of its estimate, so one
too expensive is refused before its first result, incremental or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.demand import CostSchema, CostTooExpensive, DemandControl, DemandSettings
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph
from tandem_shared.tokens import Principal

SUPERGRAPH = load_supergraph(Path(__file__).with_name("books.supergraph.graphql"))
QUERY = "{ book(id: 1) { id } ... @defer { expensive } }"  # 2 + 25


@pytest.mark.anyio
async def test_a_deferred_fragment_over_the_maximum_is_refused_before_the_first_result() -> None:
    demand = DemandControl(
        CostSchema.of(SUPERGRAPH.schema), DemandSettings(mode="enforce", max_cost=26)
    )
    gateway = Gateway(SUPERGRAPH, demand=demand)
    try:
        with pytest.raises(CostTooExpensive) as refused:
            await gateway.execute_incrementally(QUERY, principal=Principal("emp-001", "Anna"))
        assert refused.value.to_graphql()["extensions"]["cost"] == {"estimated": 27, "max": 26}
    finally:
        await gateway.close()
