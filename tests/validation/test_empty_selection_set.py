"""``{}`` is no operation: a selection set selects at least one field (the spec's grammar),
as both reference gateways answer (issue 14's differential testing)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway.errors import TandemError
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph

SUPERGRAPH = Path(__file__).parents[2] / "tools" / "difftest" / "zoo" / "supergraph.graphql"


@pytest.mark.parametrize("query", ["{}", "{ owners {} }", "query Q { owners { pets { } } }"])
def test_an_empty_selection_set_is_refused(query: str) -> None:
    gateway = Gateway(load_supergraph(SUPERGRAPH))
    with pytest.raises(TandemError) as caught:
        asyncio.run(gateway.execute(query))
    assert caught.value.code == "GRAPHQL_VALIDATION_FAILED"
    assert "at least one field" in caught.value.message
