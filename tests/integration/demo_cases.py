"""The demo operations the integration tests send, each with the data it must produce.

Expectations are computed from the demo data modules (``subgraphs/demo/*/data.py``), never
copied from the gateway's output, and built in the selection's order: GraphQL orders a
response as the selection set does (GraphQL spec, "Executing Selection Sets").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from subgraphs.demo.inventory.data import ItemRecord, inventory_store
from subgraphs.demo.people.data import EmployeeRecord, people_store
from subgraphs.demo.procurement.data import procurement_store
from subgraphs.demo.procurement.schema import REORDER_POINT
from subgraphs.demo.standards import CURRENCY, money_amount

__all__ = [
    "BIG_ORDER",
    "CASES",
    "INVENTORY",
    "LONELY",
    "PEOPLE",
    "PROCUREMENT",
    "REQUESTER",
    "Case",
    "reorder_needed",
]

PEOPLE = people_store()
PROCUREMENT = procurement_store()
INVENTORY = inventory_store()

# -- the demo data, as the API shows it ----------------------------------------------------


def employee(employee_id: str) -> EmployeeRecord:
    record = PEOPLE.employee(employee_id)
    assert record is not None, employee_id
    return record


def item(sku: str) -> ItemRecord:
    record = INVENTORY.item(sku)
    assert record is not None, sku
    return record


def department_of(record: EmployeeRecord) -> dict[str, str]:
    department = PEOPLE.department(record.department_id)
    assert department is not None, record.department_id
    return {"code": department.code, "name": department.name}


def money(value: Any) -> dict[str, str]:
    return {"amount": money_amount(value), "currency": CURRENCY}


def reorder_needed(sku: str) -> bool:
    return item(sku).stock < REORDER_POINT


REQUESTER = max(PEOPLE.employees, key=lambda e: len(PROCUREMENT.orders_requested_by(e.id)))
"""An employee who requested several orders (the most of anyone)."""
BIG_ORDER = max(PROCUREMENT.orders, key=lambda o: len(o.lines))
"""An order with several lines (the most of any)."""


# -- the cases -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One client request and the ``data`` it must produce."""

    query: str
    expected: Callable[[], dict[str, Any]] | None
    variables: Mapping[str, Any] | None = None
    operation_name: str | None = None


CASES: dict[str, Case] = {}


def case(
    name: str,
    query: str,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
) -> Callable[[Callable[[], dict[str, Any]]], None]:
    def register(expected: Callable[[], dict[str, Any]]) -> None:
        CASES[name] = Case(query, expected, variables, operation_name)

    return register


@case(
    "employee_purchase_orders_people_to_procurement",
    """
    query ($id: ID!) {
      employee(id: $id) {
        employeeNo
        name
        purchaseOrders { orderNo status total { amount currency } supplier { name rating } }
      }
    }
    """,
    {"id": REQUESTER.id},
)
def _() -> dict[str, Any]:
    suppliers = {s.id: s for s in PROCUREMENT.suppliers}
    return {
        "employee": {
            "employeeNo": REQUESTER.employee_no,
            "name": REQUESTER.name,
            "purchaseOrders": [
                {
                    "orderNo": o.order_no,
                    "status": o.status,
                    "total": money(o.total),
                    "supplier": {
                        "name": suppliers[o.supplier_id].name,
                        "rating": suppliers[o.supplier_id].rating,
                    },
                }
                for o in PROCUREMENT.orders_requested_by(REQUESTER.id)
            ],
        }
    }


@case(
    "requested_by_procurement_to_people",
    "{ purchaseOrders(first: 6) { orderNo requestedBy { id name email department { code } } } }",
)
def _() -> dict[str, Any]:
    return {
        "purchaseOrders": [
            {
                "orderNo": o.order_no,
                "requestedBy": {
                    "id": o.requested_by,
                    "name": employee(o.requested_by).name,
                    "email": employee(o.requested_by).email,
                    "department": {"code": department_of(employee(o.requested_by))["code"]},
                },
            }
            for o in PROCUREMENT.orders[:6]
        ]
    }


@case(
    "order_lines_procurement_to_inventory",
    """
    {
      purchaseOrders {
        orderNo
        lines { quantity unitPrice { amount } item { sku name warehouse stock inStock } }
      }
    }
    """,
)
def _() -> dict[str, Any]:
    return {
        "purchaseOrders": [
            {
                "orderNo": o.order_no,
                "lines": [
                    {
                        "quantity": line.quantity,
                        "unitPrice": {"amount": money_amount(line.unit_price)},
                        "item": {
                            "sku": line.sku,
                            "name": item(line.sku).name,
                            "warehouse": item(line.sku).warehouse,
                            "stock": item(line.sku).stock,
                            "inStock": item(line.sku).stock > 0,
                        },
                    }
                    for line in o.lines
                ],
            }
            for o in PROCUREMENT.orders[:20]  # the default of `first`
        ]
    }


@case(
    "reorder_needed_requires_stock_from_inventory",
    "{ purchaseOrders(first: 30) { orderNo lines { item { sku reorderNeeded } } } }",
)
def _() -> dict[str, Any]:
    # the client does not ask for stock: the gateway fetches it for @requires, shows it not
    return {
        "purchaseOrders": [
            {
                "orderNo": o.order_no,
                "lines": [
                    {"item": {"sku": line.sku, "reorderNeeded": reorder_needed(line.sku)}}
                    for line in o.lines
                ],
            }
            for o in PROCUREMENT.orders
        ]
    }


@case(
    "reorder_needed_from_inventory_root",
    "{ items(first: 40) { name reorderNeeded stock } }",
)
def _() -> dict[str, Any]:
    return {
        "items": [
            {"name": i.name, "reorderNeeded": i.stock < REORDER_POINT, "stock": i.stock}
            for i in INVENTORY.items
        ]
    }


@case(
    "nested_lists_across_three_subgraphs",
    """
    {
      departments {
        code
        members {
          employeeNo
          purchaseOrders { orderNo lines { quantity item { name inStock } } }
        }
      }
    }
    """,
)
def _() -> dict[str, Any]:
    return {
        "departments": [
            {
                "code": d.code,
                "members": [
                    {
                        "employeeNo": e.employee_no,
                        "purchaseOrders": [
                            {
                                "orderNo": o.order_no,
                                "lines": [
                                    {
                                        "quantity": line.quantity,
                                        "item": {
                                            "name": item(line.sku).name,
                                            "inStock": item(line.sku).stock > 0,
                                        },
                                    }
                                    for line in o.lines
                                ],
                            }
                            for o in PROCUREMENT.orders_requested_by(e.id)
                        ],
                    }
                    for e in PEOPLE.members(d.id)
                ],
            }
            for d in PEOPLE.departments
        ]
    }


@case(
    "round_trip_people_procurement_people",
    """
    {
      employees(first: 50) {
        id
        purchaseOrders { orderNo requestedBy { name department { name } } }
      }
    }
    """,
)
def _() -> dict[str, Any]:
    return {
        "employees": [
            {
                "id": e.id,
                "purchaseOrders": [
                    {
                        "orderNo": o.order_no,
                        "requestedBy": {
                            "name": e.name,
                            "department": {"name": department_of(e)["name"]},
                        },
                    }
                    for o in PROCUREMENT.orders_requested_by(e.id)
                ],
            }
            for e in PEOPLE.employees
        ]
    }


@case(
    "aliases_keep_their_keys_and_order",
    """
    query ($other: ID!) {
      few: items(first: 2) { code: sku }
      boss: employee(id: $other) {
        fullName: name
        orders: purchaseOrders { number: orderNo total { value: amount } }
        name: email
      }
      more: items(first: 4) { label: name code: sku level: stock }
      requester: employee(id: $other) { fullName: name }
    }
    """,
    {"other": REQUESTER.id},
)
def _() -> dict[str, Any]:
    return {
        "few": [{"code": i.sku} for i in INVENTORY.items[:2]],
        "boss": {
            "fullName": REQUESTER.name,
            "orders": [
                {"number": o.order_no, "total": {"value": money_amount(o.total)}}
                for o in PROCUREMENT.orders_requested_by(REQUESTER.id)
            ],
            "name": REQUESTER.email,
        },
        "more": [{"label": i.name, "code": i.sku, "level": i.stock} for i in INVENTORY.items[:4]],
        "requester": {"fullName": REQUESTER.name},
    }


@case(
    "aliases_named_like_the_keys_and_requires_the_gateway_needs",
    """
    {
      purchaseOrders(first: 8) {
        id: orderNo
        requestedBy { id: name }
        lines { item { sku: name stock: warehouse reorderNeeded } }
      }
    }
    """,
)
def _() -> dict[str, Any]:
    # the entity jumps need the real id, sku and stock under those very response keys
    return {
        "purchaseOrders": [
            {
                "id": o.order_no,
                "requestedBy": {"id": employee(o.requested_by).name},
                "lines": [
                    {
                        "item": {
                            "sku": item(line.sku).name,
                            "stock": item(line.sku).warehouse,
                            "reorderNeeded": reorder_needed(line.sku),
                        }
                    }
                    for line in o.lines
                ],
            }
            for o in PROCUREMENT.orders[:8]
        ]
    }


@case(
    "named_and_inline_fragments_across_subgraphs",
    """
    query ($id: ID!) {
      purchaseOrder(id: $id) {
        ...OrderFields
        requestedBy { ...Person name }
        lines { ... on OrderLine { quantity } item { ...Stock } }
      }
    }
    fragment OrderFields on PurchaseOrder { orderNo status }
    fragment Person on Employee { name ...Dept }
    fragment Dept on Employee { department { name } purchaseOrders { orderNo } }
    fragment Stock on Item { sku ... { stock reorderNeeded } }
    """,
    {"id": BIG_ORDER.id},
)
def _() -> dict[str, Any]:
    requester = employee(BIG_ORDER.requested_by)
    return {
        "purchaseOrder": {
            "orderNo": BIG_ORDER.order_no,
            "status": BIG_ORDER.status,
            "requestedBy": {
                "name": requester.name,
                "department": {"name": department_of(requester)["name"]},
                "purchaseOrders": [
                    {"orderNo": o.order_no} for o in PROCUREMENT.orders_requested_by(requester.id)
                ],
            },
            "lines": [
                {
                    "quantity": line.quantity,
                    "item": {
                        "sku": line.sku,
                        "stock": item(line.sku).stock,
                        "reorderNeeded": reorder_needed(line.sku),
                    },
                }
                for line in BIG_ORDER.lines
            ],
        }
    }


DEFAULTS = """
query Orders($first: Int = 3, $withLines: Boolean = false) {
  purchaseOrders(first: $first) {
    orderNo
    lines @include(if: $withLines) { item { sku } }
  }
}
"""


@case("variable_defaults_apply", DEFAULTS)
def _() -> dict[str, Any]:
    return {"purchaseOrders": [{"orderNo": o.order_no} for o in PROCUREMENT.orders[:3]]}


@case("variables_override_defaults", DEFAULTS, {"first": 2, "withLines": True})
def _() -> dict[str, Any]:
    return {
        "purchaseOrders": [
            {"orderNo": o.order_no, "lines": [{"item": {"sku": line.sku}} for line in o.lines]}
            for o in PROCUREMENT.orders[:2]
        ]
    }


SKIP_INCLUDE = """
query ($id: ID!, $skipOrders: Boolean!, $withDepartment: Boolean!) {
  employee(id: $id) {
    name
    purchaseOrders @skip(if: $skipOrders) { orderNo lines { item { name } } }
    ... @include(if: $withDepartment) { department { code } }
    email @skip(if: true)
    title @include(if: false)
    employeeNo @include(if: true) @skip(if: false)
  }
}
"""


@case(
    "skip_and_include_cross_subgraph_fields",
    SKIP_INCLUDE,
    {"id": REQUESTER.id, "skipOrders": True, "withDepartment": True},
)
def _() -> dict[str, Any]:
    return {
        "employee": {
            "name": REQUESTER.name,
            "department": {"code": department_of(REQUESTER)["code"]},
            "employeeNo": REQUESTER.employee_no,
        }
    }


@case(
    "skip_and_include_the_other_way",
    SKIP_INCLUDE,
    {"id": REQUESTER.id, "skipOrders": False, "withDepartment": False},
)
def _() -> dict[str, Any]:
    return {
        "employee": {
            "name": REQUESTER.name,
            "purchaseOrders": [
                {
                    "orderNo": o.order_no,
                    "lines": [{"item": {"name": item(line.sku).name}} for line in o.lines],
                }
                for o in PROCUREMENT.orders_requested_by(REQUESTER.id)
            ],
            "employeeNo": REQUESTER.employee_no,
        }
    }


@case(
    "typename_at_every_level",
    """
    {
      __typename
      purchaseOrders(first: 3) {
        __typename
        requestedBy { __typename name }
        lines { __typename item { kind: __typename sku reorderNeeded } }
        total { __typename }
      }
    }
    """,
)
def _() -> dict[str, Any]:
    return {
        "__typename": "Query",
        "purchaseOrders": [
            {
                "__typename": "PurchaseOrder",
                "requestedBy": {"__typename": "Employee", "name": employee(o.requested_by).name},
                "lines": [
                    {
                        "__typename": "OrderLine",
                        "item": {
                            "kind": "Item",
                            "sku": line.sku,
                            "reorderNeeded": reorder_needed(line.sku),
                        },
                    }
                    for line in o.lines
                ],
                "total": {"__typename": "Money"},
            }
            for o in PROCUREMENT.orders[:3]
        ],
    }


@case(
    "operation_name_picks_one_of_several",
    """
    query People { employees(first: 1) { name } }
    query Stock { items(first: 1) { sku } }
    """,
    operation_name="Stock",
)
def _() -> dict[str, Any]:
    return {"items": [{"sku": INVENTORY.items[0].sku}]}


LONELY = next(e for e in PEOPLE.employees if not PROCUREMENT.orders_requested_by(e.id))
"""An employee who requested no order."""


@case(
    "unknown_ids_are_null_without_errors",
    """
    query ($lonely: ID!) {
      employee(id: "emp-999") { name purchaseOrders { orderNo } }
      purchaseOrder(id: "po-9999") { orderNo }
      lonely: employee(id: $lonely) { name purchaseOrders { orderNo } }
    }
    """,
    {"lonely": LONELY.id},
)
def _() -> dict[str, Any]:
    return {
        "employee": None,
        "purchaseOrder": None,
        "lonely": {"name": LONELY.name, "purchaseOrders": []},
    }
