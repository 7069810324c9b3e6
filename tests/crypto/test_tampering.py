"""A tampered or moved envelope in the database gives DECRYPTION_FAILED at the field's path:
never another row's value, never the wrong data. The rest of the response is unharmed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.crypto.stack import STORAGE, Stack, seeded_id_card, seeded_phone, seeded_salary

LIST = """
{ employees(first: 50) { edges { node { id phone idCardNumber } } } }
"""


@contextmanager
def stored(stack: Stack, coordinate: str, changes: dict[str, str]) -> Iterator[None]:
    """Overwrite stored envelopes (entity id -> text) for the block; put the originals back."""
    database, table, column, key = STORAGE[coordinate]
    originals = {entity: stack.stored(coordinate, entity) for entity in changes}
    update = f"UPDATE {table} SET {column} = $1 WHERE {key} = $2"
    try:
        for entity, text in changes.items():
            stack.sql(database, update, text, entity)
        yield
    finally:
        for entity, text in originals.items():
            stack.sql(database, update, text, entity)


def _by_id(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["node"]["id"]: e["node"] for e in response["data"]["employees"]["edges"]}


def _errors(response: dict[str, Any]) -> dict[tuple[Any, ...], str]:
    return {tuple(e["path"]): e["extensions"]["code"] for e in response.get("errors", [])}


def _flip(envelope: str, part: int) -> str:
    parts = envelope.split(".")
    text = parts[part]
    middle = len(text) // 2
    parts[part] = text[:middle] + ("A" if text[middle] != "A" else "B") + text[middle + 1 :]
    return ".".join(parts)


def test_swapped_id_card_numbers_fail_instead_of_showing_each_other(stack: Stack) -> None:
    first = stack.stored("Employee.idCardNumber", "emp-041")
    second = stack.stored("Employee.idCardNumber", "emp-042")
    assert first and second
    with stored(stack, "Employee.idCardNumber", {"emp-041": second, "emp-042": first}):
        response = stack.execute("hr", LIST)
    people = _by_id(response)
    assert people["emp-041"]["idCardNumber"] is None
    assert people["emp-042"]["idCardNumber"] is None
    assert people["emp-043"]["idCardNumber"] == seeded_id_card(43)  # others unharmed
    assert people["emp-041"]["phone"] == seeded_phone(41)
    errors = _errors(response)
    index = {node_id: i for i, node_id in enumerate(people)}
    for employee in ("emp-041", "emp-042"):
        path = ("employees", "edges", index[employee], "node", "idCardNumber")
        assert errors[path] == "DECRYPTION_FAILED"
    assert len(errors) == 2
    messages = [e["message"] for e in response["errors"]]
    assert messages == ["Cannot decrypt Employee.idCardNumber."] * 2


def test_an_envelope_moved_to_another_field_of_the_row_fails(stack: Stack) -> None:
    phone = stack.stored("Employee.phone", "emp-044")
    assert phone
    with stored(stack, "Employee.idCardNumber", {"emp-044": phone}):
        response = stack.execute("hr", '{ employee(id: "emp-044") { phone idCardNumber } }')
    assert response["data"] == {"employee": {"phone": seeded_phone(44), "idCardNumber": None}}
    assert _errors(response) == {("employee", "idCardNumber"): "DECRYPTION_FAILED"}


def test_a_salary_moved_to_another_employee_fails(stack: Stack) -> None:
    moved = stack.stored("Employee.salary", "emp-045")
    with stored(stack, "Employee.salary", {"emp-046": str(moved)}):
        response = stack.execute(
            "finance",
            '{ a: employee(id: "emp-045") { salary { amount } } '
            'b: employee(id: "emp-046") { salary { amount currency } } }',
        )
    assert response["data"] == {
        "a": {"salary": {"amount": seeded_salary("emp-045")}},
        "b": {"salary": None},
    }
    assert _errors(response) == {("b", "salary"): "DECRYPTION_FAILED"}


def test_any_tampered_part_fails(stack: Stack) -> None:
    original = stack.stored("Employee.phone", "emp-047")
    assert original
    for part in (2, 3, 4):  # sealed data key, nonce, ciphertext
        with stored(stack, "Employee.phone", {"emp-047": _flip(original, part)}):
            response = stack.execute("hr", '{ employee(id: "emp-047") { phone name } }')
        assert response["data"]["employee"]["phone"] is None
        assert response["data"]["employee"]["name"]
        assert _errors(response) == {("employee", "phone"): "DECRYPTION_FAILED"}


def test_plain_text_where_an_envelope_belongs_is_not_shown(stack: Stack) -> None:
    with stored(stack, "Supplier.bankAccount", {"sup-02": "6222 0200 0000 0102"}):
        response = stack.execute("finance", '{ supplier(id: "sup-02") { bankAccount } }')
    assert response["data"] == {"supplier": {"bankAccount": None}}
    assert _errors(response) == {("supplier", "bankAccount"): "DECRYPTION_FAILED"}


def test_a_masked_reader_is_protected_as_well(stack: Stack) -> None:
    """A mask is computed from a verified plaintext only: a swap gives no mask of the wrong
    value either."""
    first = stack.stored("Customer.phone", "cus-01")
    second = stack.stored("Customer.phone", "cus-02")
    with stored(stack, "Customer.phone", {"cus-01": str(second), "cus-02": str(first)}):
        response = stack.execute("sales", "{ customers { edges { node { id phone } } } }")
    phones = {e["node"]["id"]: e["node"]["phone"] for e in response["data"]["customers"]["edges"]}
    assert phones["cus-01"] is None and phones["cus-02"] is None
    assert phones["cus-03"] == "*********0003"
    assert sorted(set(_errors(response).values())) == ["DECRYPTION_FAILED"]
