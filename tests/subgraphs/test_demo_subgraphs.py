"""The demo subgraphs over real HTTP: their SDL, ``_entities``, and data standards."""

import re
from decimal import Decimal
from typing import Any

import httpx
import pytest

ORDER_NO = re.compile(r"^PO-\d{6}-\d{4}$")
EMPLOYEE_NO = re.compile(r"^EMP-\d{6}$")
SKU = re.compile(r"^SKU-\d{5}$")
AMOUNT = re.compile(r"^\d+\.\d{2}$")

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) { __typename ...Fields }
}
"""


def execute(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST one operation; return its ``data`` after checking there were no errors."""
    response = httpx.post(url, json={"query": query, "variables": variables or {}}, timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def entities(url: str, fragment: str, *representations: dict[str, Any]) -> list[Any]:
    """Resolve ``representations`` through ``_entities``, selecting ``fragment``."""
    data = execute(url, ENTITIES + fragment, {"representations": list(representations)})
    result: list[Any] = data["_entities"]
    return result


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "people",
            [
                'type Employee @key(fields: "id")',
                'type Department @key(fields: "id")',
                "employee(id: ID!): Employee",
                "employees(first: Int = 20): [Employee!]!",
                "departments: [Department!]!",
            ],
        ),
        (
            "procurement",
            [
                'type Supplier @key(fields: "id")',
                'type PurchaseOrder @key(fields: "id")',
                'type Employee @key(fields: "id")',
                'type Item @key(fields: "sku")',
                "type Money @shareable",
                "stock: Int! @external",
                'reorderNeeded: Boolean! @requires(fields: "stock")',
                "purchaseOrders(first: Int = 20): [PurchaseOrder!]!",
                "purchaseOrder(id: ID!): PurchaseOrder",
            ],
        ),
        (
            "inventory",
            ['type Item @key(fields: "sku")', "inStock: Boolean!", "items(first: Int = 20)"],
        ),
    ],
)
def test_sdl_declares_keys_and_root_fields(
    demo_subgraphs: dict[str, str], name: str, expected: list[str]
) -> None:
    sdl = execute(demo_subgraphs[name], "{ _service { sdl } }")["_service"]["sdl"]
    assert 'https://specs.apollo.dev/federation/v2.9"' in sdl
    for fragment in expected:
        assert fragment in sdl


@pytest.mark.parametrize(
    ("name", "representation", "fragment", "expected"),
    [
        (
            "people",
            {"__typename": "Employee", "id": "emp-007"},
            "fragment Fields on Employee { employeeNo department { id } }",
            {"__typename": "Employee", "employeeNo": "EMP-000007", "department": {"id": "dept-07"}},
        ),
        (
            "people",
            {"__typename": "Department", "id": "dept-03"},
            "fragment Fields on Department { code name }",
            {"__typename": "Department", "code": "PROC", "name": "Procurement"},
        ),
        (
            "procurement",
            {"__typename": "Supplier", "id": "sup-01"},
            "fragment Fields on Supplier { name rating }",
            {"__typename": "Supplier", "name": "Huaxin Steel Co., Ltd.", "rating": 4},
        ),
        (
            "procurement",
            {"__typename": "PurchaseOrder", "id": "po-0011"},
            "fragment Fields on PurchaseOrder { orderNo total { currency } }",
            {
                "__typename": "PurchaseOrder",
                "orderNo": "PO-202610-0001",
                "total": {"currency": "CNY"},
            },
        ),
        (
            "procurement",
            {"__typename": "Item", "sku": "SKU-00007", "stock": 0},
            "fragment Fields on Item { sku reorderNeeded }",
            {"__typename": "Item", "sku": "SKU-00007", "reorderNeeded": True},
        ),
        (
            "procurement",
            {"__typename": "Item", "sku": "SKU-00001", "stock": 37},
            "fragment Fields on Item { sku reorderNeeded }",
            {"__typename": "Item", "sku": "SKU-00001", "reorderNeeded": False},
        ),
        (
            "inventory",
            {"__typename": "Item", "sku": "SKU-00007"},
            "fragment Fields on Item { name stock inStock warehouse }",
            {
                "__typename": "Item",
                "name": "Hex Nut M8 (lot 1)",
                "stock": 0,
                "inStock": False,
                "warehouse": "Suzhou-02",
            },
        ),
    ],
)
def test_entities_resolve_representations(
    demo_subgraphs: dict[str, str],
    name: str,
    representation: dict[str, Any],
    fragment: str,
    expected: dict[str, Any],
) -> None:
    assert entities(demo_subgraphs[name], fragment, representation) == [expected]


@pytest.mark.parametrize(
    ("name", "typename", "key"),
    [
        ("people", "Employee", "id"),
        ("people", "Department", "id"),
        ("procurement", "Supplier", "id"),
        ("procurement", "PurchaseOrder", "id"),
        ("inventory", "Item", "sku"),
    ],
)
def test_entities_of_unknown_keys_are_null(
    demo_subgraphs: dict[str, str], name: str, typename: str, key: str
) -> None:
    fragment = f"fragment Fields on {typename} {{ __typename }}"
    representation = {"__typename": typename, key: "no-such-key"}
    assert entities(demo_subgraphs[name], fragment, representation) == [None]


def test_entities_keep_the_order_of_representations(demo_subgraphs: dict[str, str]) -> None:
    fragment = "fragment Fields on Employee { id }"
    ids = ["emp-042", "emp-001", "emp-017"]
    representations = [{"__typename": "Employee", "id": i} for i in ids]
    found = entities(demo_subgraphs["people"], fragment, *representations)
    assert [e["id"] for e in found] == ids


def test_an_employee_gains_purchase_orders_in_procurement(demo_subgraphs: dict[str, str]) -> None:
    url = demo_subgraphs["procurement"]
    orders = execute(url, "{ purchaseOrders(first: 100) { orderNo requestedBy { id } } }")
    requester = orders["purchaseOrders"][0]["requestedBy"]["id"]
    requested = [o for o in orders["purchaseOrders"] if o["requestedBy"]["id"] == requester]
    expected = sorted(o["orderNo"] for o in requested)
    fragment = "fragment Fields on Employee { purchaseOrders { orderNo } }"
    [employee] = entities(url, fragment, {"__typename": "Employee", "id": requester})
    assert sorted(o["orderNo"] for o in employee["purchaseOrders"]) == expected


def test_purchase_orders_follow_the_data_standards(demo_subgraphs: dict[str, str]) -> None:
    query = """{ purchaseOrders(first: 100) {
        orderNo status total { amount currency }
        lines { quantity unitPrice { amount currency } item { sku } }
    } }"""
    orders = execute(demo_subgraphs["procurement"], query)["purchaseOrders"]
    assert len(orders) == 30
    assert len({o["orderNo"] for o in orders}) == len(orders)
    for order in orders:
        assert ORDER_NO.match(order["orderNo"]), order["orderNo"]
        assert order["status"] in {"CREATED", "SENT", "RECEIVED", "CLOSED", "CANCELLED"}
        money = [order["total"], *(line["unitPrice"] for line in order["lines"])]
        assert all(AMOUNT.match(m["amount"]) and m["currency"] == "CNY" for m in money), money
        lines = order["lines"]
        line_sum = sum(Decimal(line["unitPrice"]["amount"]) * line["quantity"] for line in lines)
        assert Decimal(order["total"]["amount"]) == line_sum
        assert all(SKU.match(line["item"]["sku"]) for line in order["lines"])


def test_references_between_subgraphs_resolve(demo_subgraphs: dict[str, str]) -> None:
    query = "{ purchaseOrders(first: 100) { requestedBy { id } lines { item { sku } } } }"
    orders = execute(demo_subgraphs["procurement"], query)["purchaseOrders"]
    employee_ids = sorted({o["requestedBy"]["id"] for o in orders})
    skus = sorted({line["item"]["sku"] for o in orders for line in o["lines"]})
    people = entities(
        demo_subgraphs["people"],
        "fragment Fields on Employee { id }",
        *({"__typename": "Employee", "id": i} for i in employee_ids),
    )
    items = entities(
        demo_subgraphs["inventory"],
        "fragment Fields on Item { sku }",
        *({"__typename": "Item", "sku": s} for s in skus),
    )
    assert [p["id"] for p in people] == employee_ids
    assert [i["sku"] for i in items] == skus


def test_people_follow_the_data_standards(demo_subgraphs: dict[str, str]) -> None:
    query = """{
        employees(first: 100) { id employeeNo email department { id } }
        departments { id members { id } }
    }"""
    data = execute(demo_subgraphs["people"], query)
    assert len(data["employees"]) == 50
    assert len(data["departments"]) == 8
    assert all(EMPLOYEE_NO.match(e["employeeNo"]) for e in data["employees"])
    assert len({e["email"] for e in data["employees"]}) == 50
    members = sorted(m["id"] for d in data["departments"] for m in d["members"])
    assert members == sorted(e["id"] for e in data["employees"])


@pytest.mark.parametrize(
    ("name", "field", "count"),
    [
        ("people", "employees", 20),
        ("procurement", "purchaseOrders", 20),
        ("inventory", "items", 20),
    ],
)
def test_lists_default_to_the_first_twenty(
    demo_subgraphs: dict[str, str], name: str, field: str, count: int
) -> None:
    url = demo_subgraphs[name]
    assert len(execute(url, f"{{ {field} {{ __typename }} }}")[field]) == count
    assert len(execute(url, f"{{ {field}(first: 3) {{ __typename }} }}")[field]) == 3


def test_items_report_stock(demo_subgraphs: dict[str, str]) -> None:
    query = "{ items(first: 100) { sku stock inStock } }"
    items = execute(demo_subgraphs["inventory"], query)["items"]
    assert len(items) == 40
    assert all(SKU.match(i["sku"]) and i["inStock"] == (i["stock"] > 0) for i in items)
    assert any(not i["inStock"] for i in items)
