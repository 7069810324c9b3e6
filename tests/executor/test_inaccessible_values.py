"""A subgraph's value the API schema hides (an ``@inaccessible`` enum value) is null for the
client without an error, as Apollo Gateway and Hive Gateway answer (differential testing on the
federation audit's enum-intersection and simple-inaccessible); a value the supergraph does not
know at all is still INVALID_SUBGRAPH_RESPONSE."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from gateway.executor.transport import SubgraphRequest
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph

SUPERGRAPH = load_supergraph(
    Path(__file__).parents[1] / "planner" / "supergraphs" / "enum_intersection.graphql"
)


class UsersTransport:
    """Subgraph b answering ``usersB`` with the given ``type`` values."""

    def __init__(self, *types: str) -> None:
        self.types = types

    async def send(self, request: SubgraphRequest) -> dict[str, Any]:
        return {"data": {"usersB": [{"type": value} for value in self.types]}}

    async def close(self) -> None:
        return None


def ask(*types: str) -> dict[str, Any]:
    gateway = Gateway(SUPERGRAPH, transport=UsersTransport(*types))
    return asyncio.run(gateway.execute("{ usersB { type } }"))


def test_an_inaccessible_enum_value_is_null_without_an_error() -> None:
    assert SUPERGRAPH.hidden_names >= {"UserType.ANONYMOUS"}
    assert ask("REGULAR", "ANONYMOUS") == {
        "data": {"usersB": [{"type": "REGULAR"}, {"type": None}]}
    }


def test_an_unknown_enum_value_is_still_an_invalid_subgraph_response() -> None:
    response = ask("REGULAR", "MARTIAN")
    assert response["data"] == {"usersB": [{"type": "REGULAR"}, {"type": None}]}
    [error] = response["errors"]
    assert error["extensions"]["code"] == "INVALID_SUBGRAPH_RESPONSE"
    assert error["path"] == ["usersB", 1, "type"]
