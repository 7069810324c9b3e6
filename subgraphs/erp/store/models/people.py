"""The ERP's copy of OA's people and departments, kept by OA's events (OA owns them).

The ERP books a person's purchases and costs to their department and refuses to act for a
deactivated person; both need OA's people without calling OA (no subgraph calls another).
Rows are written only by the consumer of ``oa.employee.changed`` / ``oa.department.changed``
(:mod:`subgraphs.erp.store.people`); ``revision`` is OA's, so an older change delivered late
never overwrites a newer one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from subgraphs.erp.store.base import Base
from tandem_shared.timestamps import AwareDateTime

__all__ = ["DepartmentCopy", "PersonCopy"]


class DepartmentCopy(Base):
    """A department as OA last announced it."""

    __tablename__ = "erp_departments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(String(64))
    manager_id: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean)
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())


class PersonCopy(Base):
    """An employee as OA last announced them: who they are, where they belong, if active."""

    __tablename__ = "erp_people"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[str] = mapped_column(String(64), index=True)
    manager_id: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean)
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())
