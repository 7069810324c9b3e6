"""Operations that cannot be planned raise PlanningError; invalid ones raise OperationError.

``supergraphs/gaps.graphql`` has gaps composition would refuse (a field only behind a
non-resolvable key, a value type split across subgraphs, an @interfaceObject without an
owner); each case hits one. (An interface without implementations in the subgraph serving it
plans: see the golden case ``interface_without_implementations_asks_only_its_own_fields``.)
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import OperationError
from gateway.pipeline import Gateway
from gateway.planner import PlanningError
from gateway.supergraph import load_supergraph

SUPERGRAPHS = Path(__file__).parent / "supergraphs"


@cache
def gateway_for(name: str) -> Gateway:
    return Gateway(load_supergraph(SUPERGRAPHS / f"{name}.graphql"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param(
            "{ employees { openOrders } }",
            "cannot plan Employee.openOrders at employees.@: no subgraph reachable from hr "
            "resolves it",
            id="field-behind-a-non-resolvable-key",
        ),
        pytest.param(
            "{ badges { colour } }",
            "cannot plan Badge.colour at badges.@: no subgraph reachable from hr resolves it",
            id="value-type-field-in-another-subgraph",
        ),
        pytest.param(
            "{ tools { __typename } }",
            "no subgraph resolves the implementations of interface Tool",
            id="interface-object-typename-without-owner",
        ),
        pytest.param(
            "{ tools { id ... on Wrench { size } } }",
            "no subgraph resolves the implementations of interface Tool",
            id="interface-object-type-condition-without-owner",
        ),
    ],
)
def test_unplannable_operations_raise_planning_error(query: str, message: str) -> None:
    with pytest.raises(PlanningError) as caught:
        gateway_for("gaps").plan(query)
    assert caught.value.message == message
    assert (caught.value.code, caught.value.status) == ("QUERY_PLANNING_FAILED", 500)


@pytest.mark.parametrize(
    "query",
    [
        # the same gaps, avoided: these plan
        "{ orders { buyer { openOrders name } } }",  # sales returns the reference itself
        "{ tools { id } }",  # fields of the interface object itself
        "{ employees { name } badges { code } }",
    ],
)
def test_plannable_neighbours_of_the_gaps(query: str) -> None:
    assert gateway_for("gaps").plan(query).node is not None


@pytest.mark.parametrize(
    ("query", "operation_name", "variables", "code"),
    [
        pytest.param("{ orders { status ", None, None, "GRAPHQL_PARSE_FAILED", id="parse"),
        pytest.param(
            "{ orders { nope } }", None, None, "GRAPHQL_VALIDATION_FAILED", id="unknown-field"
        ),
        pytest.param(
            "{ employees { employeeNo } }",
            None,
            None,
            "GRAPHQL_VALIDATION_FAILED",
            id="inaccessible-field",
        ),
        pytest.param(
            "{ orders(status: LOST) { id } }",
            None,
            None,
            "GRAPHQL_VALIDATION_FAILED",
            id="unknown-enum-value",
        ),
        pytest.param(
            "subscription { orders { id } }",
            None,
            None,
            "GRAPHQL_VALIDATION_FAILED",
            id="no-subscription-type",
        ),
        pytest.param(
            "query A { orders { id } } query B { items { sku } }",
            None,
            None,
            "OPERATION_NAME_REQUIRED",
            id="several-operations-no-name",
        ),
        pytest.param(
            "query A { orders { id } }", "B", None, "OPERATION_NOT_FOUND", id="unknown-operation"
        ),
        pytest.param(
            "query ($id: ID!) { order(id: $id) { id } }",
            None,
            None,
            "BAD_USER_INPUT",
            id="missing-variable",
        ),
        pytest.param(
            "query ($first: Int) { employees(first: $first) { id } }",
            None,
            {"first": "ten"},
            "BAD_USER_INPUT",
            id="variable-of-the-wrong-type",
        ),
    ],
)
def test_invalid_operations_raise_operation_error(
    query: str, operation_name: str | None, variables: dict[str, Any] | None, code: str
) -> None:
    with pytest.raises(OperationError) as caught:
        gateway_for("company").plan(query, operation_name, variables)
    assert (caught.value.code, caught.value.status) == (code, 400)


def test_parse_errors_carry_their_location() -> None:
    with pytest.raises(OperationError) as caught:
        gateway_for("company").plan("{\n  orders {\n    status\n")
    assert caught.value.extensions == {"locations": [{"line": 4, "column": 1}]}
    assert caught.value.to_graphql()["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


def test_validation_errors_carry_their_location() -> None:
    with pytest.raises(OperationError) as caught:
        gateway_for("company").plan("{\n  orders {\n    nope\n  }\n}")
    assert caught.value.message == "Cannot query field 'nope' on type 'Order'."
    assert caught.value.extensions == {"locations": [{"line": 3, "column": 5}]}


@pytest.mark.parametrize(
    ("supergraph", "query", "message"),
    [
        pytest.param(
            "node_types_apart",
            '{ node(id: "a1") { id } }',
            "cannot plan Chat.id at node: no subgraph reachable from a resolves it",
            id="field-of-every-implementation-no-subgraph-resolves-for-all",
        ),
        pytest.param(
            "non_resolvable_interface_object",
            "{ a { field } }",
            "cannot plan Node.field: a returns no implementation that resolves it",
            id="nothing-of-an-interface-without-implementations-resolvable",
        ),
    ],
)
def test_what_the_reference_gateways_refuse_is_refused(
    supergraph: str, query: str, message: str
) -> None:
    # the federation audit's corrupted-supergraph-node-id_0 and non-resolvable-interface-object_1
    with pytest.raises(PlanningError) as caught:
        gateway_for(supergraph).plan(query)
    assert caught.value.message == message
