"""OA's copy of the ERP's items, suppliers and budgets, and the checks at submission that use it.

A purchase request naming an item or a supplier the ERP does not know, or asking for more
than its department's budget has left, used to be accepted and to fail only after approval.
OA and ERP never call each other (``subgraphs/README.md``), so the ERP publishes the state of
each item, supplier and budget after every change (``erp.item.changed``,
``erp.supplier.changed``, ``erp.budget.changed``; :mod:`subgraphs.erp.store.reference`) and
OA keeps the latest one per key here (``oa_erp_items``, ``oa_erp_suppliers``,
``oa_erp_budgets``). :func:`check_items` and :func:`check_budget` refuse a submission against
it with ``BAD_USER_INPUT`` naming ``input.items.N.sku``, ``input.items.N.supplierId`` or
``input.budgetPeriod`` (with ``available`` in ``extensions``).

The copy is eventually consistent, and the ERP's own checks when it applies an approval stay
the last word (a request they refuse fails visibly: :mod:`subgraphs.oa.store.failures`).
Hence what the copy cannot know is not refused: an OA whose copy holds no item (no supplier)
at all has never heard from the ERP and checks none, and a month without a budget in the copy,
or with a budget of 0 (none planned: the ERP creates one at 0 when it books an order into such
a month), is not checked (the ERP books the order and flags the overrun). The budget check
compares the request with what the ERP shows available now; requests still pending in OA are
not counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Table, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import BadUserInput, InputChecks
from subgraphs.common.events.bus import Event
from subgraphs.common.events.consumer import Handler
from subgraphs.common.money import format_amount, parse_amount, validate_currency
from subgraphs.oa.store.models import erp_budgets, erp_items, erp_suppliers
from tandem_shared.timestamps import parse_iso8601

__all__ = [
    "BUDGET_CHANGED",
    "HANDLERS",
    "ITEM_CHANGED",
    "SUPPLIER_CHANGED",
    "check_budget",
    "check_items",
    "on_budget_changed",
    "on_item_changed",
    "on_supplier_changed",
]

ITEM_CHANGED: Final = "erp.item.changed"
SUPPLIER_CHANGED: Final = "erp.supplier.changed"
BUDGET_CHANGED: Final = "erp.budget.changed"


# -- keeping the copy ----------------------------------------------------------------------


async def on_item_changed(session: AsyncSession, event: Event) -> None:
    """Keep the item's latest state."""
    payload = event.payload
    row = {"sku": _text(payload, "sku"), "name": _text(payload, "name")}
    await _keep(session, erp_items, row, _as_of(payload))


async def on_supplier_changed(session: AsyncSession, event: Event) -> None:
    """Keep the supplier's latest state."""
    payload = event.payload
    row = {"id": _text(payload, "supplierId"), "name": _text(payload, "name")}
    await _keep(session, erp_suppliers, row, _as_of(payload))


async def on_budget_changed(session: AsyncSession, event: Event) -> None:
    """Keep the budget's latest figures."""
    payload = event.payload
    currency = validate_currency(_text(payload, "currency"), field="currency")
    row: dict[str, Any] = {
        "department_id": _text(payload, "departmentId"),
        "period": _text(payload, "period"),
        "currency": currency,
        **{
            key: parse_amount(_text(payload, key), currency, field=key)
            for key in ("amount", "committed", "spent")
        },
    }
    await _keep(session, erp_budgets, row, _as_of(payload))


HANDLERS: Final[Mapping[str, Handler]] = {
    ITEM_CHANGED: on_item_changed,
    SUPPLIER_CHANGED: on_supplier_changed,
    BUDGET_CHANGED: on_budget_changed,
}
"""Topic -> handler, for the OA's event worker."""


async def _keep(session: AsyncSession, table: Table, row: dict[str, Any], as_of: datetime) -> None:
    """Insert ``row``, or replace the stored one if it is older than ``as_of`` (a late
    re-delivery of an older state changes nothing)."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    values = {**row, "as_of": as_of}
    keys = [column.name for column in table.primary_key.columns]
    statement = insert.values(values).on_conflict_do_update(
        index_elements=keys,
        set_={name: value for name, value in values.items() if name not in keys},
        where=table.c.as_of < insert.excluded.as_of,
    )
    await session.execute(statement)


def _text(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise BadUserInput(f"The event has no {key}.", field=key)
    return value


def _as_of(payload: Mapping[str, Any]) -> datetime:
    try:
        return parse_iso8601(payload.get("asOf"))
    except ValueError:
        raise BadUserInput("The event's asOf is not an ISO 8601 date-time.", field="asOf") from None


# -- checking a submission -----------------------------------------------------------------


async def check_items(
    session: AsyncSession, checks: InputChecks, lines: Sequence[tuple[str, str | None]]
) -> None:
    """Keep in ``checks`` each line's (``sku``, ``supplierId``) the ERP does not know."""
    skus = {sku for sku, _ in lines if isinstance(sku, str)}
    suppliers = {supplier for _, supplier in lines if isinstance(supplier, str)}
    known_skus = await _known(session, erp_items.c.sku, skus)
    known_suppliers = await _known(session, erp_suppliers.c.id, suppliers)
    for index, (sku, supplier) in enumerate(lines):
        if known_skus is not None and isinstance(sku, str) and sku not in known_skus:
            checks.fail(f"The ERP has no item {sku!r}.", field=f"input.items.{index}.sku")
        if known_suppliers is not None and supplier is not None and supplier not in known_suppliers:
            checks.fail(
                f"The ERP has no supplier {supplier!r}.", field=f"input.items.{index}.supplierId"
            )


async def check_budget(
    session: AsyncSession,
    checks: InputChecks,
    *,
    department_id: str,
    period: str,
    amount: Decimal,
    currency: str,
) -> None:
    """Keep in ``checks`` a request of ``amount`` that exceeds what the department's budget
    for ``period`` has available (``amount - committed - spent``, as the ERP last said)."""
    row = (
        await session.execute(
            select(erp_budgets).where(
                erp_budgets.c.department_id == department_id, erp_budgets.c.period == period
            )
        )
    ).one_or_none()
    if row is None or row.currency != currency or row.amount <= 0:
        return  # no budget planned: the ERP books the order and flags the overrun
    available: Decimal = row.amount - row.committed - row.spent
    if amount <= available:
        return
    shown = {"amount": format_amount(available, currency), "currency": currency}
    checks.errors.append(
        BadUserInput(
            f"The request ({format_amount(amount, currency)} {currency}) exceeds the "
            f"{shown['amount']} {currency} left in the department's budget for {period}.",
            field="input.budgetPeriod",
            extensions={"available": shown},
        )
    )


async def _known(session: AsyncSession, column: Any, wanted: set[str]) -> set[str] | None:
    """Which of ``wanted`` the copy holds; None while the copy holds nothing at all."""
    if not await session.scalar(select(exists().where(column.isnot(None)))):
        return None
    if not wanted:
        return set()
    return set(await session.scalars(select(column).where(column.in_(wanted))))
