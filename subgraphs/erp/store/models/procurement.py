"""Procurement tables: suppliers, purchase orders (one per approval request) and their lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from subgraphs.common.money import DecimalAmount
from subgraphs.erp.store.base import Base
from subgraphs.erp.store.models.inventory import Item, Warehouse
from tandem_shared.crypto_orm import encrypted
from tandem_shared.timestamps import AwareDateTime

__all__ = ["PurchaseOrder", "PurchaseOrderLine", "Supplier"]


class Supplier(Base):
    """A company the ERP buys from; ``rating`` 1 (poor) to 5 (excellent)."""

    __tablename__ = "erp_suppliers"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    bank_account: Mapped[str | None] = mapped_column(
        String(500), info=encrypted("Supplier", "bankAccount")
    )
    """An envelope (:mod:`tandem_shared.crypto_orm` seals a plain value on flush)."""
    rating: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())


class PurchaseOrder(Base):
    """An order placed with a supplier; ``approval_request_id`` links it to OA, at most once."""

    __tablename__ = "erp_purchase_orders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_no: Mapped[str] = mapped_column(String(32), unique=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("erp_suppliers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(DecimalAmount())
    department_id: Mapped[str | None] = mapped_column(String(64))
    budget_period: Mapped[str | None] = mapped_column(String(7))
    budget_exceeded: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[str | None] = mapped_column(String(64), index=True)
    approval_request_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    received_warehouse_id: Mapped[str | None] = mapped_column(ForeignKey("erp_warehouses.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    received_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    supplier: Mapped[Supplier] = relationship(lazy="joined")
    received_into: Mapped[Warehouse | None] = relationship(lazy="joined")
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        order_by="PurchaseOrderLine.line_no", cascade="all, delete-orphan", lazy="selectin"
    )


class PurchaseOrderLine(Base):
    """``quantity`` units of an item at ``unit_price``; ``amount`` is their product."""

    __tablename__ = "erp_purchase_order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        UniqueConstraint("order_id", "line_no"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("erp_purchase_orders.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(ForeignKey("erp_items.sku"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(DecimalAmount())
    amount: Mapped[Decimal] = mapped_column(DecimalAmount())

    item: Mapped[Item] = relationship(lazy="joined")
