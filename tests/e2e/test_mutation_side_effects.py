"""No invisible side effects, through real processes: OA and ERP (the end-to-end stack) and
``tandem serve`` enforcing the default policy, a sales rep of the demo company creating orders.

The default policy lets sales read every non-null field under a sales order (what their work
needs), so no selection of theirs under ``createSalesOrder`` is nulled up to the root by it. To
exercise the refusal as the issue saw it (a field they may not read, non-null all the way up),
the gateway here enforces the default policy plus one row, ``Customer.creditLimit`` denied to
sales. The operation combining their own mutation with another role's (``setBudget``) needs no
extra row. A read by the auditor before and after shows whether an order was written.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import Gateway, Service, Stack, _gateway_answers, service_env, tandem_command
from tests.support.processes import REPO_ROOT, free_port

EXTRA_ROW = "p, sales, *, Customer.creditLimit, read, deny\n"
SALES = "emp-040"  # Qiang Yang, a sales rep (roles employee, sales)
AUDITOR = "emp-048"  # reads everything: the witness
CUSTOMER = "cus-04"

CREATE = """
mutation ($input: CreateSalesOrderInput!) { createSalesOrder(input: $input) { %s } }
"""
ORDERS = """
query ($id: ID!) { customer(id: $id) { salesOrders(first: 100) { edges { node { id } } } } }
"""
ORDER = {"customerId": CUSTOMER, "lines": [{"sku": "SKU-0001", "quantity": 1}]}


@pytest.fixture(scope="module")
def client(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """``tandem serve`` over the stack's OA and ERP with the default policy plus one row."""
    policy = tmp_path_factory.mktemp("side-effects-policy")
    for name in ("model.conf", "relations.csv", "roles.csv"):  # the rules aside
        (policy / name).write_bytes((REPO_ROOT / "policies" / name).read_bytes())
    default = (REPO_ROOT / "policies" / "policy.csv").read_text(encoding="utf-8")
    (policy / "policy.csv").write_text(default.rstrip("\n") + "\n" + EXTRA_ROW, encoding="utf-8")
    port = free_port()
    service = Service(
        "gateway-side-effects",
        [*tandem_command(), "serve", "--supergraph", str(stack.oa.logs / "supergraph.graphql"),
         "--port", str(port), "--policy", str(policy)],
        service_env(TANDEM_DATA_DIR=str(stack.oa.logs), TANDEM_DEV_IDENTITY="1"),
        port,
        Path(policy),
        _gateway_answers,
    )  # fmt: skip
    service.start()
    session = Gateway(service.url, stack.person)
    try:
        yield session
    finally:
        session.close()
        service.stop()


def _orders(client: Gateway) -> list[str]:
    data = client.data(AUDITOR, ORDERS, id=CUSTOMER)
    return [edge["node"]["id"] for edge in data["customer"]["salesOrders"]["edges"]]


def _send(client: Gateway, query: str, variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = client.http.post(
        client.url,
        json={"query": query, "variables": variables},
        headers=client.people(SALES).headers,
    )
    body: dict[str, Any] = response.json()
    return response.status_code, body


def test_a_sales_order_selecting_a_field_sales_may_not_read_is_refused_and_not_written(
    client: Gateway,
) -> None:
    before = _orders(client)
    status, body = _send(
        client, CREATE % "id orderNo customer { name creditLimit { amount } }", {"input": ORDER}
    )
    assert status == 403, body
    assert "data" not in body  # refused before execution: no data entry at all
    (error,) = body["errors"]
    assert error["extensions"] == {
        "code": "FORBIDDEN",
        "coordinates": ["Customer.creditLimit"],
        "paths": [["createSalesOrder", "customer", "creditLimit"]],
    }
    assert "nothing was written" in error["message"]
    assert _orders(client) == before


def test_the_same_order_selecting_only_allowed_fields_is_created(client: Gateway) -> None:
    before = _orders(client)
    status, body = _send(client, CREATE % "id orderNo status customer { name }", {"input": ORDER})
    assert status == 200 and "errors" not in body, body
    created = body["data"]["createSalesOrder"]
    assert created["orderNo"].startswith("SO-") and created["status"] == "CONFIRMED"
    assert _orders(client) == [created["id"], *before]


def test_an_operation_holding_another_roles_mutation_runs_none_of_it(client: Gateway) -> None:
    """Mutations run in order: the sales order would be written before ``setBudget`` (not
    sales' work) is refused, so the whole operation is refused before either runs."""
    before = _orders(client)
    query = """
    mutation ($input: CreateSalesOrderInput!, $budget: SetBudgetInput!) {
      createSalesOrder(input: $input) { id }
      setBudget(input: $budget) { id }
    }
    """
    budget = {"departmentId": "dept-07", "period": "2036-01",
              "amount": {"amount": "9999999.00", "currency": "CNY"}}  # fmt: skip
    status, body = _send(client, query, {"input": ORDER, "budget": budget})
    assert status == 403, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["coordinates"] == ["Mutation.setBudget"]
    assert _orders(client) == before
