"""A plan as one caller may see it (``planner/redact.py``): a fetch naming a type, field or
argument outside the caller's visible schema is withheld, whatever names it (an abstract
type's members, an ``@requires``, a path step); a plan naming only what they see is kept."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from graphql import GraphQLSchema

from gateway.authz.enforcer import Decision
from gateway.authz.visibility import visible_schema
from gateway.pipeline import Gateway
from gateway.planner import FetchNode, FlattenNode, QueryPlan
from gateway.planner.redact import WITHHELD, WITHHELD_STEP, redact_plan
from gateway.supergraph import Supergraph, load_supergraph
from tests.support.benchmark_subgraphs import SUPERGRAPH as BENCHMARK

ASSETS = Path(__file__).parent / "supergraphs" / "assets.graphql"


@cache
def _supergraph(path: Path) -> Supergraph:
    return load_supergraph(path)


def _visible(supergraph: Supergraph, hidden: Callable[[str], bool]) -> GraphQLSchema:
    return visible_schema(
        supergraph.api_schema, lambda coordinate, _: Decision(not hidden(coordinate), "test")
    )


def _planned(path: Path, query: str) -> QueryPlan:
    return Gateway(_supergraph(path)).plan(query)


def test_a_plan_naming_only_visible_elements_is_kept_as_it_is() -> None:
    supergraph = _supergraph(ASSETS)
    plan = _planned(ASSETS, "{ auditQueue { id tag } }")
    visible = _visible(supergraph, lambda c: c.startswith("Vehicle."))
    shown = redact_plan(plan, supergraph.schema, visible, frozenset({"auditQueue", "id", "tag"}))
    assert shown.withheld == 0
    assert shown.plan == plan


def test_an_abstract_types_hidden_member_withholds_the_fetch_naming_it() -> None:
    supergraph = _supergraph(ASSETS)
    plan = _planned(ASSETS, "{ assets { id riskScore } }")
    assert "... on Vehicle" in str(plan)
    visible = _visible(supergraph, lambda c: c.startswith("Vehicle."))
    shown = redact_plan(plan, supergraph.schema, visible, frozenset({"assets", "id", "riskScore"}))
    assert shown.withheld == 1
    assert str(shown.plan) == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "assets") {\n'
        f"      {WITHHELD}\n"
        "    },\n"
        '    Flatten(path: "assets.@") {\n'
        '      Fetch(service: "audit") {\n'
        "        {\n"
        "          ... on Asset { id }\n"
        "        } =>\n"
        "        { ... on Asset { riskScore } }\n"
        "      },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_a_field_hidden_from_the_caller_that_a_requires_needs_is_withheld() -> None:
    supergraph = _supergraph(BENCHMARK)
    plan = _planned(BENCHMARK, "{ topProducts { name shippingEstimate } }")
    assert "weight" in str(plan)
    visible = _visible(supergraph, lambda c: c == "Product.weight")
    keys = frozenset({"topProducts", "name", "shippingEstimate"})
    shown = redact_plan(plan, supergraph.schema, visible, keys)
    assert shown.withheld == 2  # the fetch of weight, and the one that requires it
    assert "weight" not in str(shown.plan)
    assert 'Fetch(service: "inventory")' in str(shown.plan)


def test_a_path_step_the_client_did_not_name_is_withheld() -> None:
    supergraph = _supergraph(ASSETS)
    fetch = FetchNode("assets", "{ assets { id } }")
    plan = QueryPlan(FlattenNode(("assets", "@", "hiddenKey"), fetch))
    shown = redact_plan(plan, supergraph.schema, supergraph.api_schema, frozenset({"assets"}))
    assert shown.plan == QueryPlan(FlattenNode(("assets", "@", WITHHELD_STEP), fetch))


def test_a_fetch_that_cannot_be_read_is_withheld() -> None:
    supergraph = _supergraph(ASSETS)
    plan = QueryPlan(FetchNode("assets", "{ assets { id "))
    shown = redact_plan(plan, supergraph.schema, supergraph.api_schema, frozenset({"assets"}))
    assert shown.withheld == 1
    assert shown.plan.node == FetchNode("assets", WITHHELD, selection_text=WITHHELD)


def test_an_argument_hidden_from_the_caller_withholds_the_fetch() -> None:
    supergraph = _supergraph(ASSETS)
    plan = QueryPlan(FetchNode("assets", '{ asset(id: "1", secret: true) { id } }'))
    shown = redact_plan(plan, supergraph.schema, supergraph.api_schema, frozenset({"asset"}))
    assert shown.withheld == 1
