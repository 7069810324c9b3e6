"""Every input error of a mutation reported together, through the gateway (issue 16, item 6):
several OA and ERP mutations, each given several invalid fields at once, answer one
``BAD_USER_INPUT`` per field, each naming its argument path, and change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.flows import FINANCE, PURCHASING
from tests.e2e.sqlite_stack import run_sql
from tests.e2e.stack import Stack

EMPLOYEE, HR = "emp-031", "emp-020"


def refused(stack: Stack, who: str, mutation: str, **variables: Any) -> set[str]:
    """The fields ``mutation`` was refused for: every error must be ``BAD_USER_INPUT``."""
    body = stack.client.post(who, mutation, **variables)
    errors = body.get("errors") or []
    assert errors, body
    assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"] * len(errors), body
    assert all(value is None for value in (body.get("data") or {}).values()), body
    fields = [e["extensions"]["field"] for e in errors]
    assert len(fields) == len(set(fields)), body  # one error per field
    return set(fields)


def at(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


OA_CASES: list[tuple[str, str, str, dict[str, Any], set[str]]] = [
    (
        "bookMeeting", EMPLOYEE,
        "mutation ($i: BookMeetingInput!) { bookMeeting(input: $i) { id } }",
        {"title": " ", "roomId": "ROOM", "start": at(-48), "end": at(-49)},
        {"input.title", "input.start", "input.end"},
    ),
    (
        "createMeetingRoom", HR,
        "mutation ($i: MeetingRoomInput!) { createMeetingRoom(input: $i) { id } }",
        {"name": " ", "capacity": 0, "location": "x" * 201},
        {"input.name", "input.capacity", "input.location"},
    ),
    (
        "sendMessage", EMPLOYEE,
        "mutation ($i: SendMessageInput!) { sendMessage(input: $i) { id } }",
        {"to": [], "subject": " ", "body": " "},
        {"input.to", "input.subject", "input.body"},
    ),
    (
        "publishAnnouncement", HR,
        "mutation ($i: PublishAnnouncementInput!) { publishAnnouncement(input: $i) { id } }",
        {"title": " ", "body": " "},
        {"input.title", "input.body"},
    ),
    (
        "createDocument", EMPLOYEE,
        "mutation ($i: CreateDocumentInput!) { createDocument(input: $i) { id } }",
        {"title": " ", "folder": "no-slash", "content": {"base64": "%%%"}},
        {"input.title", "input.folder", "input.content.base64"},
    ),
    (
        "defineApprovalFlow", HR,
        "mutation ($i: DefineApprovalFlowInput!) { defineApprovalFlow(input: $i) { id } }",
        {"kind": "not a kind", "name": " ",
         "steps": [{"rule": "ROLE"}, {"rule": "DEPARTMENT_MANAGER", "employeeId": "emp-001"}]},
        {"input.kind", "input.name", "input.steps.0.role", "input.steps.1.employeeId"},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "who", "mutation", "given", "fields"), OA_CASES,
                         ids=[case[0] for case in OA_CASES])  # fmt: skip
def test_oa_mutations_report_every_invalid_field_at_once(
    any_stack: Stack, name: str, who: str, mutation: str, given: dict[str, Any], fields: set[str]
) -> None:
    if given.get("roomId") == "ROOM":
        rooms = any_stack.client.data(who, "{ meetingRooms { id } }")["meetingRooms"]
        given = {**given, "roomId": rooms[0]["id"]}
    before = _oa_rows(any_stack)

    assert refused(any_stack, who, mutation, i=given) == fields, name
    assert _oa_rows(any_stack) == before  # nothing stored


ARGUMENT_CASES: list[tuple[str, str, str, dict[str, Any], set[str]]] = [
    (
        "addDocumentVersion", EMPLOYEE,
        "mutation ($d: ID!, $c: DocumentContentInput!) "
        "{ addDocumentVersion(documentId: $d, content: $c) { id } }",
        {"d": "x" * 65, "c": {"base64": "%%%", "contentType": "not a type"}},
        {"documentId", "content.base64", "content.contentType"},
    ),
    (
        "shareDocument", EMPLOYEE,
        "mutation ($d: ID!, $e: [ID!]!) { shareDocument(documentId: $d, employeeIds: $e) { id } }",
        {"d": "DOCUMENT", "e": ["", EMPLOYEE]},
        {"employeeIds.0", "employeeIds.1"},  # blank, and the owner themselves
    ),
    (
        "transfer", EMPLOYEE,
        "mutation ($id: ID!, $to: ID!, $c: String) "
        "{ transfer(id: $id, toEmployeeId: $to, comment: $c) { id } }",
        {"id": "x" * 65, "to": "", "c": "x" * 2001},
        {"id", "toEmployeeId", "comment"},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "who", "mutation", "variables", "fields"), ARGUMENT_CASES,
                         ids=[case[0] for case in ARGUMENT_CASES])  # fmt: skip
def test_oa_mutations_with_plain_arguments_report_every_invalid_one_at_once(
    any_stack: Stack,
    name: str,
    who: str,
    mutation: str,
    variables: dict[str, Any],
    fields: set[str],
) -> None:
    if variables.get("d") == "DOCUMENT":  # one of mine
        create = "mutation ($i: CreateDocumentInput!) { createDocument(input: $i) { id } }"
        created = any_stack.client.data(who, create, i={"title": f"{name} test"})
        variables = {**variables, "d": created["createDocument"]["id"]}
    before = _oa_rows(any_stack)

    assert refused(any_stack, who, mutation, **variables) == fields, name
    assert _oa_rows(any_stack) == before  # nothing stored


ERP_CASES: list[tuple[str, str, str, dict[str, Any], set[str]]] = [
    (
        "createItem", PURCHASING,
        "mutation ($i: CreateItemInput!) { createItem(input: $i) { sku } }",
        {"sku": " ", "name": " ", "category": " ", "reorderLevel": -1,
         "standardCost": {"amount": "1.234", "currency": "CNY"},
         "listPrice": {"amount": "-2.00", "currency": "CNY"}},
        {"input.sku", "input.name", "input.category", "input.reorderLevel",
         "input.standardCost.amount", "input.listPrice.amount"},
    ),
    (
        "createWarehouse", PURCHASING,
        "mutation ($i: CreateWarehouseInput!) { createWarehouse(input: $i) { id } }",
        {"code": " ", "name": " ", "location": " "},
        {"input.code", "input.name", "input.location"},
    ),
    (
        "setBudget", FINANCE,
        "mutation ($i: SetBudgetInput!) { setBudget(input: $i) { period } }",
        {"departmentId": " ", "period": "2026-13", "amount": {"amount": "x", "currency": "CNY"}},
        {"input.departmentId", "input.period", "input.amount.amount"},
    ),
    (
        "registerAsset", FINANCE,
        "mutation ($i: RegisterAssetInput!) { registerAsset(input: $i) { id } }",
        {"name": " ", "category": " ", "cost": {"amount": "0.00", "currency": "CNY"},
         "acquisitionDate": "2026-01-05", "usefulLifeMonths": 0},
        {"input.name", "input.category", "input.cost.amount", "input.usefulLifeMonths"},
    ),
    (
        "postJournalEntry", FINANCE,
        "mutation ($i: PostJournalEntryInput!) { postJournalEntry(input: $i) { id } }",
        {"entryDate": "2026-11-05", "memo": " ",
         "lines": [{"accountCode": "0000", "debit": {"amount": "1.00", "currency": "CNY"},
                    "credit": {"amount": "1.00", "currency": "CNY"}}]},
        {"input.memo", "input.lines", "input.lines.0.accountCode", "input.lines.0.debit"},
    ),
    (
        "createCustomer", "emp-040",
        "mutation ($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
        {"name": " ", "creditLimit": {"amount": "-1", "currency": "CNY"}},
        {"input.name", "input.creditLimit.amount"},
    ),
    (
        "setBillOfMaterials", "emp-030",
        "mutation ($i: SetBillOfMaterialsInput!) { setBillOfMaterials(input: $i) { id } }",
        {"sku": "SKU-0035", "labourHours": "lots",
         "labourRate": {"amount": "1.00", "currency": "XXX"},
         "components": [{"sku": "SKU-0001", "quantity": 0}, {"sku": "SKU-0035", "quantity": 1}]},
        {"input.labourHours", "input.labourRate.currency", "input.components.0.quantity",
         "input.components.1"},
    ),
    (
        "createProductionPlan", "emp-030",
        "mutation ($i: CreateProductionPlanInput!) { createProductionPlan(input: $i) { id } }",
        {"name": " ", "period": "202611", "lines": [{"sku": "SKU-0035", "quantity": -4}]},
        {"input.name", "input.period", "input.lines.0.quantity"},
    ),
    (
        "createSalesOrder", "emp-040",
        "mutation ($i: CreateSalesOrderInput!) { createSalesOrder(input: $i) { id } }",
        {"customerId": "cus-01", "warehouseId": " ",
         "lines": [{"sku": "SKU-0001", "quantity": 0, "unitPrice": {"amount": "-1.00",
                                                                     "currency": "CNY"}},
                   {"sku": "SKU-0002", "quantity": -3}]},
        {"input.warehouseId", "input.lines.0.quantity", "input.lines.0.unitPrice.amount",
         "input.lines.1.quantity"},
    ),
    (
        "adjustStock", PURCHASING,
        "mutation ($i: AdjustStockInput!) { adjustStock(input: $i) { quantity } }",
        {"sku": "SKU-0001", "warehouseId": "wh-bj", "quantity": 0, "reason": " "},
        {"input.quantity", "input.reason"},
    ),
    (
        "receiveGoods", PURCHASING,
        "mutation ($i: ReceiveGoodsInput!) { receiveGoods(input: $i) { status } }",
        {"purchaseOrderId": " ", "warehouseId": "wh bj"},
        {"input.purchaseOrderId", "input.warehouseId"},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "who", "mutation", "given", "fields"), ERP_CASES,
                         ids=[case[0] for case in ERP_CASES])  # fmt: skip
def test_erp_mutations_report_every_invalid_field_at_once(
    any_stack: Stack, name: str, who: str, mutation: str, given: dict[str, Any], fields: set[str]
) -> None:
    before = _erp_rows(any_stack)

    assert refused(any_stack, who, mutation, i=given) == fields, name
    assert _erp_rows(any_stack) == before  # nothing stored


def _oa_rows(stack: Stack) -> list[Any]:
    """Rows only these mutations add (an event consumer may add others' messages meanwhile)."""
    return [
        run_sql(stack.oa_database, f"SELECT count(*) AS n FROM {table}")[0]["n"]
        for table in ("oa_meetings", "oa_meeting_rooms", "oa_announcements", "oa_documents",
                      "oa_approval_flows", "oa_messages WHERE sender_id = 'emp-031'",
                      "oa_document_versions", "oa_document_shares",
                      "oa_approval_actions WHERE action = 'TRANSFERRED'")
    ]  # fmt: skip


def _erp_rows(stack: Stack) -> list[Any]:
    """Rows only these mutations add (consumers add budgets and entries of their own)."""
    return [
        run_sql(stack.erp_database, f"SELECT count(*) AS n FROM {table}")[0]["n"]
        for table in ("erp_items", "erp_warehouses", "erp_assets", "erp_customers",
                      "erp_journal_entries WHERE posted_by = 'emp-005'", "erp_production_plans",
                      "erp_bom_components", "erp_sales_orders",
                      "erp_stock_movements WHERE actor = 'emp-023'",
                      "erp_purchase_orders WHERE received_at IS NOT NULL")
    ]  # fmt: skip
