"""Rules about the caller's own record (relation subjects, ``p, employee@self, ...`` in the
default policy): an employee reads their own ID-card number, phone and salary in plaintext,
everyone else's as the rest of the policy says; decided per object, in lists too; an outright
deny overrides."""

from __future__ import annotations

from pathlib import Path

from gateway.crypto.audit import ReadFilter
from tests.crypto.stack import PEOPLE, Stack, seeded_id_card, seeded_phone, seeded_salary

LIST = "{ employees(first: 50) { edges { node { id phone idCardNumber } } } }"
REWRITTEN = {"emp-010", "emp-012", "emp-013"}  # phones other tests of this folder change


def test_an_employee_reads_their_own_record_in_plaintext_and_others_as_before(
    stack: Stack,
) -> None:
    me = PEOPLE["employee"]  # emp-031
    response = stack.execute("employee", LIST)
    people = {e["node"]["id"]: e["node"] for e in response["data"]["employees"]["edges"]}
    assert people["emp-031"] == {
        "id": "emp-031",
        "phone": seeded_phone(31),
        "idCardNumber": seeded_id_card(31),
    }
    for employee, node in people.items():
        if employee == "emp-031":
            continue
        if employee not in REWRITTEN:
            phone = seeded_phone(int(employee[4:]))
            assert node["phone"] == "*" * (len(phone) - 4) + phone[-4:]
        assert node["idCardNumber"] is None
    errors = response["errors"]
    assert len(errors) == len(people) - 1
    assert {e["extensions"]["code"] for e in errors} == {"FORBIDDEN"}
    assert {e["path"][-1] for e in errors} == {"idCardNumber"}

    audit = stack.crypto.audit if stack.crypto else None
    assert audit is not None
    rows = stack.run(audit.query(ReadFilter(subject=me.subject), 10))
    assert {(r.coordinate, r.entity_id, r.rule) for r in rows[:2]} == {
        ("Employee.phone", "emp-031", "employee@self, *, Employee.phone, read_plain, allow"),
        (
            "Employee.idCardNumber",
            "emp-031",
            "employee@self, *, Employee.idCardNumber, read_plain, allow",
        ),
    }


def test_own_record_through_me_and_a_colleague_by_id(stack: Stack) -> None:
    mine = stack.execute("employee", "{ me { idCardNumber salary { amount currency } } }")
    assert mine == {
        "data": {
            "me": {
                "idCardNumber": seeded_id_card(31),
                "salary": {"amount": seeded_salary("emp-031"), "currency": "CNY"},
            }
        }
    }
    other = stack.execute(
        "employee", '{ employee(id: "emp-032") { idCardNumber salary { amount } } }'
    )
    assert other["data"] == {"employee": {"idCardNumber": None, "salary": None}}
    assert [e["extensions"]["code"] for e in other["errors"]] == ["FORBIDDEN", "FORBIDDEN"]


def test_a_deny_overrides_the_own_record_grant(stack: Stack, tmp_path: Path) -> None:
    gateway = stack.gateway_with(
        "p, integrator, *, Employee.idCardNumber, read_plain, deny\n", tmp_path
    )
    integrator = PEOPLE["integrator"]  # emp-015: an employee, denied read_plain outright
    response = stack.run(gateway.execute("{ me { phone idCardNumber } }", principal=integrator))
    assert response["data"] == {"me": {"phone": seeded_phone(15), "idCardNumber": None}}
    assert [e["extensions"]["code"] for e in response["errors"]] == ["FORBIDDEN"]
