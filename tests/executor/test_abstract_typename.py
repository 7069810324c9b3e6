"""An abstract type's name is never a valid ``__typename``: an object an ``@interfaceObject``
subgraph returns, whose concrete type no subgraph then resolves, is null with an error when the
client asks for its ``__typename`` (as Apollo Gateway and Hive Gateway answer: issue 14's
differential testing); without ``__typename`` it is shaped by the interface's own fields."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from gateway.executor.transport import SubgraphRequest
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph

SUPERGRAPH = load_supergraph(
    Path(__file__).parents[1]
    / "planner"
    / "supergraphs"
    / "non_resolvable_interface_object.graphql"
)


class NodeTransport:
    """b returns its Node as the interface; a resolves no entity (null)."""

    async def send(self, request: SubgraphRequest) -> dict[str, Any]:
        if "_entities" in request.query:
            count = len((request.variables or {})["representations"])
            return {"data": {"_entities": [None] * count}}
        return {"data": {"b": {"__typename": "Node", "id": "n1", "field": "foo"}}}

    async def close(self) -> None:
        return None


def ask(query: str) -> dict[str, Any]:
    return asyncio.run(Gateway(SUPERGRAPH, transport=NodeTransport()).execute(query))


def test_typename_of_an_unresolved_interface_object_is_null_with_an_error() -> None:
    response = ask("{ b { __typename id } }")
    assert response["data"] == {"b": None}
    [error] = response["errors"]
    assert (error["path"], error["extensions"]["code"]) == (["b"], "INVALID_SUBGRAPH_RESPONSE")


def test_without_typename_the_interface_fields_are_answered() -> None:
    assert ask("{ b { id field } }") == {"data": {"b": {"id": "n1", "field": "foo"}}}
