"""The estimated cost of operations: the IBM cost spec's rules, as Apollo's and Hive's routers
apply them, against the directives as composers write them in a supergraph.

``books.graphql`` and ``reviews.graphql`` (Federation 2.9 subgraphs using ``@cost`` and
``@listSize``) were composed twice: by ``@apollo/composition`` 2.14.4 into
``books.supergraph.graphql`` and by ``tools/compose`` (``@theguild/federation-composition``
0.27) into ``books.guild.supergraph.graphql``. Both link the cost spec as
``@link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@listSize"])`` and keep ``@cost``
by its eponymous name; every figure below must come out the same from either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema, parse
from graphql.language import OperationDefinitionNode

from gateway.cli import main
from gateway.demand import CostSchema, DemandControl, DemandSettings, Estimate, estimate
from gateway.operation import NormalizedOperation, normalize_operation
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph

HERE = Path(__file__).parent
SUPERGRAPHS = {
    "apollo": HERE / "books.supergraph.graphql",
    "guild": HERE / "books.guild.supergraph.graphql",
}


def gateway_for(composer: str, list_size: int = 10) -> Gateway:
    supergraph = load_supergraph(SUPERGRAPHS[composer])
    demand = DemandControl(
        CostSchema.of(supergraph.schema), DemandSettings(mode="off", default_list_size=list_size)
    )
    return Gateway(supergraph, demand=demand)


# (operation, variables, estimated cost, how it adds up)
BOOKS_CASES: list[tuple[str, dict[str, Any] | None, int, str]] = [
    ("{ book(id: 1) { id title } }", None, 2, "Book @cost(weight: 2); scalars free"),
    ("{ book(id: 1) { rating } }", None, 6, "2 + rating @cost(weight: 4)"),
    ("{ expensive }", None, 25, "a scalar field's own @cost"),
    (
        "{ books(first: 7) { title rating reviews { stars } } }",
        None,
        84,
        "7 x (2 + 4 + reviews: default limit 3 x (Review 1 + stars 1))",
    ),
    (
        "query ($n: Int) { books(first: $n) { id } }",
        {"n": 4},
        8,
        "a slicing argument from a variable: 4 x 2",
    ),
    ("{ books(last: 2) { reviews(limit: 5) { id } } }", None, 14, "2 x (2 + 5 x 1)"),
    ('{ search(term: "x") { id } }', None, 45, "assumedSize 20 x 2 + argument @cost 5"),
    (
        "{ bestsellers(first: 4) { total edges { node { title } } } }",
        None,
        13,
        "the connection 1 + sizedFields edges: 4 x (BookEdge 1 + Book 2)",
    ),
    ("{ shelf(id: 1) { books { id } } }", None, 21, "Shelf 1 + default list size 10 x 2"),
    (
        'mutation { addBook(input: {title: "a", cover: "b"}) { id } }',
        None,
        16,
        "mutation 10 + Book 2 + input object 1 + cover @cost 3",
    ),
    (
        "mutation ($i: BookInput!) { addBook(input: $i) { id } }",
        {"i": {"title": "a"}},
        13,
        "the same from a variable, without cover",
    ),
    ("{ __typename book(id: 1) { __typename } }", None, 2, "__typename costs nothing"),
    (
        "{ book(id: 1) { ...R ... on Book { rating } } } fragment R on Book { rating }",
        None,
        10,
        "every fragment's fields counted (an upper bound): 2 + 4 + 4",
    ),
    (
        "query ($skip: Boolean!) { expensive @skip(if: $skip) book(id: 1) { id } }",
        {"skip": True},
        2,
        "a skipped field costs nothing",
    ),
    (
        "{ book(id: 1) { id ... @defer { rating } } ... @defer { expensive } }",
        None,
        31,
        "deferred fragments cost what they would inline: 2 + 4 + 25",
    ),
]


@pytest.mark.parametrize("composer", sorted(SUPERGRAPHS))
@pytest.mark.parametrize(("query", "variables", "cost", "why"), BOOKS_CASES)
def test_estimated_cost(
    composer: str, query: str, variables: dict[str, Any] | None, cost: int, why: str
) -> None:
    found = gateway_for(composer).estimate(query, None, variables)
    assert found.cost == cost, why
    assert found.problems == ()


def test_the_default_list_size_is_a_setting() -> None:
    assert (
        gateway_for("apollo", list_size=3).estimate("{ shelf(id: 1) { books { id } } }").cost == 7
    )


@pytest.mark.parametrize(
    ("query", "cost", "problem"),
    [
        ("{ books { id } }", 100, "got 0"),  # no slicing argument: assumedSize 50
        ("{ books(first: 3, last: 5) { id } }", 10, "got 2"),  # both: the larger counts
    ],
)
def test_require_one_slicing_argument(query: str, cost: int, problem: str) -> None:
    found = gateway_for("apollo").estimate(query)
    assert found.cost == cost
    assert len(found.problems) == 1
    assert (
        "Query.books needs exactly one of its slicing arguments (first, last)"
        in (found.problems[0])
    )
    assert problem in found.problems[0]


def test_an_estimate_reading_no_variable_is_reused_and_one_reading_them_is_not() -> None:
    gateway = gateway_for("apollo")
    fixed = gateway.estimate("{ books(first: 2) { id } }")
    assert fixed == Estimate(4, reads_variables=False)
    query = "query ($n: Int) { books(first: $n) { id } }"
    assert gateway.estimate(query, None, {"n": 2}) == Estimate(4, reads_variables=True)
    assert gateway.estimate(query, None, {"n": 9}).cost == 18  # not the first request's


# The IBM spec's own example (https://ibm.github.io/graphql-specs/cost-spec.html, section 3):
# a plain schema declaring the directives, with a string weight.
IBM_SCHEMA = """
directive @cost(weight: String!) on FIELD_DEFINITION | OBJECT | ARGUMENT_DEFINITION
directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!],
  requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
input Filter { max: Int, onlyActive: Boolean }
type User {
  name: String
  age: Int @cost(weight: "2.0")
}
type Query {
  users(max: Int): [User] @listSize(slicingArguments: ["max"])
  filtered(filter: Filter = {max: 10}): [User] @listSize(slicingArguments: ["filter.max"])
}
"""


def ibm_cost(query: str, variables: dict[str, Any] | None = None) -> Estimate:
    schema = build_schema(IBM_SCHEMA)
    operation = parse(query).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    normalized = NormalizedOperation(
        kind="query",
        selections=normalize_operation(operation, {}, variables or {}),
        root_type="Query",
        variable_types={},
        introspection=None,
    )
    return estimate(CostSchema.of(schema), normalized, variables or {}, 10)


def test_the_ibm_spec_example() -> None:
    # users(max: 5) returns at most 5 users, each an object (1) whose age weighs 2.0
    assert ibm_cost("query Example { users(max: 5) { age } }").cost == 15
    assert ibm_cost("{ users(max: 5) { name } }").cost == 5


def test_nested_slicing_arguments_and_their_defaults() -> None:
    assert ibm_cost("{ filtered(filter: {max: 3}) { age } }").cost == 3 * 3 + 1  # + the input
    assert ibm_cost("{ filtered { age } }").cost == 10 * 3  # the argument's default {max: 10}


RENAMED = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/cost/v0.1", as: "demand",
        import: [{name: "@listSize", as: "@size"}]) { query: Query }
directive @link(url: String, as: String, import: [Import]) repeatable on SCHEMA
scalar Import
directive @demand(weight: Int!) on FIELD_DEFINITION | OBJECT
directive @size(assumedSize: Int) on FIELD_DEFINITION
directive @cost(weight: Int!) on FIELD_DEFINITION
type Item @demand(weight: 3) { id: ID @cost(weight: 100) }
type Query { items: [Item] @size(assumedSize: 4) }
"""


def test_the_directives_are_found_by_their_linked_names() -> None:
    schema = CostSchema.of(build_schema(RENAMED))
    items = schema.field("Query", "items")
    assert items is not None and items.list_size is not None
    assert (items.weight, items.list_size.assumed_size) == (3.0, 4)
    item_id = schema.field("Item", "id")
    assert item_id is not None and item_id.weight == 0.0  # @cost is not the cost spec's here


def test_a_supergraph_without_the_directives_costs_by_the_defaults() -> None:
    schema = CostSchema.of(load_supergraph(HERE.parents[1] / "subgraphs/supergraph.graphql").schema)
    assert schema.directives_found == 0


def test_tandem_plan_prints_the_estimated_cost(capsys: pytest.CaptureFixture[str]) -> None:
    query = "query ($n: Int) { books(first: $n) { title rating reviews { stars } } }"
    argv = ["plan", "--supergraph", str(SUPERGRAPHS["apollo"]), "--variables", '{"n": 7}', query]
    assert main(argv) == 0
    assert capsys.readouterr().out.endswith("\nEstimated cost: 84 (default list size 10)\n")
    assert (
        main([*argv[:3], "--list-size", "2", "{ books { id } shelf(id: 1) { books { id } } }"]) == 0
    )
    assert capsys.readouterr().out.endswith(
        "\nEstimated cost: 105 (default list size 2)\n"
        "  Query.books needs exactly one of its slicing arguments (first, last), got 0\n"
    )
    assert main([*argv[:3], "--variables", "{oops", query]) == 2
    assert capsys.readouterr().err.startswith("tandem: --variables is not JSON")
