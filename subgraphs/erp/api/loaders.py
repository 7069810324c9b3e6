"""Per-request data loaders of the relations the console's list pages walk: an item's stock
levels and preferred supplier, a customer's open balance, entity references by key.

A query's fields share one set. Each root field of a mutation gets its own, made when its
result's fields are first resolved, i.e. after that mutation committed, so a later mutation
of the same operation never reads what an earlier one's result cached. A subscription's
context lives as long as its socket: each event reads afresh, through a set of its own.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from graphql import OperationType
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from subgraphs.common.identity import current_principal
from subgraphs.common.loaders import many, one
from subgraphs.erp.store import batch_reads
from subgraphs.erp.store.models import Item, StockLevel, Supplier

__all__ = ["Loaders", "loaders"]

_LOADERS = "erp.loaders"


class Loaders:
    """The loaders of one query (or of one mutation's result)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.item: DataLoader[str, Item | None] = one(sessions, batch_reads.items_by_skus)
        self.supplier: DataLoader[str, Supplier | None] = one(
            sessions, batch_reads.suppliers_by_ids
        )
        self.stock_levels: DataLoader[str, list[StockLevel]] = many(
            sessions, batch_reads.stock_levels_by_skus
        )
        self.exposure: DataLoader[str, Decimal | None] = one(
            sessions, batch_reads.exposures_by_customers
        )


def loaders(info: Info[Any, Any]) -> Loaders:
    """The loaders this field resolves through (the principal is checked first, as for a
    session)."""
    current_principal(info)
    sessions: async_sessionmaker[AsyncSession] = info.context["sessions"]
    operation = info.operation.operation
    if operation is OperationType.SUBSCRIPTION:
        return Loaders(sessions)
    root = info.path
    while root.prev is not None:
        root = root.prev
    key = root.key if operation is OperationType.MUTATION else None
    made: dict[str | int | None, Loaders] = info.context.setdefault(_LOADERS, {})
    if key not in made:
        made[key] = Loaders(sessions)
    return made[key]
