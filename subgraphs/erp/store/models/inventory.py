"""Inventory tables: items, warehouses, stock levels (never negative) and stock movements."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from subgraphs.common.money import DecimalAmount
from subgraphs.erp.store.base import Base
from tandem_shared.timestamps import AwareDateTime

if TYPE_CHECKING:
    from subgraphs.erp.store.models.procurement import Supplier

__all__ = ["Item", "StockLevel", "StockMovement", "Warehouse"]


class Warehouse(Base):
    """A place stock is kept."""

    __tablename__ = "erp_warehouses"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(200))


class Item(Base):
    """An article bought, sold or made, keyed by its ``sku``; costs and prices in ``currency``."""

    __tablename__ = "erp_items"
    __table_args__ = (CheckConstraint("reorder_level >= 0", name="reorder_level"),)

    sku: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    standard_cost: Mapped[Decimal] = mapped_column(DecimalAmount())
    list_price: Mapped[Decimal] = mapped_column(DecimalAmount())
    preferred_supplier_id: Mapped[str | None] = mapped_column(ForeignKey("erp_suppliers.id"))
    reorder_level: Mapped[int | None] = mapped_column(Integer)
    """Order again when the available quantity (every warehouse) falls below it; None: never."""

    preferred_supplier: Mapped[Supplier | None] = relationship(lazy="joined")


class StockLevel(Base):
    """Units of an item in a warehouse: on hand, and reserved for open sales orders."""

    __tablename__ = "erp_stock_levels"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_non_negative"),
        CheckConstraint("reserved >= 0 AND reserved <= quantity", name="reserved_in_stock"),
    )

    sku: Mapped[str] = mapped_column(ForeignKey("erp_items.sku"), primary_key=True)
    warehouse_id: Mapped[str] = mapped_column(ForeignKey("erp_warehouses.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())

    warehouse: Mapped[Warehouse] = relationship(lazy="joined")


class StockMovement(Base):
    """One change of on-hand stock: a receipt, an issue, an adjustment, a production move."""

    __tablename__ = "erp_stock_movements"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    sku: Mapped[str] = mapped_column(ForeignKey("erp_items.sku"), index=True)
    warehouse_id: Mapped[str] = mapped_column(ForeignKey("erp_warehouses.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    """Signed: positive into the warehouse, negative out of it."""
    kind: Mapped[str] = mapped_column(String(30))
    reference: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(AwareDateTime())

    warehouse: Mapped[Warehouse] = relationship(lazy="joined")
