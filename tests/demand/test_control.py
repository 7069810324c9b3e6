"""Demand control's decisions: the maximum per operation, the budgets per caller per minute (on
a clock the test moves, never a sleep), and the actual cost measured from a response."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import parse
from graphql.language import OperationDefinitionNode

from gateway.auth.integrators import RateLimited
from gateway.demand import (
    CostBudgetExceeded,
    CostReport,
    CostSchema,
    CostTooExpensive,
    DemandControl,
    DemandSettings,
    Estimate,
    MemoryCostBudget,
    SlicingArgumentInvalid,
    actual_cost,
)
from gateway.operation import NormalizedOperation, normalize_operation
from gateway.supergraph import load_supergraph
from tandem_shared.tokens import Principal

SUPERGRAPH = load_supergraph(Path(__file__).with_name("books.supergraph.graphql"))
SCHEMA = CostSchema.of(SUPERGRAPH.schema)
BOT = Principal("svc:reporting", "reporting", client_id="reporting-bot")
ANNA = Principal("emp-001", "Anna")
BEN = Principal("emp-002", "Ben")


class Clock:
    """Seconds since the epoch, moved by the test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def control(clock: Clock | None = None, **settings: Any) -> DemandControl:
    """Demand control enforcing (the default only measures) unless ``mode`` says otherwise."""
    budget = MemoryCostBudget(clock or Clock(6_000.0))
    return DemandControl(SCHEMA, DemandSettings(**{"mode": "enforce", **settings}), budget=budget)


@pytest.mark.anyio
async def test_over_the_maximum_is_refused_when_enforcing() -> None:
    with pytest.raises(CostTooExpensive) as refused:
        await control(max_cost=100).admit(Estimate(101), ANNA)
    error = refused.value
    assert (error.code, error.status) == ("COST_ESTIMATED_TOO_EXPENSIVE", 400)
    assert error.to_graphql()["extensions"] == {
        "code": "COST_ESTIMATED_TOO_EXPENSIVE",
        "cost": {"estimated": 101, "max": 100},
    }
    admitted = await control(max_cost=100).admit(Estimate(100), ANNA)
    assert admitted == CostReport(100, max_cost=100)


@pytest.mark.anyio
async def test_measuring_refuses_nothing_and_says_what_enforcing_would_have() -> None:
    report = await control(mode="measure", max_cost=100).admit(Estimate(5_000), ANNA)
    assert report.refused == "COST_ESTIMATED_TOO_EXPENSIVE"
    report = await control(mode="measure").admit(Estimate(1, problems=("x",)), ANNA)
    assert report.refused == "COST_SLICING_ARGUMENT_INVALID"


@pytest.mark.anyio
async def test_a_missing_slicing_argument_is_refused_when_enforcing() -> None:
    with pytest.raises(SlicingArgumentInvalid) as refused:
        await control().admit(Estimate(1, problems=("Query.books needs ...",)), ANNA)
    assert (refused.value.code, refused.value.status) == ("COST_SLICING_ARGUMENT_INVALID", 400)


@pytest.mark.anyio
async def test_an_integrators_budget_per_minute() -> None:
    clock = Clock(6_000.0 + 15)  # 15 s into a minute
    demand = control(clock, client_budgets={"reporting-bot": 10}, budget_per_minute=1_000)
    assert (await demand.admit(Estimate(4), BOT)).spent == 4
    assert (await demand.admit(Estimate(6), BOT)).spent == 10  # exactly the budget
    with pytest.raises(CostBudgetExceeded) as refused:
        await demand.admit(Estimate(1), BOT)
    error = refused.value
    assert isinstance(error, RateLimited)  # answered 429 with Retry-After, as rate limits
    assert (error.code, error.status, error.retry_after) == ("COST_BUDGET_EXCEEDED", 429, 45)
    assert error.to_graphql()["extensions"]["cost"] == {"estimated": 1, "spent": 10, "budget": 10}
    clock.now += 45  # the next minute
    report = await demand.admit(Estimate(7), BOT)
    assert (report.spent, report.budget) == (7, 10)


@pytest.mark.anyio
async def test_a_refused_operation_is_not_charged() -> None:
    demand = control(client_budgets={"reporting-bot": 10})
    await demand.admit(Estimate(8), BOT)
    with pytest.raises(CostBudgetExceeded):
        await demand.admit(Estimate(5), BOT)
    assert (await demand.admit(Estimate(2), BOT)).spent == 10


@pytest.mark.anyio
async def test_each_person_has_the_default_budget_of_their_own_and_anonymous_callers_none() -> None:
    demand = control(budget_per_minute=10, client_budgets={"emp-002": 100})
    assert (await demand.admit(Estimate(10), ANNA)).spent == 10
    with pytest.raises(CostBudgetExceeded):
        await demand.admit(Estimate(1), ANNA)
    assert (await demand.admit(Estimate(50), BEN)).spent == 50  # named by subject
    assert (await demand.admit(Estimate(5_000), None)).budget is None


def normalized(query: str, variables: dict[str, Any] | None = None) -> NormalizedOperation:
    operation = parse(query).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return NormalizedOperation(
        kind=operation.operation.value,
        selections=normalize_operation(operation, {}, variables or {}),
        root_type="Mutation" if operation.operation.value == "mutation" else "Query",
        variable_types={},
        introspection=None,
    )


BOOKS = "{ books(first: 50) { title rating reviews { stars } } }"


@pytest.mark.parametrize(
    ("query", "data", "cost"),
    [
        (BOOKS, {"books": []}, 0),
        # two books (2 + rating 4 each), one with two reviews (Review 1 + stars 1 each)
        (
            BOOKS,
            {
                "books": [
                    {"title": "a", "rating": "GOOD", "reviews": [{"stars": 5}, {"stars": 3}]},
                    {"title": "b", "rating": None, "reviews": []},
                ]
            },
            2 + 4 + 2 * 2 + 2 + 4,
        ),
        ("{ book(id: 1) { id } }", {"book": None}, 2),  # Book's @cost: its resolver ran
        ("{ shelf(id: 1) { id } }", {"shelf": None}, 0),
        ('{ search(term: "x") { id } }', {"search": [{"id": "1"}]}, 2 + 5),  # argument @cost
        ('mutation { addBook(input: {title: "t"}) { id } }', {"addBook": {"id": "9"}}, 10 + 2 + 1),
        (
            "{ book(id: 1) { ...on Book { rating } rating } }",  # one response key, counted once
            {"book": {"rating": "BAD"}},
            6,
        ),
    ],
)
def test_the_actual_cost_counts_what_the_response_holds(
    query: str, data: dict[str, Any], cost: int
) -> None:
    assert actual_cost(SCHEMA, normalized(query), {}, data) == cost


def test_the_actual_cost_is_measured_only_when_someone_reads_it() -> None:
    demand = control()
    report = demand.measure(CostReport(3), normalized("{ book(id: 1) { id } }"), {}, {"book": {}})
    assert report.actual is None  # neither exposed nor observed
    seen: list[CostReport] = []
    demand.observers.append(seen.append)
    report = demand.measure(CostReport(3), normalized("{ book(id: 1) { id } }"), {}, {"book": {}})
    assert report.actual == 2
    assert seen == [report]
