"""Reads of many parents' rows at once, for the API's per-request loaders (api/loaders.py):
a page of 100 items asks its stock levels in one query, not 100."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.erp.store.models import Item, SalesOrder, StockLevel, Supplier, Warehouse
from subgraphs.erp.store.sales import OPEN_STATUSES

__all__ = ["exposures_by_customers", "items_by_skus", "stock_levels_by_skus", "suppliers_by_ids"]


async def items_by_skus(session: AsyncSession, skus: Sequence[str]) -> Mapping[str, Item]:
    """The items of ``skus`` that exist."""
    rows = await session.scalars(select(Item).where(Item.sku.in_(skus)))
    return {row.sku: row for row in rows}


async def suppliers_by_ids(session: AsyncSession, ids: Sequence[str]) -> Mapping[str, Supplier]:
    """The suppliers of ``ids`` that exist."""
    rows = await session.scalars(select(Supplier).where(Supplier.id.in_(ids)))
    return {row.id: row for row in rows}


async def stock_levels_by_skus(
    session: AsyncSession, skus: Sequence[str]
) -> Mapping[str, list[StockLevel]]:
    """Each item's stock in every warehouse that ever held it, by warehouse code (as
    ``inventory.stock_levels`` answers for one)."""
    statement = (
        select(StockLevel)
        .join(Warehouse)
        .where(StockLevel.sku.in_(skus))
        .order_by(StockLevel.sku, Warehouse.code)
    )
    levels: defaultdict[str, list[StockLevel]] = defaultdict(list)
    for row in await session.scalars(statement):
        levels[row.sku].append(row)
    return levels


async def exposures_by_customers(
    session: AsyncSession, customer_ids: Sequence[str]
) -> Mapping[str, Decimal]:
    """Each customer's total of unpaid (CONFIRMED or SHIPPED) orders; a customer without
    any is left out (the loader reads it as none: zero)."""
    statement = (
        select(SalesOrder.customer_id, func.sum(SalesOrder.total))
        .where(SalesOrder.customer_id.in_(customer_ids), SalesOrder.status.in_(OPEN_STATUSES))
        .group_by(SalesOrder.customer_id)
    )
    return {customer: Decimal(total) for customer, total in await session.execute(statement)}
