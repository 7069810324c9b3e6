"""A ``pg_dump`` of the OA, ERP and audit databases holds none of the encrypted fields'
plaintexts: the demo data's, those this test writes through the API (one of each encrypted
field, so the check means the same whichever tests ran before it), and those other tests of
this folder wrote (``WRITTEN``) if they ran first. The name is historical: the order of the
tests does not matter."""

from __future__ import annotations

from subgraphs.erp.seed import SUPPLIERS
from tests.crypto.conftest import WRITTEN
from tests.crypto.stack import Stack, demo_plaintexts, seeded_salary
from tests.crypto.test_writes_and_search import NEW_ID_CARD, NEW_PHONE, UPDATE

# the same values the writing tests set on the same employees: their assertions hold either way
SALARY = {"amount": "31415.92", "currency": "CNY"}
ACCOUNT = "6222 0755 8765 4321"
CUSTOMER_PHONE = "0755-7777-0456"


def write_one_of_each(stack: Stack) -> list[str]:
    """Write every kind of encrypted field through the gateway; the plaintexts written."""
    written = stack.execute(
        "hr", UPDATE, {"id": "emp-010", "phone": NEW_PHONE, "card": NEW_ID_CARD}
    )
    assert "errors" not in written, written
    salary = stack.execute(
        "finance",
        'mutation ($s: MoneyInput!) { setSalary(employeeId: "emp-011", salary: $s) { id } }',
        {"s": SALARY},
    )
    assert "errors" not in salary, salary
    supplier = stack.execute(
        "procurement",
        "mutation ($i: CreateSupplierInput!) { createSupplier(input: $i) { id } }",
        {"i": {"name": "Dump Check Parts", "contact": "Mr Wu", "bankAccount": ACCOUNT}},
    )
    assert "errors" not in supplier, supplier
    customer = stack.execute(
        "sales",
        "mutation ($i: CreateCustomerInput!) { createCustomer(input: $i) { phone } }",
        {"i": {"name": "Dump Check Mart", "phone": CUSTOMER_PHONE,
               "creditLimit": {"amount": "1000"}}},
    )  # fmt: skip
    assert "errors" not in customer, customer
    return [NEW_PHONE, NEW_ID_CARD, '{"amount":"31415.92","currency":"CNY"}', ACCOUNT,
            CUSTOMER_PHONE]  # fmt: skip


def test_the_databases_hold_no_plaintext_of_an_encrypted_field(stack: Stack) -> None:
    mine = write_one_of_each(stack)
    dump = stack.dump()
    assert SUPPLIERS[0][1] in dump and "Dump Check Parts" in dump  # the dump has the data
    assert dump.count("\tt1.k") > 150  # ... and the envelopes
    plaintexts = [*demo_plaintexts(), *mine, *WRITTEN]
    plaintexts += [f"{seeded_salary(f'emp-{n:03d}')} CNY" for n in range(1, 51)]  # old form
    assert len(plaintexts) > 200
    found = [value for value in plaintexts if value in dump]
    assert found == []
    digits = [value.replace(" ", "") for value in plaintexts if value[:1].isdigit()]
    assert [value for value in digits if value in dump.replace(" ", "")] == []
