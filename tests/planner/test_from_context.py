"""``@fromContext``: an argument read on the nearest enclosing ``@context`` object, passed as a
variable of the field's entity fetch, one request per distinct value (objects under ancestors
with equal values share one)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from gateway.executor.transport import SubgraphRequest
from gateway.pipeline import Gateway
from gateway.planner import PlanningError
from gateway.supergraph import load_supergraph, read_supergraph

SUPERGRAPHS = Path(__file__).parent / "supergraphs"
SUPERGRAPH = load_supergraph(SUPERGRAPHS / "context.graphql")
PROPS = {"1": "x", "2": "yy", "3": "x"}


class ContextTransport:
    """Subgraph a: ``ts`` with each T's prop and U; ``U.field(a:)`` is ``10 * len(a) + id``."""

    def __init__(self) -> None:
        self.entity_calls: list[tuple[Any, list[str]]] = []

    async def send(self, request: SubgraphRequest) -> dict[str, Any]:
        variables = dict(request.variables or {})
        if "_entities" not in request.query:
            ts = [{"prop": p, "u": {"__typename": "U", "id": i}} for i, p in PROPS.items()]
            return {"data": {"ts": ts}}
        value = variables["contextualArgument_0_0"]
        ids = [r["id"] for r in variables["representations"]]
        self.entity_calls.append((value, ids))
        return {"data": {"_entities": [{"field": 10 * len(value) + int(i)} for i in ids]}}

    async def close(self) -> None:
        return None


def test_each_object_gets_its_ancestors_value_one_request_per_value() -> None:
    transport = ContextTransport()
    gateway = Gateway(SUPERGRAPH, transport=transport)
    response = asyncio.run(gateway.execute("{ ts { u { field } } }"))
    assert response == {
        "data": {"ts": [{"u": {"field": 11}}, {"u": {"field": 22}}, {"u": {"field": 13}}]}
    }
    assert sorted(transport.entity_calls) == [("x", ["1", "3"]), ("yy", ["2"])]


def test_the_context_argument_is_not_in_the_api_schema() -> None:
    field = SUPERGRAPH.api_schema.get_type("U").fields["field"]  # type: ignore[union-attr]
    assert field.args == {}


def test_a_field_outside_its_context_cannot_be_planned() -> None:
    text = (SUPERGRAPHS / "context.graphql").read_text(encoding="utf-8")
    orphan = text.replace(
        "  a: Int! @join__field(graph: B)", "  lone: U! @join__field(graph: A)", 1
    )
    gateway = Gateway(read_supergraph(orphan))
    with pytest.raises(PlanningError, match="no enclosing field provides the context"):
        gateway.plan("{ lone { field } }")
