"""Where an approval request stands against its department's budget, for its approvers.

OA holds the request (department, month, amount); the ERP holds the budget. The gateway
brings the request's fields to the ERP (``@requires`` on ``ApprovalRequest.budgetPosition``)
and this module answers what the budget shows now and what it would show once the request
is booked. A request already booked (its purchase order created, its expense posted) is in
``committed`` or ``spent`` already and is not counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.erp.store import finance, procurement
from subgraphs.erp.store.models import JournalEntry

__all__ = ["BudgetPosition", "budget_position"]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class BudgetPosition:
    """A department's month as the request meets it; amounts in ``currency`` (the budget's)."""

    department_id: str
    period: str
    currency: str
    budget_set: bool
    amount: Decimal
    committed: Decimal
    spent: Decimal
    requested: Decimal
    requested_currency: str
    booked: bool

    @property
    def available(self) -> Decimal:
        """``amount - committed - spent``: may be negative."""
        return self.amount - self.committed - self.spent

    @property
    def available_after(self) -> Decimal | None:
        """What remains once the request is booked; None when the currencies differ."""
        if self.requested_currency != self.currency:
            return None
        return self.available if self.booked else self.available - self.requested


async def budget_position(
    session: AsyncSession,
    *,
    request_id: str,
    department_id: str,
    period: str,
    requested: Decimal,
    currency: str,
) -> BudgetPosition:
    """The position of ``request_id`` (``requested`` ``currency``) in ``department_id``'s month."""
    budget = await finance.get_budget(session, department_id, period)
    booked = await procurement.purchase_order_for_request(session, request_id) is not None or (
        await session.scalar(
            select(JournalEntry.id).where(JournalEntry.source_request_id == request_id)
        )
        is not None
    )
    if budget is None:
        return BudgetPosition(
            department_id, period, currency, False, ZERO, ZERO, ZERO, requested, currency, booked
        )
    return BudgetPosition(
        department_id,
        period,
        budget.currency,
        True,
        budget.amount,
        budget.committed,
        budget.spent,
        requested,
        currency,
        booked,
    )
