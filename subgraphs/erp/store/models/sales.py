"""Sales tables: customers (with a credit limit), sales orders and their lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from subgraphs.common.money import DecimalAmount
from subgraphs.erp.store.base import Base
from subgraphs.erp.store.models.inventory import Item, Warehouse
from tandem_shared.crypto_orm import encrypted
from tandem_shared.timestamps import AwareDateTime

__all__ = ["Customer", "SalesOrder", "SalesOrderLine"]


class Customer(Base):
    """A company or person the ERP sells to (``CUS-000042``)."""

    __tablename__ = "erp_customers"
    __table_args__ = (CheckConstraint("credit_limit >= 0", name="credit_limit"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(Text, info=encrypted("Customer", "phone"))
    """An envelope (:mod:`tandem_shared.crypto_orm` seals a plain value on flush)."""
    currency: Mapped[str] = mapped_column(String(3))
    credit_limit: Mapped[Decimal] = mapped_column(DecimalAmount())
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())


class SalesOrder(Base):
    """An order from a customer (``SO-YYYYMM-NNNN``): CONFIRMED, SHIPPED, CLOSED or CANCELLED."""

    __tablename__ = "erp_sales_orders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_no: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("erp_customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(DecimalAmount())
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)
    shipped_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    customer: Mapped[Customer] = relationship(lazy="joined")
    lines: Mapped[list[SalesOrderLine]] = relationship(
        order_by="SalesOrderLine.line_no", cascade="all, delete-orphan", lazy="selectin"
    )


class SalesOrderLine(Base):
    """``quantity`` units of an item from a warehouse at ``unit_price``."""

    __tablename__ = "erp_sales_order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        UniqueConstraint("order_id", "line_no"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("erp_sales_orders.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(ForeignKey("erp_items.sku"), index=True)
    warehouse_id: Mapped[str] = mapped_column(ForeignKey("erp_warehouses.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(DecimalAmount())
    amount: Mapped[Decimal] = mapped_column(DecimalAmount())

    item: Mapped[Item] = relationship(lazy="joined")
    warehouse: Mapped[Warehouse] = relationship(lazy="joined")
