"""People upkeep through the gateway, OA and ERP as processes, on PostgreSQL and SQLite (issue
16, item 4): HR hires someone who can then sign in; a transfer reaches the ERP's copy through
the event stream, each change applied once; deactivation shuts the door in both subgraphs and
hands the person's pending approval to their manager (history entry, message); nobody but HR
changes people.

Every test makes its own people and department, so the demo company the other tests use stays
as it is."""

from __future__ import annotations

import uuid
from typing import Any

from subgraphs.erp.store.base import current_period
from tests.e2e.flows import item, messages, submit_purchase
from tests.e2e.sqlite_stack import run_sql
from tests.e2e.stack import Stack, eventually

HR = "emp-020"  # Human Resources, role hr
PRODUCTION_HEAD = "emp-029"
EMPLOYEE = "id employeeNo active department { id } manager { id }"
CREATE = f"""
mutation ($input: CreateEmployeeInput!) {{ createEmployee(input: $input) {{ {EMPLOYEE} }} }}"""
TRANSFER = f"""
mutation ($id: ID!, $to: ID!) {{ transferEmployee(id: $id, departmentId: $to) {{ {EMPLOYEE} }} }}"""
DEACTIVATE = f"mutation ($id: ID!) {{ deactivateEmployee(id: $id) {{ {EMPLOYEE} }} }}"
CREATE_DEPARTMENT = """
mutation ($input: CreateDepartmentInput!) { createDepartment(input: $input) { id } }"""
APPOINT = """
mutation ($id: ID!, $manager: ID!) {
  updateDepartment(id: $id, input: {managerId: $manager}) { manager { id } }
}"""
COST_CENTER = "{ me { id employeeNo department { id } costCenter { id } } }"
REQUEST = """
query ($id: ID!) {
  approvalRequest(id: $id) {
    status currentStep { approver { id } } history { action actor { id } toEmployee { id } }
  }
}"""
APPROVE = "mutation ($id: ID!) { approve(id: $id) { status } }"


def hire(stack: Stack, name: str, department: str, manager: str | None = None) -> dict[str, Any]:
    """A new employee made by HR through the gateway (a unique e-mail address each time)."""
    tag = uuid.uuid4().hex[:8]
    given = {"name": name, "email": f"{tag}@people.tandem.example", "title": "Technician",
             "departmentId": department, "managerId": manager}  # fmt: skip
    hired: dict[str, Any] = stack.client.data(HR, CREATE, input=given)["createEmployee"]
    return hired


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


def test_hr_hires_someone_who_signs_in_and_a_transfer_reaches_the_erp(any_stack: Stack) -> None:
    client = any_stack.client
    hired = hire(any_stack, "Ming Gao", "dept-06")
    assert (hired["active"], hired["department"], hired["manager"]) == (
        True, {"id": "dept-06"}, {"id": PRODUCTION_HEAD},
    )  # fmt: skip

    me = client.data(hired["id"], "{ me { id employeeNo department { id } } }")["me"]
    assert me == {"id": hired["id"], "employeeNo": hired["employeeNo"],
                  "department": {"id": "dept-06"}}  # fmt: skip
    seen = eventually(lambda: client.data(hired["id"], COST_CENTER)["me"]["costCenter"])
    assert seen == {"id": "dept-06"}

    moved = client.data(HR, TRANSFER, id=hired["id"], to="dept-07")["transferEmployee"]

    assert moved["department"] == {"id": "dept-07"}
    assert eventually(
        lambda: client.data(HR, "query ($id: ID!) { employee(id: $id) { costCenter { id } } }",
                            id=hired["id"])["employee"]["costCenter"] == {"id": "dept-07"}
    )  # fmt: skip
    eventually(any_stack.settled)
    [row] = run_sql(
        any_stack.erp_database,
        "SELECT department_id, revision FROM erp_people WHERE id = $1",
        hired["id"],
    )
    assert (row["department_id"], row["revision"]) == ("dept-07", 2)
    applied = run_sql(any_stack.erp_database,
                      "SELECT kind FROM erp_audit_log WHERE entity_type = 'PersonCopy' AND "
                      "entity_id = $1 ORDER BY seq", hired["id"])  # fmt: skip
    assert [r["kind"] for r in applied] == ["CREATE", "UPDATE"]  # each event once


def test_deactivation_blocks_sign_in_and_approvals_and_hands_them_to_the_manager(
    any_stack: Stack,
) -> None:
    client = any_stack.client
    code = f"T{uuid.uuid4().hex[:6].upper()}"
    given = {"code": code, "name": f"Tooling {code}", "parentId": "dept-06"}
    department = client.data(HR, CREATE_DEPARTMENT, input=given)["createDepartment"]["id"]
    lead = hire(any_stack, "Rui Deng", department, manager=PRODUCTION_HEAD)
    client.data(HR, APPOINT, id=department, manager=lead["id"])
    worker = hire(any_stack, "Jia Yu", department)
    assert worker["manager"] == {"id": lead["id"]}
    request_id = submit_purchase(
        client,
        worker["id"],
        "Torque wrench",
        [item("SKU-0001", 2, "12.50", "sup-01")],
        current_period(),
    )
    waiting = client.data(lead["id"], REQUEST, id=request_id)["approvalRequest"]
    assert waiting["currentStep"] == {"approver": {"id": lead["id"]}}
    eventually(lambda: client.data(lead["id"], COST_CENTER)["me"]["costCenter"])  # ERP knows

    gone = client.data(HR, DEACTIVATE, id=lead["id"])["deactivateEmployee"]

    assert gone["active"] is False
    refused = client.post(lead["id"], "{ me { id } }")
    assert codes(refused) == ["EMPLOYEE_DEACTIVATED"]
    assert codes(client.post(lead["id"], APPROVE, id=request_id)) == ["EMPLOYEE_DEACTIVATED"]

    # the ERP refuses them too, once OA's event has reached its copy
    def refused_by_erp() -> bool:
        body = client.post(lead["id"], "{ accounts { edges { node { code } } } }")
        assert codes(body) == ["EMPLOYEE_DEACTIVATED"], body
        return True

    assert eventually(refused_by_erp)
    moved = client.data(worker["id"], REQUEST, id=request_id)["approvalRequest"]
    assert moved["currentStep"] == {"approver": {"id": PRODUCTION_HEAD}}
    assert moved["history"][-1] == {"action": "REASSIGNED", "actor": None,
                                    "toEmployee": {"id": PRODUCTION_HEAD}}  # fmt: skip
    [notice] = messages(client, PRODUCTION_HEAD, request_id)
    assert notice["system"] is True and "Rui Deng" in notice["body"]
    me = client.data(worker["id"], "{ me { manager { id } } }")["me"]
    assert me == {"manager": {"id": PRODUCTION_HEAD}}
    approved = client.data(PRODUCTION_HEAD, APPROVE, id=request_id)["approve"]
    assert approved["status"] == "APPROVED"


def test_the_demo_company_is_in_the_erps_copy(any_stack: Stack) -> None:
    """The seed announced every demo department and employee (issue 16, item 4): the ERP's
    copy holds them all, each once, so costCenter answers for people HR never touched."""
    client = any_stack.client
    lookup = "query ($id: ID!) { employee(id: $id) { costCenter { id } } }"

    def cost_center(person: str) -> Any:
        return client.data(HR, lookup, id=person)["employee"]["costCenter"]

    assert eventually(lambda: cost_center("emp-001")) == {"id": "dept-01"}
    assert eventually(lambda: cost_center("emp-048")) == {"id": "dept-08"}
    eventually(any_stack.settled)
    demo = run_sql(any_stack.erp_database,
                   "SELECT count(*) AS n, min(revision) AS low FROM erp_people "
                   "WHERE id LIKE 'emp-0%' AND length(id) = 7")  # fmt: skip
    assert (demo[0]["n"], demo[0]["low"]) == (50, 1)
    [row] = run_sql(any_stack.erp_database,
                    "SELECT code, parent_id, manager_id FROM erp_departments WHERE id = $1",
                    "dept-08")  # fmt: skip
    assert dict(row) == {"code": "QA", "parent_id": "dept-06", "manager_id": "emp-047"}


def test_nobody_but_hr_changes_people(any_stack: Stack) -> None:
    client = any_stack.client
    given = {"name": "Nobody", "email": "nobody@people.tandem.example", "title": "None",
             "departmentId": "dept-06"}  # fmt: skip
    for who in ("emp-031", PRODUCTION_HEAD, "emp-013"):  # employee, manager, security admin
        body = client.post(who, CREATE, input=given)
        assert body["data"] is None and codes(body) == ["FORBIDDEN"], who
        assert codes(client.post(who, DEACTIVATE, id="emp-032")) == ["FORBIDDEN"], who
    assert client.data(HR, '{ employee(id: "emp-032") { active } }')["employee"] == {"active": True}
