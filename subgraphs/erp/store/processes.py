"""The ERP side of the processes that cross into OA (DOMAIN.md), as consumer-ready functions.

Each takes a session inside the consumer's transaction and an event (a dict, as OA
publishes it), is idempotent per approval request, and writes its own outgoing events to
the outbox in the same transaction. An event that can never succeed (an unknown sku, an
amount that does not add up) raises ``BadUserInput`` naming the event field: a consumer
should park it rather than retry.

Purchase event ``{requestId, kind: "PURCHASE", applicantId, departmentId, amount, currency,
items: [{sku, quantity, unitPrice, supplierId}], period, approvedAt}``:

- creates exactly one purchase order linked to the request (a repeat returns it);
- its supplier is the first ``supplierId`` given, else the first item's preferred
  supplier; all items go on that one order;
- commits ``amount`` against the department's budget for ``period`` (``YYYY-MM`` or
  ``YYYYMM``; default: the month of ``approvedAt``). **Budget overruns:** the order is
  created anyway and flagged ``budgetExceeded`` (a missing budget is created at 0, so
  the commitment shows). The request was approved by the people entitled to approve it, finance
  included above its threshold; refusing here would leave an approved request with no
  order and the commitment unrecorded, while finance teams expect every commitment on
  the books and overruns reported for review;
- records ``erp.purchase_order.created``.

Expense event ``{requestId, kind: "EXPENSE", applicantId, departmentId, amount, currency,
period, approvedAt, memo?}``: posts one balanced entry (debit 6602 administrative
expenses, credit 2241 other payables, accounts created if missing), counts the amount as
spent in the department's budget, records ``erp.expense.posted``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.company_time import in_company_zone
from subgraphs.common.errors import BadUserInput
from subgraphs.common.money import parse_amount, validate_currency
from subgraphs.common.timestamps import parse_datetime
from subgraphs.erp.store import events, finance, procurement
from subgraphs.erp.store.base import parse_period, period_of
from subgraphs.erp.store.checks import require_id, require_positive
from subgraphs.erp.store.models import Item, JournalEntry

__all__ = [
    "EXPENSE_ACCOUNT",
    "PAYABLE_ACCOUNT",
    "create_purchase_order_from_request",
    "post_expense_from_request",
]

EXPENSE_ACCOUNT: Final = ("6602", "Administrative expenses", finance.AccountType.EXPENSE)
PAYABLE_ACCOUNT: Final = ("2241", "Other payables", finance.AccountType.LIABILITY)
SYSTEM_ACTOR: Final = "system:approvals"
"""Who the ERP records as acting for an approved request."""


async def create_purchase_order_from_request(
    session: AsyncSession, event: Mapping[str, Any]
) -> str:
    """The order number of the request's purchase order, created now or before."""
    request_id = require_id(event.get("requestId"), "requestId")
    existing = await procurement.purchase_order_for_request(session, request_id)
    if existing is not None:
        return existing.order_no
    _expect_kind(event, "PURCHASE")
    currency = validate_currency(event.get("currency") or "", field="currency")
    amount = parse_amount(_text(event, "amount"), currency, field="amount")
    applicant = require_id(event.get("applicantId"), "applicantId")
    department = require_id(event.get("departmentId"), "departmentId")
    period = _period(event)
    items = event.get("items")
    if not isinstance(items, list) or not items:
        raise BadUserInput("A purchase request has at least one item.", field="items")
    lines, supplier_id = [], None
    for index, raw in enumerate(items):
        field = f"items.{index}"
        if not isinstance(raw, Mapping):
            raise BadUserInput("An item is an object.", field=field)
        sku = require_id(raw.get("sku"), f"{field}.sku")
        quantity = _quantity(raw.get("quantity"), f"{field}.quantity")
        price = parse_amount(_text(raw, "unitPrice", field), currency, field=f"{field}.unitPrice")
        lines.append(procurement.OrderLineSpec(sku, quantity, price))
        if supplier_id is None and raw.get("supplierId"):
            supplier_id = require_id(raw.get("supplierId"), f"{field}.supplierId")
    total = sum((line.quantity * line.unit_price for line in lines), Decimal(0))
    if total != amount:
        raise BadUserInput(f"The items add up to {total}, not {amount}.", field="amount")
    if supplier_id is None:
        item = await session.get(Item, lines[0].sku)
        supplier_id = None if item is None else item.preferred_supplier_id
        if supplier_id is None:
            raise BadUserInput("No supplier given or preferred.", field="items.0.supplierId")
    order, created = await procurement.create_purchase_order(
        session,
        supplier_id=supplier_id,
        lines=lines,
        currency=currency,
        actor=SYSTEM_ACTOR,
        requested_by=applicant,
        department_id=department,
        budget_period=period,
        approval_request_id=request_id,
        field="event",
    )
    if created:
        await events.record_event(
            session,
            events.PURCHASE_ORDER_CREATED,
            request_id,
            {
                "requestId": request_id,
                "orderNo": order.order_no,
                "applicantId": applicant,
                "purchaseOrderId": order.id,
                "budgetExceeded": order.budget_exceeded,
            },
        )
    return order.order_no


async def post_expense_from_request(session: AsyncSession, event: Mapping[str, Any]) -> str:
    """The number of the journal entry booking the request's expense, posted now or before."""
    request_id = require_id(event.get("requestId"), "requestId")
    existing = await _entry_for_request(session, request_id)
    if existing is not None:
        return existing
    _expect_kind(event, "EXPENSE")
    currency = validate_currency(event.get("currency") or "", field="currency")
    amount = parse_amount(_text(event, "amount"), currency, field="amount")
    if amount <= 0:
        raise BadUserInput("An expense is positive.", field="amount")
    applicant = require_id(event.get("applicantId"), "applicantId")
    department = require_id(event.get("departmentId"), "departmentId")
    period = _period(event)
    memo = str(event.get("memo") or f"Expense claim {request_id} of {applicant}")[:500]
    for code, name, kind in (EXPENSE_ACCOUNT, PAYABLE_ACCOUNT):
        await finance.ensure_account(session, code, name, kind)
    lines = [
        finance.LineSpec(EXPENSE_ACCOUNT[0], debit=amount, memo=f"department {department}"),
        finance.LineSpec(PAYABLE_ACCOUNT[0], credit=amount, memo=f"payable to {applicant}"),
    ]
    try:
        async with session.begin_nested():
            entry = await finance.post_journal_entry(
                session,
                entry_date=in_company_zone(_approved_at(event)).date(),
                memo=memo,
                currency=currency,
                lines=lines,
                actor=SYSTEM_ACTOR,
                source_request_id=request_id,
            )
    except IntegrityError:
        posted = await _entry_for_request(session, request_id)
        if posted is None:
            raise
        return posted
    await finance.spend_budget(session, department, period, amount, currency)
    await events.record_event(
        session,
        events.EXPENSE_POSTED,
        request_id,
        {"requestId": request_id, "entryNo": entry.entry_no, "applicantId": applicant},
    )
    return entry.entry_no


async def _entry_for_request(session: AsyncSession, request_id: str) -> str | None:
    statement = select(JournalEntry.entry_no).where(JournalEntry.source_request_id == request_id)
    return await session.scalar(statement)


def _expect_kind(event: Mapping[str, Any], kind: str) -> None:
    if event.get("kind", kind) != kind:
        raise BadUserInput(f"Expected a {kind} request.", field="kind")


def _text(event: Mapping[str, Any], key: str, parent: str | None = None) -> str:
    value = event.get(key)
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        field = f"{parent}.{key}" if parent else key
        raise BadUserInput("Expected a decimal string.", field=field)
    return value


def _quantity(value: Any, field: str) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return require_positive(value, field)
    raise BadUserInput("A quantity is a whole number.", field=field)


def _approved_at(event: Mapping[str, Any]) -> datetime:
    return parse_datetime(_text(event, "approvedAt"), field="approvedAt")


def _period(event: Mapping[str, Any]) -> str:
    period = event.get("period")
    if isinstance(period, str) and len(period) == 6 and period.isdigit():
        # OA published YYYYMM before both subgraphs wrote YYYY-MM: events already in the
        # stream when the OA is upgraded still carry it (the public API accepts YYYY-MM only)
        period = f"{period[:4]}-{period[4:]}"
    if period:
        return parse_period(str(period))
    return period_of(_approved_at(event))
