"""No invisible side effects: a mutation whose result a denial would hide is refused before it
runs, and nothing is written; a denial that nulls only a nullable inner field lets it run.

The real OA and ERP apps run in-process on scratch SQLite databases (demo company loaded), the
gateway in front of them with a policy of the test's own: the role ``clerk`` may create sales
orders and read most of a sales order, but not ``Customer.creditLimit`` (non-null under the
non-null ``customer``: its null reaches the root), not ``Warehouse.name`` (non-null, inside the
non-null list of non-null lines: reaches the root), and not ``SalesOrder.shippedAt`` (nullable:
the null stops there). ``boss`` reads everything and counts the orders.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway.auth.subgraph_tokens import SubgraphTokens
from gateway.authz.authorizer import Authorizer
from gateway.authz.enforcer import PolicyEnforcer
from gateway.crypto.runtime import FieldCrypto
from gateway.errors import OperationError
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph, read_supergraph
from subgraphs.common.events.memory_bus import InProcessBus
from subgraphs.common.settings import SubgraphSettings
from subgraphs.erp.app import build_app as build_erp
from subgraphs.oa.app import build_app as build_oa
from tandem_shared.keys import generate_private_key, public_key_of
from tandem_shared.tokens import Principal
from tests.common.lifespan import running
from tests.crypto.stack import AppTransport
from tests.support.processes import REPO_ROOT

SUPERGRAPH = REPO_ROOT / "subgraphs" / "supergraph.graphql"
MODEL = REPO_ROOT / "policies" / "model.conf"

POLICY = """\
p, clerk, *, Query.*, read, allow
p, clerk, *, Mutation.createSalesOrder, write, allow
p, clerk, *, SalesOrder.*, read, allow
p, clerk, *, SalesOrder.shippedAt, read, deny
p, clerk, *, SalesOrderLine.*, read, allow
p, clerk, *, Customer.*, read, allow
p, clerk, *, Customer.creditLimit, read, deny
p, clerk, *, Item.*, read, allow
p, clerk, *, Warehouse.id, read, allow
p, clerk, *, Money.*, read, allow
p, clerk@self, *, Employee.name, read, allow
p, clerk, *, Employee.id, read, allow
p, clerk, *, Mutation.updateEmployeeIdentity, write, allow
p, boss, *, *, read, allow
"""

CLERK = Principal("emp-040", "Clerk", ("clerk",), "dept-07")
BOSS = Principal("emp-002", "Boss", ("boss",), "dept-01")
CUSTOMER = "cus-03"

CREATE = """
mutation Create($input: CreateSalesOrderInput!) {
  createSalesOrder(input: $input) { %s }
}
"""
ORDERS = """
query ($id: ID!) { customer(id: $id) { salesOrders(first: 100) { edges { node { id } } } } }
"""

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Harness:
    gateway: Gateway
    transport: AppTransport

    async def orders(self) -> list[str]:
        response = await self.gateway.execute(ORDERS, {"id": CUSTOMER}, principal=BOSS)
        assert "errors" not in response, response
        edges = response["data"]["customer"]["salesOrders"]["edges"]
        return [edge["node"]["id"] for edge in edges]

    async def create(self, selection: str, fragments: str = "") -> dict[str, Any]:
        return await self.gateway.execute(
            CREATE % selection + fragments, {"input": _order()}, principal=CLERK
        )


def _order(quantity: int = 1) -> dict[str, Any]:
    return {"customerId": CUSTOMER, "lines": [{"sku": "SKU-0001", "quantity": quantity}]}


@pytest.fixture(scope="module")
async def harness(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    folder = tmp_path_factory.mktemp("side-effects")
    (folder / "policy.csv").write_text(POLICY, encoding="utf-8")
    key = generate_private_key()
    transport = AppTransport()
    bus = InProcessBus()
    async with contextlib.AsyncExitStack() as apps:
        for name, build in (("oa", build_oa), ("erp", build_erp)):
            settings = SubgraphSettings(
                name=name, data_dir=folder, database_url=f"sqlite+aiosqlite:///{folder}/{name}.db"
            )
            app = build(settings, public_key=public_key_of(key), seed=True, bus=bus)
            transport.clients[name] = await apps.enter_async_context(running(app, f"http://{name}"))
        supergraph = load_supergraph(SUPERGRAPH)
        enforcer = PolicyEnforcer(MODEL, folder / "policy.csv")
        gateway = Gateway(
            supergraph,
            transport=transport,
            tokens=SubgraphTokens(key),
            authorizer=Authorizer(supergraph.api_schema, enforcer),
        )
        try:
            yield Harness(gateway, transport)
        finally:
            await gateway.close()
    await bus.close()


async def _refused(harness: Harness, selection: str, fragments: str = "") -> OperationError:
    """Send the mutation; it must be refused with nothing sent to a subgraph and no order."""
    before = await harness.orders()
    sent = len(harness.transport.sent)
    with pytest.raises(OperationError) as caught:
        await harness.create(selection, fragments)
    assert len(harness.transport.sent) == sent  # no subgraph was asked anything
    assert await harness.orders() == before  # and nothing was written
    assert caught.value.code == "FORBIDDEN" and caught.value.status == 403
    assert "nothing was written" in caught.value.message
    return caught.value


async def test_selected_denied_field_reaching_the_root_refuses_the_mutation(
    harness: Harness,
) -> None:
    error = await _refused(harness, "orderNo customer { name creditLimit { amount } }")
    assert error.extensions == {
        "coordinates": ["Customer.creditLimit"],
        "paths": [["createSalesOrder", "customer", "creditLimit"]],
    }
    assert "Customer.creditLimit at createSalesOrder.customer.creditLimit" in error.message


async def test_a_denial_inside_a_non_null_list_reaches_the_root(harness: Harness) -> None:
    error = await _refused(harness, "orderNo lines { quantity warehouse { id name } }")
    assert error.extensions["coordinates"] == ["Warehouse.name"]
    assert error.extensions["paths"] == [["createSalesOrder", "lines", "warehouse", "name"]]


async def test_allowed_selection_runs_and_writes(harness: Harness) -> None:
    before = await harness.orders()
    response = await harness.create("id orderNo status customer { id name }")
    assert "errors" not in response, response
    created = response["data"]["createSalesOrder"]
    assert created["status"] == "CONFIRMED" and created["customer"]["id"] == CUSTOMER
    assert await harness.orders() == [created["id"], *before]  # newest first


async def test_a_denied_nullable_field_lets_the_mutation_run_with_the_error_at_its_path(
    harness: Harness,
) -> None:
    before = await harness.orders()
    response = await harness.create("id orderNo shippedAt")
    created = response["data"]["createSalesOrder"]
    assert created["orderNo"].startswith("SO-") and created["shippedAt"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in response["errors"]] == [
        (["createSalesOrder", "shippedAt"], "FORBIDDEN")
    ]
    assert await harness.orders() == [created["id"], *before]


@pytest.mark.parametrize(
    ("selection", "fragments", "path"),
    [
        pytest.param("orderNo buyer: customer { limit: creditLimit { amount } }", "",
                     ["createSalesOrder", "buyer", "limit"], id="aliases"),
        pytest.param("...Order", "fragment Order on SalesOrder { customer { ...Limit } }\n"
                     "fragment Limit on Customer { creditLimit { amount } }",
                     ["createSalesOrder", "customer", "creditLimit"], id="named-fragments"),
        pytest.param("... on SalesOrder { customer { ... { creditLimit { amount } } } }", "",
                     ["createSalesOrder", "customer", "creditLimit"], id="inline-fragments"),
    ],
)  # fmt: skip
async def test_every_route_to_the_denied_field_is_seen(
    harness: Harness, selection: str, fragments: str, path: list[str]
) -> None:
    error = await _refused(harness, selection, fragments)
    assert error.extensions["paths"] == [path]


async def test_skip_and_include_are_decided_with_the_request_variables(harness: Harness) -> None:
    selection = "id customer { id creditLimit @include(if: $limit) { amount } }"
    query = CREATE.replace("$input: CreateSalesOrderInput!", "$input: CreateSalesOrderInput!, "
                           "$limit: Boolean!") % selection  # fmt: skip
    before = await harness.orders()
    with pytest.raises(OperationError) as caught:
        await harness.gateway.execute(query, {"input": _order(), "limit": True}, principal=CLERK)
    assert caught.value.extensions["coordinates"] == ["Customer.creditLimit"]
    assert await harness.orders() == before
    response = await harness.gateway.execute(
        query, {"input": _order(), "limit": False}, principal=CLERK
    )
    assert "errors" not in response, response
    assert await harness.orders() == [response["data"]["createSalesOrder"]["id"], *before]


async def test_one_hidden_root_field_refuses_the_whole_operation(harness: Harness) -> None:
    """The first root field alone would run and be visible; the second would be hidden: since
    mutations run in order, neither runs."""
    query = """
    mutation ($a: CreateSalesOrderInput!, $b: CreateSalesOrderInput!) {
      first: createSalesOrder(input: $a) { id }
      second: createSalesOrder(input: $b) { id customer { creditLimit { amount } } }
    }
    """
    before = await harness.orders()
    sent = len(harness.transport.sent)
    with pytest.raises(OperationError) as caught:
        await harness.gateway.execute(query, {"a": _order(), "b": _order()}, principal=CLERK)
    assert caught.value.extensions["paths"] == [["second", "customer", "creditLimit"]]
    assert "the result of second would be null" in caught.value.message
    assert len(harness.transport.sent) == sent and await harness.orders() == before


async def test_a_denied_root_field_refuses_the_whole_operation(harness: Harness) -> None:
    query = """
    mutation ($a: CreateSalesOrderInput!, $s: MoneyInput!) {
      createSalesOrder(input: $a) { id }
      setSalary(employeeId: "emp-040", salary: $s) { id }
    }
    """
    before = await harness.orders()
    with pytest.raises(OperationError) as caught:
        await harness.gateway.execute(
            query,
            {"a": _order(), "s": {"amount": "1.00", "currency": "CNY"}},
            principal=CLERK,
        )
    assert caught.value.extensions == {
        "coordinates": ["Mutation.setSalary"],
        "paths": [["setSalary"]],
    }
    assert await harness.orders() == before


async def test_a_field_decided_per_object_is_treated_as_denied_where_it_would_hide_the_root(
    harness: Harness,
) -> None:
    """``clerk@self`` grants ``Employee.name`` (non-null) on the clerk's own record only: which
    employee the mutation returns is known only after it wrote, so it is refused before."""
    query = """
    mutation ($id: ID!, $phone: String) {
      updateEmployeeIdentity(id: $id, phone: $phone) { id name }
    }
    """
    sent = len(harness.transport.sent)
    with pytest.raises(OperationError) as caught:
        await harness.gateway.execute(
            query, {"id": CLERK.subject, "phone": "+86 137 0000 0042"}, principal=CLERK
        )
    assert caught.value.extensions["coordinates"] == ["Employee.name"]
    assert "allowed only on some objects" in caught.value.message
    assert len(harness.transport.sent) == sent


# -- encrypted fields: decided at plan time too (gateway/authz/protection.py) ----------------


def _plan_only_gateway(policy: Path, supergraph_text: str) -> Gateway:
    supergraph = read_supergraph(supergraph_text)
    enforcer = PolicyEnforcer(MODEL, policy)
    return Gateway(
        supergraph,
        authorizer=Authorizer(supergraph.api_schema, enforcer),
        crypto=FieldCrypto(supergraph, None, None, enforcer),
    )


async def test_an_encrypted_field_the_caller_may_not_see_is_a_denial_like_any_other(
    tmp_path: Path,
) -> None:
    """``Customer.phone`` is nullable in the shipped schema (the mutation runs, the phone is
    null with FORBIDDEN); made non-null here, its plan-time denial by the encrypted-field
    policy (read allowed, neither ``read_plain`` nor ``read_masked``) reaches the root."""
    policy = tmp_path / "policy.csv"
    policy.write_text(POLICY, encoding="utf-8")
    text = SUPERGRAPH.read_text(encoding="utf-8")
    nullable = 'phone: String @encrypted(mask: "LAST4")\n  creditLimit: Money!'
    assert nullable in text
    query = CREATE % "id customer { id phone }"
    shipped = _plan_only_gateway(policy, text)
    assert "Fetch" in str(shipped.plan(query, variables={"input": _order()}, principal=CLERK))
    strict = _plan_only_gateway(
        policy, text.replace(nullable, nullable.replace("String @", "String! @"))
    )
    with pytest.raises(OperationError) as caught:
        strict.plan(query, variables={"input": _order()}, principal=CLERK)
    assert caught.value.extensions == {
        "coordinates": ["Customer.phone"],
        "paths": [["createSalesOrder", "customer", "phone"]],
    }
    await shipped.close()
    await strict.close()
