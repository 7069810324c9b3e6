"""Production tables: bills of materials, production plans, work orders, quality inspections."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from subgraphs.common.money import DecimalAmount
from subgraphs.erp.store.base import Base
from subgraphs.erp.store.models.inventory import Item, Warehouse
from tandem_shared.timestamps import AwareDateTime

__all__ = ["BillOfMaterials", "BomComponent", "ProductionPlan", "QualityInspection", "WorkOrder"]


class BillOfMaterials(Base):
    """What one unit of ``product_sku`` is made of, and the labour it takes."""

    __tablename__ = "erp_boms"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_sku: Mapped[str] = mapped_column(ForeignKey("erp_items.sku"), unique=True)
    labour_hours: Mapped[Decimal] = mapped_column(DecimalAmount())
    """Hours of labour per unit made."""
    labour_rate: Mapped[Decimal] = mapped_column(DecimalAmount())
    """Cost of one hour of labour, in ``currency``."""
    currency: Mapped[str] = mapped_column(String(3))

    product: Mapped[Item] = relationship(lazy="joined")
    components: Mapped[list[BomComponent]] = relationship(
        order_by="BomComponent.component_sku", cascade="all, delete-orphan", lazy="selectin"
    )


class BomComponent(Base):
    """``quantity`` units of ``component_sku`` go into one unit of the product."""

    __tablename__ = "erp_bom_components"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    bom_id: Mapped[str] = mapped_column(ForeignKey("erp_boms.id"), primary_key=True)
    component_sku: Mapped[str] = mapped_column(ForeignKey("erp_items.sku"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)

    item: Mapped[Item] = relationship(lazy="joined")


class ProductionPlan(Base):
    """A named plan for a period; its work orders say what to make."""

    __tablename__ = "erp_production_plans"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(7), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())


class WorkOrder(Base):
    """Make ``quantity`` of an item: PLANNED, RELEASED, IN_PROGRESS, COMPLETED or CANCELLED."""

    __tablename__ = "erp_work_orders"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("completed >= 0 AND completed <= quantity", name="completed"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_no: Mapped[str] = mapped_column(String(32), unique=True)
    plan_id: Mapped[str | None] = mapped_column(ForeignKey("erp_production_plans.id"), index=True)
    sku: Mapped[str] = mapped_column(ForeignKey("erp_items.sku"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)
    warehouse_id: Mapped[str | None] = mapped_column(ForeignKey("erp_warehouses.id"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    released_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    item: Mapped[Item] = relationship(lazy="joined")
    warehouse: Mapped[Warehouse | None] = relationship(lazy="joined")


class QualityInspection(Base):
    """An inspection of a work order's output: how many inspected, defects, verdict."""

    __tablename__ = "erp_quality_inspections"
    __table_args__ = (
        CheckConstraint("inspected > 0 AND defects >= 0 AND defects <= inspected", name="counts"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("erp_work_orders.id"), index=True)
    inspected: Mapped[int] = mapped_column(Integer)
    defects: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(String(1000))
    inspector: Mapped[str] = mapped_column(String(64))
    inspected_at: Mapped[datetime] = mapped_column(AwareDateTime())
