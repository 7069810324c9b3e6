"""Every demo role against every encrypted field, through the gateway with the real subgraphs
and the default policy (``policies/policy.csv``): plaintext, mask or null with ``FORBIDDEN``;
an audit row for each plaintext and none for a mask."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.crypto.audit import PlaintextRead, ReadFilter
from subgraphs.erp.seed import CUSTOMERS, SUPPLIERS
from tests.crypto.stack import PEOPLE, Stack, seeded_id_card, seeded_phone, seeded_salary

QUERY = """
query Sensitive($id: ID!, $supplier: ID!, $customer: ID!) {
  employee(id: $id) { id name phone idCardNumber salary { amount currency } }
  supplier(id: $supplier) { bankAccount }
  customer(id: $customer) { phone }
}
"""
PLAIN, MASKED, FORBIDDEN = "plain", "masked", "FORBIDDEN"
COLUMNS = ("Employee.phone", "Employee.idCardNumber", "Employee.salary",
           "Supplier.bankAccount", "Customer.phone")  # fmt: skip
MATRIX = {  # role -> what it gets of each column, as policies/policy.csv says
    "employee": (MASKED, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "finance": (MASKED, FORBIDDEN, PLAIN, PLAIN, FORBIDDEN),
    "hr": (PLAIN, PLAIN, MASKED, FORBIDDEN, FORBIDDEN),
    "procurement": (MASKED, FORBIDDEN, FORBIDDEN, MASKED, FORBIDDEN),
    "sales": (MASKED, FORBIDDEN, FORBIDDEN, FORBIDDEN, MASKED),
    "auditor": (MASKED, MASKED, MASKED, MASKED, MASKED),
    "integrator": (MASKED, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),  # never bank accounts
}
PLAINTEXTS = {
    "Employee.phone": seeded_phone(2),
    "Employee.idCardNumber": seeded_id_card(2),
    "Employee.salary": {"amount": seeded_salary("emp-002"), "currency": "CNY"},
    "Supplier.bankAccount": SUPPLIERS[0][4],
    "Customer.phone": CUSTOMERS[0][2],
}
MASKS = {
    "Employee.phone": "*" * (len(seeded_phone(2)) - 4) + seeded_phone(2)[-4:],
    "Employee.idCardNumber": "*" * 14 + seeded_id_card(2)[-4:],
    "Employee.salary": {"amount": "****", "currency": "****"},
    "Supplier.bankAccount": "*" * 15 + SUPPLIERS[0][4][-4:],
    "Customer.phone": "*" * 9 + CUSTOMERS[0][2][-4:],
}
ENTITIES = {"Employee": "emp-002", "Supplier": SUPPLIERS[0][0], "Customer": CUSTOMERS[0][0]}


def cells(response: dict[str, Any]) -> dict[str, Any]:
    """Column -> the value the caller got, or the code of the error at its path."""
    data = response["data"]
    where = {
        "Employee.phone": ["employee", "phone"],
        "Employee.idCardNumber": ["employee", "idCardNumber"],
        "Employee.salary": ["employee", "salary"],
        "Supplier.bankAccount": ["supplier", "bankAccount"],
        "Customer.phone": ["customer", "phone"],
    }
    codes = {tuple(e["path"]): e["extensions"]["code"] for e in response.get("errors", [])}
    found: dict[str, Any] = {}
    for column, path in where.items():
        value: Any = data
        for step in path:
            value = value[step] if value is not None else None
        if value is None and tuple(path) in codes:
            value = codes[tuple(path)]
        found[column] = value
    return found


def newer(after: list[PlaintextRead], before: list[PlaintextRead]) -> list[PlaintextRead]:
    """The rows of ``after`` that ``before`` did not have (both the newest first, and capped:
    other tests may have left more rows than either holds)."""
    seen = {read.id for read in before}
    return [read for read in after if read.id not in seen]


def expected(role: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for column, kind in zip(COLUMNS, MATRIX[role], strict=True):
        result[column] = {PLAIN: PLAINTEXTS, MASKED: MASKS}.get(kind, {}).get(column, kind)
    return result


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_each_role_gets_what_the_default_policy_says(stack: Stack, role: str) -> None:
    audit = stack.crypto.audit if stack.crypto else None
    assert audit is not None
    before = stack.run(audit.query(ReadFilter(subject=PEOPLE[role].subject), 1000))

    response = stack.execute(
        role,
        QUERY,
        {"id": ENTITIES["Employee"], "supplier": ENTITIES["Supplier"],
         "customer": ENTITIES["Customer"]},
    )  # fmt: skip

    assert cells(response) == expected(role)
    for error in response.get("errors", []):
        assert error["extensions"]["code"] == FORBIDDEN, error
    after = stack.run(audit.query(ReadFilter(subject=PEOPLE[role].subject), 1000))
    new = newer(after, before)
    plain_columns = {c for c, kind in zip(COLUMNS, MATRIX[role], strict=True) if kind == PLAIN}
    # every plaintext returned has its row: who, which field of which object, the rule, the key
    read = {(r.coordinate, r.entity_id) for r in new}
    returned = {(c, ENTITIES[c.split(".")[0]]) for c in plain_columns}
    assert returned <= read
    # and nothing but plaintexts is audited
    assert {r.coordinate for r in new} == plain_columns
    for row in new:
        assert row.subject == PEOPLE[role].subject
        assert row.rule.startswith(f"{role}, *, {row.coordinate}, read_plain, allow")
        assert row.key_id == stack.stored_kid(row.coordinate, row.entity_id)


def test_a_field_readable_in_no_form_is_never_fetched(stack: Stack, tmp_path: Path) -> None:
    """``read`` alone (no read_plain, no read_masked, no relation grant): null, FORBIDDEN,
    and the subgraph is not asked for it."""
    gateway = stack.gateway_with("p, production, *, Customer.*, read, allow\n", tmp_path)
    sent = len(stack.transport.sent)
    response = stack.run(
        gateway.execute(
            "{ customers { edges { node { id phone } } } }", principal=PEOPLE["employee"]
        )
    )
    nodes = [e["node"] for e in response["data"]["customers"]["edges"]]
    assert nodes and all(n["phone"] is None and n["id"] for n in nodes)
    assert {e["extensions"]["code"] for e in response["errors"]} == {"FORBIDDEN"}
    assert response["errors"][0]["message"] == "Not allowed to read_plain Customer.phone."
    queries = " ".join(r.query for r in stack.transport.sent[sent:])
    assert "phone" not in queries and "customers" in queries


def test_masked_values_are_never_logged_as_read(stack: Stack) -> None:
    audit = stack.crypto.audit if stack.crypto else None
    assert audit is not None
    before = stack.run(audit.query(ReadFilter(), 10_000))
    response = stack.execute("auditor", "{ employees(first: 50) { edges { node { id phone } } } }")
    assert "errors" not in response
    phones = {e["node"]["id"]: e["node"]["phone"] for e in response["data"]["employees"]["edges"]}
    mine = phones.pop(PEOPLE["auditor"].subject)  # employee@self: their own in plaintext
    assert not mine.startswith("*") and all(p.startswith("****") for p in phones.values())
    after = stack.run(audit.query(ReadFilter(), 10_000))
    assert [(r.coordinate, r.entity_id) for r in newer(after, before)] == [
        ("Employee.phone", PEOPLE["auditor"].subject)
    ]
