"""Writing encrypted fields (checked, then sealed by the subgraph; plaintext only as variables)
and finding an employee by ID-card number through the blind index (only callers who may read
the field in plaintext)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import OperationError
from tandem_shared.crypto import index_form
from tandem_shared.crypto_orm import field_keys
from tests.crypto.conftest import WRITTEN
from tests.crypto.stack import Stack

NEW_ID_CARD = "11010519491231002X"
NEW_PHONE = "+86 137 2468 1357"
UPDATE = """
mutation Update($id: ID!, $phone: String, $card: String) {
  updateEmployeeIdentity(id: $id, phone: $phone, idCardNumber: $card) { id phone idCardNumber }
}
"""
SEARCH = """
query Find($card: String!) { employeeByIdCardNumber(idCardNumber: $card) { id name } }
"""


def _codes(response: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in response.get("errors", [])]


def test_hr_sets_identity_fields_which_are_stored_sealed_and_indexed(stack: Stack) -> None:
    WRITTEN.extend([NEW_ID_CARD, NEW_PHONE])
    response = stack.execute(
        "hr", UPDATE, {"id": "emp-010", "phone": NEW_PHONE, "card": NEW_ID_CARD.lower()}
    )
    assert response == {
        "data": {
            "updateEmployeeIdentity": {
                "id": "emp-010",
                "phone": NEW_PHONE,
                "idCardNumber": NEW_ID_CARD,  # stored in its checked form
            }
        }
    }
    (row,) = stack.sql(
        "oa", "SELECT phone, id_card_number, id_card_number_bidx FROM oa_employees WHERE id = $1",
        "emp-010",
    )  # fmt: skip
    assert row[0].startswith("t1.") and row[1].startswith("t1.")
    assert NEW_PHONE not in row[0] and NEW_ID_CARD not in row[1]
    token = field_keys().index.token("Employee.idCardNumber", index_form(NEW_ID_CARD))
    assert row[2] == token


def test_plaintext_goes_to_the_subgraph_as_variables_only(stack: Stack) -> None:
    sent = len(stack.transport.sent)
    stack.execute("hr", UPDATE, {"id": "emp-010", "phone": NEW_PHONE})
    requests = stack.transport.sent[sent:]
    assert requests and all(NEW_PHONE not in r.query for r in requests)


def test_a_literal_plaintext_in_the_document_is_refused_without_echoing_it(stack: Stack) -> None:
    for query in (
        'mutation { updateEmployeeIdentity(id: "emp-010", phone: "+86 137 0000 9999") { id } }',
        'mutation { createSupplier(input: {name: "X", contact: "Y", '
        'bankAccount: "6222 9999 9999 9999"}) { id } }',
        'query ($c: String! = "11010519491231002X") '
        "{ employeeByIdCardNumber(idCardNumber: $c) { id } }",
    ):
        try:
            stack.execute("hr", query)
        except Exception as error:  # OperationError, before anything is cached or sent
            message = getattr(error, "message", str(error))
            assert getattr(error, "code", "") == "GRAPHQL_VALIDATION_FAILED", message
            assert "pass it as a variable" in message or "no default value" in message
            assert "9999" not in message and "11010519491231002X" not in message
        else:
            raise AssertionError(f"not refused: {query}")


def test_a_malformed_value_is_refused_and_not_repeated(stack: Stack) -> None:
    bad = "310101197002020014"  # wrong check character
    response = stack.execute("hr", UPDATE, {"id": "emp-010", "card": bad})
    assert _codes(response) == ["BAD_USER_INPUT"]
    assert bad not in str(response)


def test_only_hr_writes_identity_fields(stack: Stack) -> None:
    """Refused before it runs: the mutation's root field is denied (nothing written)."""
    sent = len(stack.transport.sent)
    with pytest.raises(OperationError) as refused:
        stack.execute("employee", UPDATE, {"id": "emp-031", "phone": "+86 137 0000 0001"})
    assert refused.value.code == "FORBIDDEN"
    assert refused.value.extensions["coordinates"] == ["Mutation.updateEmployeeIdentity"]
    assert len(stack.transport.sent) == sent  # the subgraph was never asked


def test_hr_finds_an_employee_by_id_card_number(stack: Stack) -> None:
    stack.execute("hr", UPDATE, {"id": "emp-010", "card": NEW_ID_CARD})
    for form in (NEW_ID_CARD, NEW_ID_CARD.lower(), "110105 19491231 002X"):
        response = stack.execute("hr", SEARCH, {"card": form})
        assert response["data"]["employeeByIdCardNumber"]["id"] == "emp-010", response
    missing = stack.execute("hr", SEARCH, {"card": "110105194912310031"})
    assert missing == {"data": {"employeeByIdCardNumber": None}}


def test_searching_needs_plaintext_access_to_the_field(stack: Stack) -> None:
    for role in ("employee", "auditor", "finance"):
        sent = len(stack.transport.sent)
        response = stack.execute(role, SEARCH, {"card": NEW_ID_CARD})
        assert response["data"] == {"employeeByIdCardNumber": None}
        (error,) = response["errors"]
        assert error["extensions"] == {
            "code": "FORBIDDEN",
            "coordinate": "Employee.idCardNumber",
        }
        assert error["message"] == "Not allowed to search by Employee.idCardNumber."
        assert len(stack.transport.sent) == sent  # the subgraph was never asked


def test_finance_sets_a_salary_that_hr_sees_masked_and_others_not_at_all(stack: Stack) -> None:
    WRITTEN.append('{"amount":"31415.92","currency":"CNY"}')
    set_salary = """
    mutation ($id: ID!, $s: MoneyInput!) {
      setSalary(employeeId: $id, salary: $s) { id salary { amount currency } }
    }"""
    response = stack.execute(
        "finance", set_salary, {"id": "emp-011", "s": {"amount": "31415.92", "currency": "CNY"}}
    )
    assert response == {
        "data": {
            "setSalary": {"id": "emp-011", "salary": {"amount": "31415.92", "currency": "CNY"}}
        }
    }
    assert "31415" not in str(stack.stored("Employee.salary", "emp-011"))
    hr = stack.execute("hr", '{ employee(id: "emp-011") { salary { amount } } }')
    assert hr == {"data": {"employee": {"salary": {"amount": "****"}}}}
    sales = stack.execute("sales", '{ employee(id: "emp-011") { salary { amount } } }')
    assert sales["data"] == {"employee": {"salary": None}}
    assert _codes(sales) == ["FORBIDDEN"]


def test_procurement_adds_a_supplier_whose_account_it_sees_masked(stack: Stack) -> None:
    account = "6222 0755 1234 5678"
    WRITTEN.append(account)
    create = """
    mutation ($input: CreateSupplierInput!) { createSupplier(input: $input) { id bankAccount } }
    """
    created = stack.execute(
        "procurement",
        create,
        {"input": {"name": "Shenzhen Parts", "contact": "Ms Lin", "bankAccount": account}},
    )
    supplier = created["data"]["createSupplier"]
    assert supplier["bankAccount"] == "***************5678"
    stored = stack.stored("Supplier.bankAccount", supplier["id"])
    assert stored is not None and "5678" not in stored
    finance = stack.execute(
        "finance", "query ($id: ID!) { supplier(id: $id) { bankAccount } }", {"id": supplier["id"]}
    )
    assert finance["data"] == {"supplier": {"bankAccount": account}}


def test_sales_adds_a_customer_whose_phone_it_sees_masked(stack: Stack) -> None:
    phone = "0755-8888-0123"
    WRITTEN.append(phone)
    create = """
    mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { phone } }
    """
    created = stack.execute(
        "sales",
        create,
        {"input": {"name": "Shenzhen Mart", "phone": phone, "creditLimit": {"amount": "1000"}}},
    )
    assert created == {"data": {"createCustomer": {"phone": "**********0123"}}}


def test_the_gateways_response_keys_are_not_for_clients(stack: Stack) -> None:
    query = '{ employee(id: "emp-002") { _tandem_entity_key: employeeNo phone } }'
    try:
        stack.execute("hr", query)
    except Exception as error:
        assert getattr(error, "code", "") == "GRAPHQL_VALIDATION_FAILED"
        assert "reserved" in getattr(error, "message", "")
    else:
        raise AssertionError("a client alias stood in for the entity key")
