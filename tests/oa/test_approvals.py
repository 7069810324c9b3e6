"""Approvals: the walk (manager, then finance above 10 000.00 CNY), decisions and who may make
them, withdrawal, transfer, the inbox, the outbox event, visibility, and input checks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.events.bus import Event
from subgraphs.common.money import MoneyInput
from subgraphs.oa.store.events import APPROVAL_APPROVED, APPROVAL_CHANGED
from subgraphs.oa.store.flows import Rule, StepSpec, define_flow
from subgraphs.oa.store.models import outbox
from subgraphs.oa.store.notifications import HANDLERS
from tandem_shared.db import transaction
from tandem_shared.tokens import Principal
from tests.oa.client import OAClient
from tests.oa.org import ALICE, BOB, CAROL, CEO, FIONA, FRANK, HELEN

pytestmark = pytest.mark.anyio

AUDITOR = Principal("emp-carol", "Carol Liu", ("employee", "auditor"), "dept-eng")
REQUEST = """
  id kind title status amount { amount currency } budgetPeriod payload canDecide
  applicant { id } department { id }
  items { sku quantity unitPrice { amount currency } amount { amount } supplierId }
  currentStep { number }
  steps { number name rule role status decision comment approver { id } decidedAt }
  history { action step actor { id } toEmployee { id } comment }
"""
PURCHASE = f"""
mutation ($input: PurchaseRequestInput!) {{ submitPurchaseRequest(input: $input) {{ {REQUEST} }} }}
"""
SUBMIT = f"""
mutation ($kind: String!, $input: ApprovalRequestInput!) {{
  submitApprovalRequest(kind: $kind, input: $input) {{ {REQUEST} }}
}}
"""
APPROVE = f"""
mutation ($id: ID!, $comment: String, $step: Int) {{
  approve(id: $id, comment: $comment, step: $step) {{ {REQUEST} }}
}}
"""
REJECT = f"""
mutation ($id: ID!, $comment: String!) {{ reject(id: $id, comment: $comment) {{ {REQUEST} }} }}
"""
REQUEST_QUERY = f"query ($id: ID!) {{ approvalRequest(id: $id) {{ {REQUEST} }} }}"
WITHDRAW = f"mutation ($id: ID!) {{ withdraw(id: $id) {{ {REQUEST} }} }}"
TRANSFER = f"""
mutation ($id: ID!, $to: ID!) {{
  transfer(id: $id, toEmployeeId: $to, comment: "away") {{ {REQUEST} }}
}}
"""
INBOX = """
query ($first: Int, $after: String) {
  approvalInbox(first: $first, after: $after) {
    edges { node { id title canDecide } } pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.fixture
async def flows(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The demo company's flows: PURCHASE (manager; finance from 10 000.00 CNY), EXPENSE and
    LEAVE (manager)."""
    manager = StepSpec(Rule.DEPARTMENT_MANAGER)
    finance = StepSpec(
        Rule.ROLE, role="finance", min_amount=MoneyInput(amount="10000.00", currency="CNY")
    )
    async with transaction(sessions) as session:
        await define_flow(session, None, kind="PURCHASE", name="Purchase", steps=[manager, finance])
        await define_flow(session, None, kind="EXPENSE", name="Expense", steps=[manager])
        await define_flow(session, None, kind="LEAVE", name="Leave", steps=[manager])


async def events(
    sessions: async_sessionmaker[AsyncSession], topic: str = APPROVAL_APPROVED
) -> list[Any]:
    """The outbox rows of ``topic`` (default: the event the ERP acts on), oldest first."""
    async with transaction(sessions) as session:
        statement = select(outbox).where(outbox.c.topic == topic).order_by(outbox.c.created_at)
        return list(await session.execute(statement))


def purchase(*prices: str, currency: str = "CNY", **fields: Any) -> dict[str, Any]:
    items = [
        {"sku": f"SKU-{n:05d}", "quantity": 2, "unitPrice": {"amount": price, "currency": currency},
         "supplierId": "sup-01"}
        for n, price in enumerate(prices, start=1)
    ]  # fmt: skip
    return {"title": "Laptops", "items": items, "budgetPeriod": "2026-11", **fields}


async def submit_purchase(oa: OAClient, who: Principal, *prices: str) -> dict[str, Any]:
    data = await oa.data(who, PURCHASE, input=purchase(*prices))
    request: dict[str, Any] = data["submitPurchaseRequest"]
    return request


async def decide(oa: OAClient, who: Principal, operation: str, **variables: Any) -> Any:
    data = await oa.data(who, operation, **variables)
    return next(iter(data.values()))


def statuses(request: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(s["status"], (s["approver"] or {}).get("id")) for s in request["steps"]]


async def test_below_the_threshold_the_manager_alone_approves(
    oa: OAClient, flows: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    request = await submit_purchase(oa, BOB, "1500.00", "999.50")

    assert request["status"] == "PENDING"
    assert request["amount"] == {"amount": "4999.00", "currency": "CNY"}
    assert request["items"][1] == {
        "sku": "SKU-00002",
        "quantity": 2,
        "unitPrice": {"amount": "999.50", "currency": "CNY"},
        "amount": {"amount": "1999.00"},
        "supplierId": "sup-01",
    }
    assert statuses(request) == [("PENDING", "emp-alice")]
    assert request["canDecide"] is False

    approved = await decide(oa, ALICE, APPROVE, id=request["id"], comment="ok")

    assert approved["status"] == "APPROVED"
    assert approved["currentStep"] is None
    assert approved["steps"][0]["decision"] == "APPROVED"
    assert approved["steps"][0]["comment"] == "ok"
    assert [(h["action"], h["actor"]["id"]) for h in approved["history"]] == [
        ("SUBMITTED", "emp-bob"),
        ("APPROVED", "emp-alice"),
    ]
    [event] = await events(sessions)
    assert event.topic == "oa.approval.approved"
    assert event.key == request["id"]
    assert event.payload["amount"] == "4999.00"


async def test_above_the_threshold_finance_approves_after_the_manager(
    oa: OAClient, flows: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    request = await submit_purchase(oa, BOB, "6000.00")
    assert statuses(request) == [("PENDING", "emp-alice"), ("WAITING", None)]
    assert [s["role"] for s in request["steps"]] == [None, "finance"]

    early = await oa.error(FIONA, APPROVE, id=request["id"])
    assert early["code"] == "FORBIDDEN"
    after_manager = await decide(oa, ALICE, APPROVE, id=request["id"])
    assert after_manager["status"] == "PENDING"
    assert after_manager["currentStep"] == {"number": 2}
    assert statuses(after_manager) == [("APPROVED", "emp-alice"), ("PENDING", None)]
    assert await events(sessions) == []
    inbox = await oa.data(FIONA, INBOX)
    assert [e["node"]["canDecide"] for e in inbox["approvalInbox"]["edges"]] == [True]

    approved = await decide(oa, FIONA, APPROVE, id=request["id"], step=2)

    assert approved["status"] == "APPROVED"
    assert statuses(approved) == [("APPROVED", "emp-alice"), ("APPROVED", "emp-fiona")]
    [event] = await events(sessions)
    payload = dict(event.payload)
    assert payload.pop("approvedAt").endswith("+00:00")
    assert payload == {
        "requestId": request["id"],
        "kind": "PURCHASE",
        "title": "Laptops",
        "applicantId": "emp-bob",
        "departmentId": "dept-eng",
        "amount": "12000.00",
        "currency": "CNY",
        "items": [
            {
                "sku": "SKU-00001",
                "description": None,
                "quantity": 2,
                "unitPrice": "6000.00",
                "supplierId": "sup-01",
            },
        ],
        "period": "2026-11",
        "memo": "Laptops",
    }
    assert (await oa.data(FIONA, INBOX))["approvalInbox"]["edges"] == []


async def test_only_the_current_approver_decides(oa: OAClient, flows: None) -> None:
    request = await submit_purchase(oa, BOB, "6000.00")

    for who in (BOB, CAROL, FIONA, CEO):
        error = await oa.error(who, APPROVE, id=request["id"])
        assert error["code"] == "FORBIDDEN", who
    rejected = await oa.error(CAROL, REJECT, id=request["id"], comment="no")
    assert rejected["code"] == "FORBIDDEN"

    await decide(oa, ALICE, APPROVE, id=request["id"])
    again = await oa.error(ALICE, APPROVE, id=request["id"])
    stale_step = await oa.error(FIONA, APPROVE, id=request["id"], step=1)

    assert again["code"] == "CONFLICT"
    assert stale_step["code"] == "CONFLICT"
    await decide(oa, FIONA, APPROVE, id=request["id"])
    for who in (FIONA, FRANK, ALICE):
        error = await oa.error(who, APPROVE, id=request["id"])
        assert error["code"] == "CONFLICT", who


async def test_a_rejection_ends_the_request_and_needs_a_reason(oa: OAClient, flows: None) -> None:
    request = await submit_purchase(oa, BOB, "6000.00")

    no_reason = await oa.error(ALICE, REJECT, id=request["id"], comment=" ")
    rejected = await decide(oa, ALICE, REJECT, id=request["id"], comment="Too expensive")

    assert (no_reason["code"], no_reason["field"]) == ("BAD_USER_INPUT", "comment")
    assert rejected["status"] == "REJECTED"
    assert statuses(rejected) == [("REJECTED", "emp-alice"), ("CANCELLED", None)]
    assert rejected["steps"][0]["decision"] == "REJECTED"
    assert rejected["steps"][0]["comment"] == "Too expensive"
    assert (await oa.error(ALICE, APPROVE, id=request["id"]))["code"] == "CONFLICT"


async def test_only_the_applicant_withdraws_and_only_while_pending(
    oa: OAClient, flows: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    request = await submit_purchase(oa, BOB, "100.00")

    by_manager = await oa.error(ALICE, WITHDRAW, id=request["id"])
    withdrawn = await decide(oa, BOB, WITHDRAW, id=request["id"])
    twice = await oa.error(BOB, WITHDRAW, id=request["id"])
    approve_after = await oa.error(ALICE, APPROVE, id=request["id"])

    assert by_manager["code"] == "FORBIDDEN"
    assert withdrawn["status"] == "WITHDRAWN"
    assert statuses(withdrawn) == [("CANCELLED", "emp-alice")]
    assert [h["action"] for h in withdrawn["history"]] == ["SUBMITTED", "WITHDRAWN"]
    assert twice["code"] == approve_after["code"] == "CONFLICT"
    assert await events(sessions) == []


async def test_the_current_approver_transfers_the_step(oa: OAClient, flows: None) -> None:
    request = await submit_purchase(oa, BOB, "100.00")

    not_approver = await oa.error(CAROL, TRANSFER, id=request["id"], to="emp-ceo")
    to_applicant = await oa.error(ALICE, TRANSFER, id=request["id"], to="emp-bob")
    to_nobody = await oa.error(ALICE, TRANSFER, id=request["id"], to="emp-ghost")
    transferred = await decide(oa, ALICE, TRANSFER, id=request["id"], to="emp-ceo")
    alice_after = await oa.error(ALICE, APPROVE, id=request["id"])
    approved = await decide(oa, CEO, APPROVE, id=request["id"])

    assert not_approver["code"] == "FORBIDDEN"
    assert (to_applicant["code"], to_applicant["field"]) == ("BAD_USER_INPUT", "toEmployeeId")
    assert (to_nobody["code"], to_nobody["field"]) == ("NOT_FOUND", "toEmployeeId")
    assert statuses(transferred) == [("PENDING", "emp-ceo")]
    assert alice_after["code"] == "FORBIDDEN"
    assert approved["status"] == "APPROVED"
    assert [
        (h["action"], h["actor"]["id"], (h["toEmployee"] or {}).get("id"), h["comment"])
        for h in approved["history"]
    ] == [
        ("SUBMITTED", "emp-bob", None, None),
        ("TRANSFERRED", "emp-alice", "emp-ceo", "away"),
        ("APPROVED", "emp-ceo", None, None),
    ]


async def test_a_transfer_reports_every_invalid_argument_once_the_request_is_known(
    oa: OAClient, flows: None
) -> None:
    request = await submit_purchase(oa, BOB, "100.00")
    transfer = (
        "mutation ($id: ID!, $to: ID!, $c: String) "
        "{ transfer(id: $id, toEmployeeId: $to, comment: $c) { id } }"
    )

    to_me = await oa.post(ALICE, transfer, id=request["id"], to="emp-alice", c="x" * 2001)
    not_mine = await oa.error(CAROL, transfer, id=request["id"], to="emp-carol", c="x" * 2001)

    assert sorted((e["extensions"]["code"], e["extensions"]["field"]) for e in to_me["errors"]) == [
        ("BAD_USER_INPUT", "comment"), ("BAD_USER_INPUT", "toEmployeeId"),
    ]  # fmt: skip
    assert not_mine["code"] == "FORBIDDEN"  # not the approver: nothing said about arguments


async def test_managers_requests_go_to_the_manager_above(oa: OAClient, flows: None) -> None:
    alices = await submit_purchase(oa, ALICE, "100.00")
    ceos = await submit_purchase(oa, CEO, "100.00")
    ceos_big = await submit_purchase(oa, CEO, "20000.00")
    franks = await decide(
        oa, FRANK, SUBMIT, kind="EXPENSE",
        input={"title": "Taxi", "amount": {"amount": "88.00", "currency": "CNY"}},
    )  # fmt: skip

    assert statuses(alices) == [("PENDING", "emp-ceo")]
    assert ceos["status"] == "APPROVED"
    assert statuses(ceos) == [("SKIPPED", None)]
    assert statuses(ceos_big) == [("SKIPPED", None), ("PENDING", None)]
    assert ceos_big["currentStep"] == {"number": 2}
    assert statuses(franks) == [("PENDING", "emp-ceo")]
    # Frank holds the finance role, but never decides his own request
    frank_big = await submit_purchase(oa, FRANK, "20000.00")
    await decide(oa, CEO, APPROVE, id=frank_big["id"])
    assert (await oa.error(FRANK, APPROVE, id=frank_big["id"]))["code"] == "FORBIDDEN"
    assert (await decide(oa, FIONA, APPROVE, id=frank_big["id"]))["status"] == "APPROVED"


async def test_expense_and_leave_requests(
    oa: OAClient, flows: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    expense = await decide(
        oa, BOB, SUBMIT, kind="EXPENSE",
        input={"title": "Conference", "amount": {"amount": "3200.00"},
               "payload": {"city": "Xi'an"}},
    )  # fmt: skip
    leave = await decide(
        oa, BOB, SUBMIT, kind="LEAVE",
        input={"title": "Holiday", "payload": {"from": "2026-12-01", "to": "2026-12-05"}},
    )  # fmt: skip
    await decide(oa, ALICE, APPROVE, id=expense["id"])
    await decide(oa, ALICE, APPROVE, id=leave["id"])

    assert expense["payload"] == {"city": "Xi'an"}
    assert expense["budgetPeriod"] is not None
    assert leave["amount"] is None
    assert leave["budgetPeriod"] is None
    [event] = await events(sessions)
    assert (event.payload["kind"], event.payload["amount"]) == ("EXPENSE", "3200.00")
    assert event.payload["items"] == []


async def test_concurrent_decisions_one_wins(
    oa: OAClient, flows: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    request = await submit_purchase(oa, BOB, "6000.00")
    await decide(oa, ALICE, APPROVE, id=request["id"])
    finance = [FIONA, FRANK, FIONA, FRANK, FIONA, FRANK]

    answers = await asyncio.gather(
        *(oa.post(who, APPROVE, id=request["id"]) for who in finance),
        oa.post(FIONA, REJECT, id=request["id"], comment="no"),
    )

    winners = [a for a in answers if "errors" not in a]
    losers = [a["errors"][0]["extensions"]["code"] for a in answers if "errors" in a]
    assert len(winners) == 1
    assert losers == ["CONFLICT"] * (len(answers) - 1)
    final = next(iter(winners[0]["data"].values()))
    decided = [s for s in final["steps"] if s["decision"] is not None]
    assert len(decided) == 2
    assert len(await events(sessions)) == (1 if final["status"] == "APPROVED" else 0)
    changes = [e.payload["action"] for e in await events(sessions, APPROVAL_CHANGED)]
    assert changes == ["SUBMITTED", "APPROVED", "APPROVED" if final["status"] == "APPROVED"
                       else "REJECTED"]  # fmt: skip


async def test_each_change_records_whose_inbox_the_request_leaves_and_enters(
    oa: OAClient, flows: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """``oa.approval.changed`` (the subscriptions' source): from the manager's inbox to
    finance's (a role), then out of every inbox."""
    request = await submit_purchase(oa, BOB, "6000.00")
    await decide(oa, ALICE, APPROVE, id=request["id"])
    await decide(oa, FIONA, APPROVE, id=request["id"])

    changes = [e.payload for e in await events(sessions, APPROVAL_CHANGED)]
    manager = {"assigneeId": ALICE.subject, "role": None}
    finance = {"assigneeId": None, "role": "finance"}
    assert [(c["action"], c["status"], c["inboxBefore"], c["inboxAfter"]) for c in changes] == [
        ("SUBMITTED", "PENDING", None, manager),
        ("APPROVED", "PENDING", manager, finance),
        ("APPROVED", "APPROVED", finance, None),
    ]
    assert {(c["requestId"], c["applicantId"]) for c in changes} == {(request["id"], BOB.subject)}


async def test_inbox_and_my_requests_page(oa: OAClient, flows: None) -> None:
    ids = [(await submit_purchase(oa, BOB, f"{n}.00"))["id"] for n in range(1, 6)]
    await decide(oa, ALICE, APPROVE, id=ids[0])
    mine = """
    query ($status: ApprovalStatus, $first: Int, $after: String) {
      myApprovalRequests(status: $status, first: $first, after: $after) {
        edges { node { id } } pageInfo { hasNextPage endCursor }
      }
    }
    """

    first = (await oa.data(ALICE, INBOX, first=3))["approvalInbox"]
    rest = (await oa.data(ALICE, INBOX, after=first["pageInfo"]["endCursor"]))["approvalInbox"]
    pending = (await oa.data(BOB, mine, status="PENDING", first=10))["myApprovalRequests"]
    approved = (await oa.data(BOB, mine, status="APPROVED"))["myApprovalRequests"]
    everything = (await oa.data(BOB, mine, first=2))["myApprovalRequests"]

    assert [e["node"]["id"] for e in first["edges"] + rest["edges"]] == ids[1:]
    assert (first["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasNextPage"]) == (True, False)
    assert [e["node"]["id"] for e in pending["edges"]] == ids[:0:-1]
    assert [e["node"]["id"] for e in approved["edges"]] == ids[:1]
    assert everything["pageInfo"]["hasNextPage"] is True
    assert (await oa.data(CAROL, INBOX))["approvalInbox"]["edges"] == []


async def test_who_may_read_a_request(oa: OAClient, flows: None) -> None:
    request = await submit_purchase(oa, BOB, "6000.00")
    query = "query ($id: ID!) { approvalRequest(id: $id) { id } }"
    entities = """
    query ($reps: [_Any!]!) {
      _entities(representations: $reps) { ... on ApprovalRequest { id title } }
    }
    """
    reps = [{"__typename": "ApprovalRequest", "id": request["id"]},
            {"__typename": "ApprovalRequest", "id": "no-such-request"}]  # fmt: skip

    for who in (BOB, ALICE, FIONA, AUDITOR):
        assert (await oa.data(who, query, id=request["id"]))["approvalRequest"] is not None
    hidden = await oa.error(CAROL, query, id=request["id"])
    seen = await oa.data(ALICE, entities, reps=reps)
    unseen = await oa.data(CAROL, entities, reps=reps)

    assert (hidden["code"], hidden["field"]) == ("NOT_FOUND", "id")
    assert seen["_entities"] == [{"id": request["id"], "title": "Laptops"}, None]
    assert unseen["_entities"] == [None, None]


DEFINE = """
mutation ($input: DefineApprovalFlowInput!) {
  defineApprovalFlow(input: $input) {
    kind name version active definedBy { id }
    steps { number name rule role employee { id } minAmount { amount currency } }
  }
}
"""


async def test_hr_defines_flows_at_run_time(oa: OAClient, flows: None) -> None:
    contract = {
        "kind": "CONTRACT",
        "name": "Contracts",
        "steps": [
            {"rule": "DEPARTMENT_MANAGER"},
            {"rule": "EMPLOYEE", "employeeId": "emp-ceo", "name": "CEO",
             "minAmount": {"amount": "50000.00", "currency": "CNY"}},
            {"rule": "ROLE", "role": "finance"},
        ],
    }  # fmt: skip

    forbidden = await oa.error(BOB, DEFINE, input=contract)
    first = (await oa.data(HELEN, DEFINE, input=contract))["defineApprovalFlow"]
    second = (await oa.data(HELEN, DEFINE, input={**contract, "steps": contract["steps"][2:]}))[
        "defineApprovalFlow"
    ]
    small = await decide(oa, BOB, SUBMIT, kind="CONTRACT",
                         input={"title": "NDA", "amount": {"amount": "10.00"}})  # fmt: skip
    flows_now = await oa.data(BOB, "{ approvalFlows { kind version } }")

    assert forbidden["code"] == "FORBIDDEN"
    assert first["version"] == 1
    assert first["definedBy"] == {"id": "emp-helen"}
    assert first["steps"] == [
        {"number": 1, "name": "Department manager", "rule": "DEPARTMENT_MANAGER", "role": None,
         "employee": None, "minAmount": None},
        {"number": 2, "name": "CEO", "rule": "EMPLOYEE", "role": None,
         "employee": {"id": "emp-ceo"}, "minAmount": {"amount": "50000.00", "currency": "CNY"}},
        {"number": 3, "name": "Approval by finance", "rule": "ROLE", "role": "finance",
         "employee": None, "minAmount": None},
    ]  # fmt: skip
    assert (second["version"], second["active"]) == (2, True)
    assert [s["role"] for s in small["steps"]] == ["finance"]
    assert flows_now["approvalFlows"] == [
        {"kind": "CONTRACT", "version": 2},
        {"kind": "EXPENSE", "version": 1},
        {"kind": "LEAVE", "version": 1},
        {"kind": "PURCHASE", "version": 1},
    ]


@pytest.mark.parametrize(
    ("steps", "code", "field"),
    [
        ([], "BAD_USER_INPUT", "input.steps"),
        ([{"rule": "ROLE"}], "BAD_USER_INPUT", "input.steps.0.role"),
        ([{"rule": "ROLE", "role": "Finance!"}], "BAD_USER_INPUT", "input.steps.0.role"),
        ([{"rule": "DEPARTMENT_MANAGER", "role": "x"}], "BAD_USER_INPUT", "input.steps.0.role"),
        ([{"rule": "EMPLOYEE"}], "BAD_USER_INPUT", "input.steps.0.employeeId"),
        (
            [{"rule": "DEPARTMENT_MANAGER"}, {"rule": "EMPLOYEE", "employeeId": "emp-ghost"}],
            "NOT_FOUND",
            "input.steps.1.employeeId",
        ),
        (
            [{"rule": "DEPARTMENT_MANAGER", "minAmount": {"amount": "1e5"}}],
            "BAD_USER_INPUT",
            "input.steps.0.minAmount.amount",
        ),
        (
            [{"rule": "DEPARTMENT_MANAGER", "minAmount": {"amount": "1", "currency": "XXX"}}],
            "BAD_USER_INPUT",
            "input.steps.0.minAmount.currency",
        ),
    ],
)
async def test_flow_definitions_are_validated(
    oa: OAClient, steps: list[dict[str, Any]], code: str, field: str
) -> None:
    error = await oa.error(HELEN, DEFINE, input={"kind": "CONTRACT", "name": "C", "steps": steps})

    assert (error["code"], error["field"]) == (code, field)


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"title": " "}, "BAD_USER_INPUT", "input.title"),
        ({"items": []}, "BAD_USER_INPUT", "input.items"),
        ({"budgetPeriod": "2026-13"}, "BAD_USER_INPUT", "input.budgetPeriod"),
        ({"budgetPeriod": "202611"}, "BAD_USER_INPUT", "input.budgetPeriod"),
        ({"payload": [1, 2]}, "BAD_USER_INPUT", "input.payload"),
        ({"items": [{"sku": "A", "quantity": 0, "unitPrice": {"amount": "1"}}]},
         "BAD_USER_INPUT", "input.items.0.quantity"),
        ({"items": [{"sku": "A", "quantity": 1, "unitPrice": {"amount": "1.234"}}]},
         "BAD_USER_INPUT", "input.items.0.unitPrice.amount"),
        ({"items": [{"sku": "A", "quantity": 1, "unitPrice": {"amount": "-1"}}]},
         "BAD_USER_INPUT", "input.items.0.unitPrice.amount"),
        ({"items": [{"sku": "no spaces", "quantity": 1, "unitPrice": {"amount": "1"}}]},
         "BAD_USER_INPUT", "input.items.0.sku"),
        ({"items": [{"sku": "A", "quantity": 1, "unitPrice": {"amount": "1"}},
                    {"sku": "B", "quantity": 1, "unitPrice": {"amount": "1", "currency": "USD"}}]},
         "BAD_USER_INPUT", "input.items.1.unitPrice.currency"),
        ({"items": [{"sku": "A", "quantity": 1, "unitPrice": {"amount": "1", "currency": "USD"}}]},
         "BAD_USER_INPUT", "input.items"),
    ],
)  # fmt: skip
async def test_purchase_requests_are_validated(
    oa: OAClient, flows: None, changes: dict[str, Any], code: str, field: str
) -> None:
    error = await oa.error(BOB, PURCHASE, input={**purchase("1.00"), **changes})

    assert (error["code"], error["field"]) == (code, field)


@pytest.mark.parametrize(
    ("kind", "input", "code", "field"),
    [
        ("EXPENSE", {"title": "Taxi"}, "BAD_USER_INPUT", "input.amount"),
        ("EXPENSE", {"title": "Taxi", "amount": {"amount": "abc"}}, "BAD_USER_INPUT",
         "input.amount.amount"),
        ("PURCHASE", {"title": "x"}, "BAD_USER_INPUT", "kind"),
        ("lower", {"title": "x"}, "BAD_USER_INPUT", "kind"),
        ("TRAINING", {"title": "x"}, "NOT_FOUND", "kind"),
    ],
)  # fmt: skip
async def test_other_requests_are_validated(
    oa: OAClient, flows: None, kind: str, input: dict[str, Any], code: str, field: str
) -> None:
    error = await oa.error(BOB, SUBMIT, kind=kind, input=input)

    assert (error["code"], error["field"]) == (code, field)


async def test_two_decisions_in_one_operation_each_show_their_own_result(
    oa: OAClient, flows: None
) -> None:
    request = await submit_purchase(oa, FIONA, "6000.00")  # Frank: her manager, and finance
    both = """
    mutation ($id: ID!) {
      first: approve(id: $id, step: 1) { status steps { status } }
      second: approve(id: $id, step: 2) { status steps { status } }
    }
    """

    data = await oa.data(FRANK, both, id=request["id"])

    assert data["first"] == {
        "status": "PENDING",
        "steps": [{"status": "APPROVED"}, {"status": "PENDING"}],
    }
    assert data["second"] == {
        "status": "APPROVED",
        "steps": [{"status": "APPROVED"}, {"status": "APPROVED"}],
    }


NOTICES = "{ messages { edges { node { subject body system } } } }"


async def notices(oa: OAClient, who: Principal) -> list[tuple[str, str]]:
    """``who``'s system messages, newest first: (subject, body)."""
    edges = (await oa.data(who, NOTICES))["messages"]["edges"]
    return [(e["node"]["subject"], e["node"]["body"]) for e in edges if e["node"]["system"]]


async def test_the_applicant_is_told_of_a_rejection_and_of_an_approved_expense(
    oa: OAClient, flows: None
) -> None:
    request = await submit_purchase(oa, BOB, "6000.00")
    await decide(oa, ALICE, REJECT, id=request["id"], comment="Too expensive")
    expense = await decide(
        oa, BOB, SUBMIT, kind="EXPENSE",
        input={"title": "Conference", "amount": {"amount": "3200.00"}},
    )  # fmt: skip
    leave = await decide(oa, BOB, SUBMIT, kind="LEAVE", input={"title": "Holiday"})
    await decide(oa, ALICE, APPROVE, id=expense["id"])
    await decide(oa, ALICE, APPROVE, id=leave["id"])

    assert await notices(oa, BOB) == [
        (
            "Expense claim approved: Conference",
            f"Your expense claim {expense['id']} of 3200.00 CNY is approved; finance will book it.",
        ),
        (
            "Request rejected: Laptops",
            f"Alice Li rejected your purchase request {request['id']} (Laptops): Too expensive",
        ),
    ]
    assert await notices(oa, ALICE) == []


async def test_an_approval_the_erp_parked_fails_and_recovers_when_retried(
    oa: OAClient, flows: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    expense = await decide(
        oa, BOB, SUBMIT, kind="EXPENSE",
        input={"title": "Conference", "amount": {"amount": "3200.00"}},
    )  # fmt: skip
    await decide(oa, ALICE, APPROVE, id=expense["id"])
    parked = Event(
        id="p1", topic="erp.event.parked",
        payload={"eventId": "e1", "topic": "oa.approval.approved", "group": "erp",
                 "payload": {"requestId": expense["id"], "kind": "EXPENSE"},
                 "error": {"code": "BAD_USER_INPUT", "message": "An expense is positive.",
                           "field": "amount"}},
    )  # fmt: skip
    for copy in (parked, parked):  # a redelivery changes nothing
        async with transaction(sessions) as session:
            await HANDLERS[copy.topic](session, copy)

    failed = await decide(oa, BOB, REQUEST_QUERY, id=expense["id"])
    assert failed["status"] == "FAILED"
    assert failed["history"][-1] == {
        "action": "FAILED", "step": None, "actor": None, "toEmployee": None,
        "comment": "An expense is positive (amount)",
    }  # fmt: skip
    subject = "Request failed: Conference"
    for who in (BOB, FIONA, FRANK):  # the applicant and the finance role (the process owners)
        assert [s for s, _ in await notices(oa, who) if s == subject] == [subject], who
    assert [s for s, _ in await notices(oa, ALICE) if s == subject] == []

    posted = {"requestId": expense["id"], "entryNo": "JE-202611-0009", "applicantId": "emp-bob"}
    async with transaction(sessions) as session:
        await HANDLERS["erp.expense.posted"](
            session, Event(id="e2", topic="erp.expense.posted", payload=posted)
        )
    assert (await decide(oa, BOB, REQUEST_QUERY, id=expense["id"]))["status"] == "APPROVED"
