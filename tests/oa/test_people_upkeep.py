"""HR's people upkeep in OA: employees and departments created, changed, transferred and
deactivated; every input error at once; NOT_FOUND, FORBIDDEN and CONFLICT; the events for the
ERP's copy and the audit trail; a deactivated employee refused whole, their pending approval
steps handed to their manager with a history entry and a message (issue 16, item 4)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.money import MoneyInput
from subgraphs.oa.store.flows import Rule, StepSpec, define_flow
from subgraphs.oa.store.models import audit_log, outbox
from tandem_shared.db import transaction
from tandem_shared.tokens import Principal
from tests.oa.client import OAClient
from tests.oa.org import ALICE, BOB, CEO, FRANK, HELEN

pytestmark = pytest.mark.anyio

EMPLOYEE = "id employeeNo name email title active department { id } manager { id }"
CREATE = f"""
mutation ($input: CreateEmployeeInput!) {{ createEmployee(input: $input) {{ {EMPLOYEE} }} }}"""
UPDATE = f"""
mutation ($id: ID!, $input: UpdateEmployeeInput!) {{
  updateEmployee(id: $id, input: $input) {{ {EMPLOYEE} }}
}}"""
TRANSFER = f"""
mutation ($id: ID!, $to: ID!, $manager: ID) {{
  transferEmployee(id: $id, departmentId: $to, managerId: $manager) {{ {EMPLOYEE} }}
}}"""
DEACTIVATE = f"mutation ($id: ID!) {{ deactivateEmployee(id: $id) {{ {EMPLOYEE} }} }}"
DEPARTMENT = "id code name active parent { id } manager { id } members { id manager { id } }"
CREATE_DEPARTMENT = f"""
mutation ($input: CreateDepartmentInput!) {{
  createDepartment(input: $input) {{ {DEPARTMENT} }}
}}"""
UPDATE_DEPARTMENT = f"""
mutation ($id: ID!, $input: UpdateDepartmentInput!) {{
  updateDepartment(id: $id, input: $input) {{ {DEPARTMENT} }}
}}"""
DEACTIVATE_DEPARTMENT = f"""
mutation ($id: ID!) {{ deactivateDepartment(id: $id) {{ {DEPARTMENT} }} }}"""
PURCHASE = """
mutation ($input: PurchaseRequestInput!) {
  submitPurchaseRequest(input: $input) { id steps { status approver { id } } }
}"""
REQUEST = """
query ($id: ID!) {
  approvalRequest(id: $id) {
    status currentStep { number approver { id } }
    history { action step actor { id } toEmployee { id } comment }
  }
}"""
APPROVE = "mutation ($id: ID!) { approve(id: $id) { status } }"
NOTICES = "{ messages { edges { node { subject body system } } } }"
NEW_HIRE = {"name": "Nora Sun", "email": "nora@tandem.example", "title": "Analyst",
            "departmentId": "dept-eng"}  # fmt: skip


async def events(sessions: async_sessionmaker[AsyncSession], topic: str) -> list[dict[str, Any]]:
    async with transaction(sessions) as session:
        rows = await session.execute(
            select(outbox.c.payload).where(outbox.c.topic == topic).order_by(outbox.c.created_at)
        )
        return [dict(row.payload) for row in rows]


async def audited(
    sessions: async_sessionmaker[AsyncSession], entity_type: str, entity_id: str
) -> list[Any]:
    async with transaction(sessions) as session:
        statement = (
            select(audit_log)
            .where(audit_log.c.entity_type == entity_type, audit_log.c.entity_id == entity_id)
            .order_by(audit_log.c.seq)
        )
        return list(await session.execute(statement))


def codes(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]]


async def test_hr_hires_an_employee_who_then_acts_as_themself(
    oa: OAClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    hired = (await oa.data(HELEN, CREATE, input=NEW_HIRE))["createEmployee"]

    assert hired["employeeNo"] == "EMP-000008"  # the company has seven
    assert (hired["name"], hired["email"], hired["active"]) == (
        "Nora Sun", "nora@tandem.example", True,
    )  # fmt: skip
    assert hired["department"] == {"id": "dept-eng"}
    assert hired["manager"] == {"id": "emp-alice"}  # the department's manager
    nora = Principal(hired["id"], "Nora Sun", ("employee",), "dept-eng")
    assert (await oa.data(nora, "{ me { id employeeNo } }"))["me"] == {
        "id": hired["id"], "employeeNo": "EMP-000008",
    }  # fmt: skip
    [event] = await events(sessions, "oa.employee.changed")
    assert {k: v for k, v in event.items() if k != "changedAt"} == {
        "id": hired["id"], "employeeNo": "EMP-000008", "name": "Nora Sun",
        "departmentId": "dept-eng", "managerId": "emp-alice", "active": True, "revision": 1,
    }  # fmt: skip
    [record] = await audited(sessions, "Employee", hired["id"])
    assert (record.kind, record.subject, record.operation) == ("CREATE", "emp-helen",
                                                               "createEmployee")  # fmt: skip


async def test_every_input_error_of_a_hire_is_reported_at_once(oa: OAClient) -> None:
    given = {"name": " ", "email": "not-an-address", "title": "", "departmentId": "dept-eng"}

    body = await oa.post(HELEN, CREATE, input=given)

    assert body["data"] is None
    assert codes(body) == [
        ("BAD_USER_INPUT", "input.name"),
        ("BAD_USER_INPUT", "input.email"),
        ("BAD_USER_INPUT", "input.title"),
    ]


async def test_a_taken_email_and_unknown_ids_are_refused(oa: OAClient) -> None:
    taken = await oa.error(HELEN, CREATE, input={**NEW_HIRE, "email": "Bob@tandem.example"})
    assert (taken["code"], taken["field"]) == ("BAD_USER_INPUT", "input.email")

    nowhere = await oa.error(HELEN, CREATE, input={**NEW_HIRE, "departmentId": "dept-x"})
    assert (nowhere["code"], nowhere["field"], nowhere["id"]) == (
        "NOT_FOUND", "input.departmentId", "dept-x",
    )  # fmt: skip
    for operation, variables in (
        (UPDATE, {"id": "emp-x", "input": {"title": "Lead"}}),
        (TRANSFER, {"id": "emp-x", "to": "dept-fin"}),
        (DEACTIVATE, {"id": "emp-x"}),
        (DEACTIVATE_DEPARTMENT, {"id": "dept-x"}),
    ):
        error = await oa.error(HELEN, operation, **variables)
        assert (error["code"], error["field"]) == ("NOT_FOUND", "id"), operation
    unknown_manager = await oa.error(HELEN, TRANSFER, id="emp-bob", to="dept-fin", manager="emp-x")
    assert (unknown_manager["code"], unknown_manager["field"]) == ("NOT_FOUND", "managerId")


async def test_only_hr_changes_people(oa: OAClient) -> None:
    for who in (BOB, ALICE, Principal("emp-ceo", "Cheng Wang", ("employee", "security_admin"))):
        for operation, variables in (
            (CREATE, {"input": NEW_HIRE}),
            (UPDATE, {"id": "emp-bob", "input": {"title": "Lead"}}),
            (TRANSFER, {"id": "emp-bob", "to": "dept-fin"}),
            (DEACTIVATE, {"id": "emp-carol"}),
            (CREATE_DEPARTMENT, {"input": {"code": "OPS", "name": "Operations"}}),
        ):
            error = await oa.error(who, operation, **variables)
            assert error["code"] == "FORBIDDEN", (who.subject, operation)


async def test_update_and_transfer_change_the_record_and_announce_it(
    oa: OAClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    updated = await oa.data(HELEN, UPDATE, id="emp-bob", input={"title": "Senior Engineer"})
    assert updated["updateEmployee"]["title"] == "Senior Engineer"

    moved = (await oa.data(HELEN, TRANSFER, id="emp-bob", to="dept-fin"))["transferEmployee"]

    assert (moved["department"], moved["manager"]) == ({"id": "dept-fin"}, {"id": "emp-frank"})
    chosen = await oa.data(HELEN, TRANSFER, id="emp-bob", to="dept-hq", manager="emp-helen")
    assert chosen["transferEmployee"]["manager"] == {"id": "emp-helen"}
    announced = await events(sessions, "oa.employee.changed")
    assert [(e["revision"], e["departmentId"], e["managerId"]) for e in announced] == [
        (1, "dept-eng", "emp-alice"), (2, "dept-fin", "emp-frank"), (3, "dept-hq", "emp-helen"),
    ]  # fmt: skip
    records = await audited(sessions, "Employee", "emp-bob")
    changes = {
        (c["field"], c.get("old"), c.get("new")) for r in records for c in json.loads(r.changes)
    }
    assert ("department_id", "dept-eng", "dept-fin") in changes
    assert ("title", "Specialist", "Senior Engineer") in changes


async def test_deactivation_hands_pending_approvals_to_the_manager_and_shuts_the_door(
    oa: OAClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with transaction(sessions) as session:
        finance = StepSpec(Rule.ROLE, role="finance",
                           min_amount=MoneyInput(amount="10000.00", currency="CNY"))  # fmt: skip
        await define_flow(session, None, kind="PURCHASE", name="Purchase",
                          steps=[StepSpec(Rule.DEPARTMENT_MANAGER), finance])  # fmt: skip
    items = [{"sku": "SKU-1", "quantity": 1, "unitPrice": {"amount": "80.00", "currency": "CNY"}}]
    request = await oa.data(BOB, PURCHASE, input={"title": "Cables", "items": items})
    request_id = request["submitPurchaseRequest"]["id"]
    assert request["submitPurchaseRequest"]["steps"] == [
        {"status": "PENDING", "approver": {"id": "emp-alice"}}
    ]

    gone = (await oa.data(HELEN, DEACTIVATE, id="emp-alice"))["deactivateEmployee"]

    assert gone["active"] is False
    seen = (await oa.data(BOB, REQUEST, id=request_id))["approvalRequest"]
    assert seen["currentStep"] == {"number": 1, "approver": {"id": "emp-ceo"}}
    assert seen["history"][-1]["action"] == "REASSIGNED"
    assert {k: seen["history"][-1][k] for k in ("step", "actor", "toEmployee")} == {
        "step": 1, "actor": None, "toEmployee": {"id": "emp-ceo"},
    }  # fmt: skip
    handed = (await events(sessions, "oa.approval.changed"))[-1]  # approvalInboxChanged's
    assert (handed["action"], handed["inboxBefore"], handed["inboxAfter"]) == (
        "REASSIGNED", {"assigneeId": "emp-alice", "role": None},
        {"assigneeId": "emp-ceo", "role": None},
    )  # fmt: skip
    [notice] = (await oa.data(CEO, NOTICES))["messages"]["edges"]
    assert notice["node"]["system"] is True
    assert request_id in notice["node"]["body"]
    refused = await oa.post(ALICE, '{ me { id } employee(id: "emp-bob") { id } }')
    assert refused["data"] == {"me": None, "employee": None}
    assert [(e["extensions"]["code"], e["path"]) for e in refused["errors"]] == [
        ("EMPLOYEE_DEACTIVATED", ["me"]), ("EMPLOYEE_DEACTIVATED", ["employee"]),
    ]  # fmt: skip
    assert (await oa.post(ALICE, APPROVE, id=request_id))["errors"][0]["extensions"]["code"] == (
        "EMPLOYEE_DEACTIVATED"
    )
    assert (await oa.data(CEO, APPROVE, id=request_id))["approve"]["status"] == "APPROVED"
    engineering = (await oa.data(HELEN, "{ department(id: \"dept-eng\") { manager { id } "
                                        "members { id manager { id } } } }"))  # fmt: skip
    assert engineering["department"] == {
        "manager": None,
        "members": [{"id": "emp-bob", "manager": {"id": "emp-ceo"}},
                    {"id": "emp-carol", "manager": {"id": "emp-ceo"}}],
    }  # fmt: skip
    announced = {e["id"]: e for e in await events(sessions, "oa.employee.changed")}
    assert announced["emp-alice"]["active"] is False
    assert announced["emp-bob"]["managerId"] == "emp-ceo"
    assert [e["managerId"] for e in await events(sessions, "oa.department.changed")] == [None]


async def test_hr_cannot_deactivate_themself_nor_act_on_the_deactivated(oa: OAClient) -> None:
    assert (await oa.error(HELEN, DEACTIVATE, id="emp-helen"))["code"] == "CONFLICT"
    await oa.data(HELEN, DEACTIVATE, id="emp-carol")

    again = await oa.error(HELEN, DEACTIVATE, id="emp-carol")
    moved = await oa.error(HELEN, TRANSFER, id="emp-bob", to="dept-fin", manager="emp-carol")

    assert (again["code"], moved["code"], moved["field"]) == ("CONFLICT", "CONFLICT", "managerId")


async def test_departments_are_created_reorganised_and_deactivated(
    oa: OAClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    made = await oa.data(
        HELEN, CREATE_DEPARTMENT, input={"code": "OPS", "name": "Operations", "parentId": "dept-hq"}
    )
    ops = made["createDepartment"]  # fmt: skip
    assert (ops["code"], ops["active"], ops["parent"], ops["manager"]) == (
        "OPS", True, {"id": "dept-hq"}, None,
    )  # fmt: skip
    bad = await oa.post(HELEN, CREATE_DEPARTMENT, input={"code": "ops!", "name": ""})
    assert codes(bad) == [("BAD_USER_INPUT", "input.code"), ("BAD_USER_INPUT", "input.name")]
    duplicate = await oa.error(HELEN, CREATE_DEPARTMENT, input={"code": "ENG", "name": "Eng"})
    assert (duplicate["code"], duplicate["field"]) == ("BAD_USER_INPUT", "input.code")
    cycle = await oa.error(HELEN, UPDATE_DEPARTMENT, id="dept-hq", input={"parentId": "dept-eng"})
    assert (cycle["code"], cycle["field"]) == ("BAD_USER_INPUT", "input.parentId")

    # a new head of Engineering takes over those who reported to Alice
    headed = (await oa.data(HELEN, UPDATE_DEPARTMENT, id="dept-eng",
                            input={"managerId": "emp-bob"}))["updateDepartment"]  # fmt: skip

    assert headed["manager"] == {"id": "emp-bob"}
    assert {m["id"]: m["manager"] for m in headed["members"]} == {
        "emp-alice": {"id": "emp-ceo"}, "emp-bob": {"id": "emp-alice"},
        "emp-carol": {"id": "emp-bob"},
    }  # fmt: skip
    busy = await oa.error(HELEN, DEACTIVATE_DEPARTMENT, id="dept-eng")
    assert busy["code"] == "CONFLICT"
    closed = (await oa.data(HELEN, DEACTIVATE_DEPARTMENT, id=ops["id"]))["deactivateDepartment"]
    assert closed["active"] is False
    hire = await oa.error(HELEN, CREATE, input={**NEW_HIRE, "departmentId": ops["id"]})
    assert (hire["code"], hire["field"]) == ("CONFLICT", "input.departmentId")
    announced = [(e["id"], e["active"], e["revision"])
                 for e in await events(sessions, "oa.department.changed")]  # fmt: skip
    assert announced == [(ops["id"], True, 1), ("dept-eng", True, 1), (ops["id"], False, 2)]


async def test_a_flow_naming_a_deactivated_approver_gives_new_requests_to_their_manager(
    oa: OAClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with transaction(sessions) as session:
        await define_flow(session, None, kind="TRAVEL", name="Travel",
                          steps=[StepSpec(Rule.EMPLOYEE, employee_id="emp-fiona")])  # fmt: skip
    await oa.data(HELEN, DEACTIVATE, id="emp-fiona")
    submit = """
    mutation { submitApprovalRequest(kind: "TRAVEL", input: {title: "Expo"}) {
      steps { status approver { id } } } }"""

    request = (await oa.data(BOB, submit))["submitApprovalRequest"]

    assert request["steps"] == [{"status": "PENDING", "approver": {"id": "emp-frank"}}]
    own = (await oa.data(FRANK, submit))["submitApprovalRequest"]  # not Frank for his own
    assert own["steps"] == [{"status": "PENDING", "approver": {"id": "emp-ceo"}}]


async def test_the_head_of_the_company_waited_for_stays_until_hr_appoints_a_successor(
    oa: OAClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Cheng heads the company: nobody is above him to take the step Alice's own request
    waits at, so his deactivation is CONFLICT saying what to do; once HR appoints a new head
    of his department (a successor), the step moves to them and he is deactivated."""
    async with transaction(sessions) as session:
        await define_flow(session, None, kind="PURCHASE", name="Purchase",
                          steps=[StepSpec(Rule.DEPARTMENT_MANAGER)])  # fmt: skip
    items = [{"sku": "SKU-1", "quantity": 1, "unitPrice": {"amount": "80.00", "currency": "CNY"}}]
    own = await oa.data(ALICE, PURCHASE, input={"title": "Desk", "items": items})
    request_id = own["submitPurchaseRequest"]["id"]
    assert own["submitPurchaseRequest"]["steps"][0]["approver"] == {"id": "emp-ceo"}

    refused = await oa.error(HELEN, DEACTIVATE, id="emp-ceo")

    assert (refused["code"], refused["field"], refused["requestId"]) == (
        "CONFLICT", "id", request_id,
    )  # fmt: skip
    assert "Appoint a manager or a successor first" in refused["message"]
    assert "transferEmployee" in refused["message"] and "updateDepartment" in refused["message"]
    assert (await oa.data(HELEN, '{ employee(id: "emp-ceo") { active } }'))["employee"] == {
        "active": True
    }  # nothing of the refused deactivation stayed

    await oa.data(HELEN, UPDATE_DEPARTMENT, id="dept-hq", input={"managerId": "emp-frank"})
    gone = (await oa.data(HELEN, DEACTIVATE, id="emp-ceo"))["deactivateEmployee"]

    assert gone["active"] is False
    moved = (await oa.data(FRANK, REQUEST, id=request_id))["approvalRequest"]
    assert moved["currentStep"] == {"number": 1, "approver": {"id": "emp-frank"}}


async def test_a_vacancy_above_refuses_a_request_nobody_could_approve(
    oa: OAClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """With the head of the company gone and nobody appointed, a department head's request
    has no manager above to approve its step: CONFLICT saying what to do, never a step skipped
    into an approval; once HR appoints a head, the step goes to them."""
    async with transaction(sessions) as session:
        await define_flow(session, None, kind="PURCHASE", name="Purchase",
                          steps=[StepSpec(Rule.DEPARTMENT_MANAGER)])  # fmt: skip
    assert (await oa.data(HELEN, DEACTIVATE, id="emp-ceo"))["deactivateEmployee"]["active"] is False
    items = [{"sku": "SKU-1", "quantity": 1, "unitPrice": {"amount": "80.00", "currency": "CNY"}}]

    refused = await oa.error(ALICE, PURCHASE, input={"title": "Desk", "items": items})

    assert refused["code"] == "CONFLICT"
    assert "updateDepartment" in refused["message"]
    await oa.data(HELEN, UPDATE_DEPARTMENT, id="dept-hq", input={"managerId": "emp-frank"})
    own = await oa.data(ALICE, PURCHASE, input={"title": "Desk", "items": items})
    assert own["submitPurchaseRequest"]["steps"][0]["approver"] == {"id": "emp-frank"}
