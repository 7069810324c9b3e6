"""Field authorization at plan time, through the gateway and the real demo subgraphs.

A policy of the test's own grants the role ``viewer`` most of the demo schema but not
``PurchaseOrder.total`` nor ``Item.stock``; every indirect route to those coordinates must be
refused, never fetched, and reported at its path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.authz.authorizer import Authorizer
from gateway.authz.enforcer import PolicyEnforcer
from gateway.errors import OperationError
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph
from subgraphs.demo.procurement.data import procurement_store
from tandem_shared.tokens import Principal

MODEL = Path(__file__).resolve().parents[2] / "policies" / "model.conf"

POLICY = """\
p, viewer, *, Query.*, read, allow
p, viewer, *, PurchaseOrder.*, read, allow
p, viewer, *, PurchaseOrder.total, read, deny
p, viewer, *, OrderLine.*, read, allow
p, viewer, *, Money.*, read, allow
p, viewer, *, Item.sku, read, allow
p, viewer, *, Item.name, read, allow
p, viewer, *, Employee.*, read, allow
p, viewer, *, Department.*, read, allow
p, viewer, *, Supplier.*, read, allow
p, boss, *, *, read, allow
"""

FIRST_ORDER = procurement_store().orders[0]
FIRST_ORDER_SUPPLIER = next(
    s.name for s in procurement_store().suppliers if s.id == FIRST_ORDER.supplier_id
)
BUYER = FIRST_ORDER.requested_by  # an employee with purchase orders

VIEWER = Principal(subject="emp-001", name="Viewer", roles=("viewer",), department="dept-01")
BOSS = Principal(subject="emp-002", name="Boss", roles=("boss",), department="dept-01")

pytestmark = pytest.mark.anyio


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.csv"
    path.write_text(POLICY, encoding="utf-8")
    return path


async def _gateway(
    supergraph: Path, policy: Path, *, reject: bool = False, explain: bool = False
) -> AsyncIterator[Gateway]:
    loaded = load_supergraph(supergraph)
    enforcer = PolicyEnforcer(MODEL, policy)
    authorizer = Authorizer(loaded.api_schema, enforcer, reject=reject, explain=explain)
    gateway = Gateway(loaded, authorizer=authorizer)
    try:
        yield gateway
    finally:
        await gateway.close()


@pytest.fixture
async def gateway(demo_supergraph: Path, policy_file: Path) -> AsyncIterator[Gateway]:
    async for item in _gateway(demo_supergraph, policy_file, explain=True):
        yield item


def _forbidden(response: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    return sorted(
        (tuple(e["path"]), e["extensions"]["coordinate"])
        for e in response.get("errors", [])
        if e["extensions"]["code"] == "FORBIDDEN"
    )


async def test_denied_field_is_null_with_an_error_and_allowed_fields_come_through(
    gateway: Gateway,
) -> None:
    response = await gateway.execute(
        '{ purchaseOrder(id: "po-0001") { orderNo supplier { name } } }', principal=VIEWER
    )
    assert response == {
        "data": {
            "purchaseOrder": {
                "orderNo": FIRST_ORDER.order_no,
                "supplier": {"name": FIRST_ORDER_SUPPLIER},
            }
        }
    }
    response = await gateway.execute(
        '{ purchaseOrder(id: "po-0001") { orderNo total { amount } } }', principal=VIEWER
    )
    # total is non-null: its null propagates to the nearest nullable parent, per the spec
    assert response["data"] == {"purchaseOrder": None}
    assert _forbidden(response) == [(("purchaseOrder", "total"), "PurchaseOrder.total")]


async def test_denied_field_is_never_fetched(gateway: Gateway) -> None:
    plan = gateway.plan(
        "{ purchaseOrders(first: 1) { orderNo total { amount } } }", principal=VIEWER
    )
    assert "total" not in str(plan)
    allowed = gateway.plan(
        "{ purchaseOrders(first: 1) { orderNo total { amount } } }", principal=BOSS
    )
    assert "total" in str(allowed)


@pytest.mark.parametrize(
    ("query", "path"),
    [
        pytest.param(
            "{ purchaseOrders(first: 1) { sum: total { amount } } }",
            ("purchaseOrders", 0, "sum"),
            id="alias",
        ),
        pytest.param(
            "{ purchaseOrders(first: 1) { ...F } }"
            " fragment F on PurchaseOrder { total { amount } }",
            ("purchaseOrders", 0, "total"),
            id="named-fragment",
        ),
        pytest.param(
            "{ purchaseOrders(first: 1) { ... on PurchaseOrder { total { amount } } } }",
            ("purchaseOrders", 0, "total"),
            id="inline-fragment",
        ),
        pytest.param(
            '{ employee(id: "' + BUYER + '") { purchaseOrders { total { amount } } } }',
            ("employee", "purchaseOrders", 0, "total"),
            id="entity-jump",
        ),
    ],
)
async def test_every_route_to_a_denied_coordinate_is_refused(
    gateway: Gateway, query: str, path: tuple[Any, ...]
) -> None:
    response = await gateway.execute(query, principal=VIEWER)
    errors = [e for e in response["errors"] if e["extensions"]["code"] == "FORBIDDEN"]
    assert errors, response
    assert {e["extensions"]["coordinate"] for e in errors} == {"PurchaseOrder.total"}
    assert tuple(errors[0]["path"]) == path
    assert "amount" not in str(response["data"])


async def test_entity_jump_field_denied_in_another_subgraph(gateway: Gateway) -> None:
    query = '{ purchaseOrder(id: "po-0001") { orderNo lines { item { sku name stock } } } }'
    plan = str(gateway.plan(query, principal=VIEWER))
    assert "stock" not in plan and "inventory" in plan  # name still comes from inventory
    response = await gateway.execute(query, principal=VIEWER)
    assert response["data"] == {"purchaseOrder": None}  # Item.stock is non-null all the way
    assert {e["extensions"]["coordinate"] for e in response["errors"]} == {"Item.stock"}
    assert all(e["path"][:2] == ["purchaseOrder", "lines"] for e in response["errors"])


async def test_explain_names_the_rule(gateway: Gateway) -> None:
    response = await gateway.execute(
        '{ purchaseOrder(id: "po-0001") { lines { item { stock } } } }', principal=VIEWER
    )
    rules = {e["extensions"]["rule"] for e in response["errors"]}
    assert rules == {"default: deny unlisted"}
    response = await gateway.execute(
        "{ purchaseOrders(first: 1) { total { amount } } }", principal=VIEWER
    )
    assert {e["extensions"]["rule"] for e in response["errors"]} == {
        "viewer, *, PurchaseOrder.total, read, deny"
    }


async def test_typename_and_introspection_are_always_allowed(gateway: Gateway) -> None:
    response = await gateway.execute(
        "{ __typename purchaseOrders(first: 1) { __typename } }", principal=VIEWER
    )
    assert response == {
        "data": {"__typename": "Query", "purchaseOrders": [{"__typename": "PurchaseOrder"}]}
    }


async def test_anonymous_callers_get_nothing(gateway: Gateway) -> None:
    response = await gateway.execute('{ purchaseOrder(id: "po-0001") { orderNo } }')
    assert response["data"] == {"purchaseOrder": None}
    assert [e["extensions"]["code"] for e in response["errors"]] == ["FORBIDDEN"]
    assert "Fetch" not in str(gateway.plan('{ purchaseOrder(id: "po-0001") { orderNo } }'))


async def test_reject_mode_refuses_the_whole_operation(
    demo_supergraph: Path, policy_file: Path
) -> None:
    async for gateway in _gateway(demo_supergraph, policy_file, reject=True):
        with pytest.raises(OperationError) as caught:
            await gateway.execute(
                "{ purchaseOrders(first: 1) { total { amount } lines { item { stock } } } }",
                principal=VIEWER,
            )
        assert caught.value.code == "FORBIDDEN"
        assert caught.value.extensions["coordinates"] == ["Item.stock", "PurchaseOrder.total"]
        ok = await gateway.execute("{ purchaseOrders(first: 1) { orderNo } }", principal=VIEWER)
        assert "errors" not in ok


async def test_decisions_follow_a_policy_reload(demo_supergraph: Path, policy_file: Path) -> None:
    async for gateway in _gateway(demo_supergraph, policy_file):
        query = "{ purchaseOrders(first: 1) { orderNo lines { item { stock } } } }"
        before = await gateway.execute(query, principal=VIEWER)
        assert before["errors"]
        policy_file.write_text(POLICY + "p, viewer, *, Item.stock, read, allow\n")
        assert gateway.authorizer is not None
        gateway.authorizer.enforcer.reload()
        after = await gateway.execute(query, principal=VIEWER)
        assert "errors" not in after
        assert isinstance(after["data"]["purchaseOrders"][0]["lines"][0]["item"]["stock"], int)


# -- rules that depend on the data --------------------------------------------------------

RELATIONAL = POLICY.replace("p, viewer, *, Employee.*, read, allow\n", "") + (
    "p, viewer, *, Employee.id, read, allow\n"
    "p, viewer, *, Employee.name, read, allow\n"
    "p, viewer, *, Employee.department, read, allow\n"
    "p, viewer@self, *, Employee.purchaseOrders, read, allow\n"
    "p, viewer@department, *, Employee.email, read, allow\n"
)


async def test_own_objects_only_other_objects_are_nulled_one_by_one(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    policy = tmp_path / "relational.csv"
    policy.write_text(RELATIONAL)
    me = Principal(subject=BUYER, name="Buyer", roles=("viewer",), department="dept-01")
    other = "emp-050" if BUYER != "emp-050" else "emp-049"
    query = (
        f'{{ me: employee(id: "{BUYER}") {{ id purchaseOrders {{ orderNo }} }} '
        f'other: employee(id: "{other}") {{ id purchaseOrders {{ orderNo }} }} }}'
    )
    async for gateway in _gateway(demo_supergraph, policy):
        plan = str(gateway.plan(query, principal=me))
        assert "purchaseOrders" in plan  # fetched: decided per object afterwards
        response = await gateway.execute(query, principal=me)
        mine = [o.order_no for o in procurement_store().orders_requested_by(BUYER)]
        assert response["data"]["me"] == {
            "id": BUYER,
            "purchaseOrders": [{"orderNo": n} for n in mine],
        }
        # the other employee's orders are denied; the list is non-null, so that employee
        # (a nullable field) becomes null, and only that one
        assert response["data"]["other"] is None
        assert _forbidden(response) == [(("other", "purchaseOrders"), "Employee.purchaseOrders")]


async def test_department_relation_reads_the_department_from_the_data(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    policy = tmp_path / "relational.csv"
    policy.write_text(RELATIONAL)
    async for gateway in _gateway(demo_supergraph, policy):
        everyone = await gateway.execute("{ departments { id members { id } } }", principal=BOSS)
        department = everyone["data"]["departments"][0]
        colleague = department["members"][0]["id"]
        outsider_department = everyone["data"]["departments"][1]
        outsider = outsider_department["members"][0]["id"]
        viewer = Principal("emp-x", "Viewer", ("viewer",), department["id"])
        query = (
            f'{{ a: employee(id: "{colleague}") {{ name email }} '
            f'b: employee(id: "{outsider}") {{ name email }} }}'
        )
        response = await gateway.execute(query, principal=viewer)
        assert response["data"]["a"]["email"]  # same department: shown
        assert response["data"]["b"] is None  # email is non-null: the object goes
        assert _forbidden(response) == [(("b", "email"), "Employee.email")]
