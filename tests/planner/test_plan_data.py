"""What the printed plan leaves out: operation texts, variables, and which objects a
representation accepts. Also: ``print_plan``, ``str(plan)`` and ``tandem plan`` agree.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.errors import OperationError
from gateway.pipeline import Gateway
from gateway.planner import FetchNode, FlattenNode, QueryPlan, SequenceNode, print_plan
from gateway.planner.plan import PlanNode
from gateway.supergraph import load_supergraph

SUPERGRAPHS = Path(__file__).parent / "supergraphs"


@cache
def gateway_for(name: str) -> Gateway:
    return Gateway(load_supergraph(SUPERGRAPHS / f"{name}.graphql"))


def fetches(node: PlanNode | None) -> list[tuple[tuple[str, ...], FetchNode]]:
    """Every fetch of a plan with the path it runs at, in plan order."""
    match node:
        case None:
            return []
        case FetchNode():
            return [((), node)]
        case FlattenNode(path=path, node=fetch):
            return [(path, fetch)]
        case _:
            return [item for child in node.nodes for item in fetches(child)]


def test_root_fetch_declares_the_variables_it_uses_with_their_defaults() -> None:
    plan = gateway_for("company").plan(
        "query ($first: Int = 5, $id: ID!, $x: Boolean = false) "
        "{ employees(first: $first) { name } employee(id: $id) @include(if: $x) { name } }",
        variables={"id": "e1"},
    )
    [(_, fetch)] = fetches(plan.node)
    assert fetch.operation == "query($first: Int = 5) { employees(first: $first) { name } }"
    assert fetch.variable_usages == ("first",)


def test_entity_fetch_declares_representations_and_its_variables() -> None:
    plan = gateway_for("company").plan(
        "query ($zone: String!) { shipments { item { shippingCost(zone: $zone) } } }",
        variables={"zone": "EU"},
    )
    path, fetch = fetches(plan.node)[-1]
    assert path == ("shipments", "@", "item")
    assert fetch.operation == (
        "query($representations: [_Any!]!, $zone: String!) "
        "{ _entities(representations: $representations) "
        "{ ... on Item { shippingCost(zone: $zone) } } }"
    )
    assert fetch.variable_usages == ("zone",)


def test_mutation_fetches_are_mutations() -> None:
    plan = gateway_for("company").plan('mutation { cancelOrder(id: "o1") { status } }')
    [(_, fetch)] = fetches(plan.node)
    assert (fetch.operation_kind, fetch.operation) == (
        "mutation",
        'mutation { cancelOrder(id: "o1") { status } }',
    )


def test_interface_object_representation_is_sent_as_the_interface_for_some_types() -> None:
    # printed as "... on Asset { id }": only Vehicles are sent, with __typename "Asset"
    plan = gateway_for("assets").plan("{ assets { id ... on Vehicle { lastAudit } } }")
    path, fetch = fetches(plan.node)[-1]
    assert (path, fetch.service_name) == (("assets", "@"), "audit")
    assert fetch.requires is not None
    [representation] = fetch.requires
    assert (representation.type_condition, representation.accepts) == (
        "Asset",
        frozenset({"Vehicle"}),
    )


def test_interface_object_representation_for_the_owner_accepts_every_implementation() -> None:
    plan = gateway_for("assets").plan("{ auditQueue { ... on Laptop { model } } }")
    path, fetch = fetches(plan.node)[-1]
    assert (path, fetch.service_name) == (("auditQueue", "@"), "assets")
    assert fetch.requires is not None
    assert [(r.type_condition, r.accepts) for r in fetch.requires] == [
        ("Asset", frozenset({"Asset", "Laptop", "Vehicle"}))
    ]


def test_plan_without_fetches_has_no_node() -> None:
    assert gateway_for("company").plan("{ __typename }") == QueryPlan(node=None)


def test_plans_are_cached_per_condition_variable_values() -> None:
    gateway = gateway_for("company")
    query = "query ($x: Boolean!) { employees { name salary @include(if: $x) } }"
    with_salary = gateway.plan(query, variables={"x": True})
    without = gateway.plan(query, variables={"x": False})
    assert isinstance(with_salary.node, SequenceNode)
    assert isinstance(without.node, FetchNode)
    assert gateway.plan(query, variables={"x": True}) is with_salary


def test_str_and_print_plan_agree() -> None:
    plan = gateway_for("company").plan("{ orders { total } }")
    assert str(plan) == print_plan(plan)


@pytest.mark.parametrize("operation_name", [None, "Pay"])
def test_cli_plan_prints_the_plan(
    capsys: pytest.CaptureFixture[str], operation_name: str | None
) -> None:
    query = "query Pay { employees { salary } }"
    argv = ["plan", "--supergraph", str(SUPERGRAPHS / "company.graphql"), query]
    if operation_name:
        argv[1:1] = ["--operation-name", operation_name]
    assert main(argv) == 0
    gateway = gateway_for("company")
    cost = gateway.estimate(query).cost  # what demand control estimates (tests/demand)
    assert capsys.readouterr().out == (
        f"{gateway.plan(query)}\nEstimated cost: {cost} (default list size 10)\n"
    )


def test_cli_plan_prints_the_deferred_plan_with_defer(capsys: pytest.CaptureFixture[str]) -> None:
    query = "{ orders { id ... @defer { total } } }"
    argv = ["plan", "--supergraph", str(SUPERGRAPHS / "company.graphql"), "--defer", query]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"{gateway_for('company').plan(query, defer=True)}\n")
    assert 'Deferred(path: "orders.@", type: "Order")' in printed


def test_cli_plan_reports_planning_errors(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "--supergraph", str(SUPERGRAPHS / "gaps.graphql"), "{ badges { colour } }"]
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("tandem: cannot plan Badge.colour")


def test_a_field_aliased_typename_does_not_replace_the_real_typename() -> None:
    query = "{ orders { __typename: status total } }"
    try:
        plan = gateway_for("company").plan(query)
    except OperationError:
        return  # refusing the alias is a fix too
    root = fetches(plan.node)[0][1]
    assert "__typename: status" not in root.operation
