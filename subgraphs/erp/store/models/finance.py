"""Finance tables: chart of accounts, journal entries and lines, budgets, fixed assets, salaries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from subgraphs.common.money import DecimalAmount
from subgraphs.erp.store.base import Base
from tandem_shared.crypto_orm import encrypted
from tandem_shared.timestamps import AwareDateTime

__all__ = ["Account", "Asset", "Budget", "EmployeeSalary", "JournalEntry", "JournalLine"]


class Account(Base):
    """One account of the chart of accounts; ``type`` is ASSET/LIABILITY/EQUITY/REVENUE/EXPENSE."""

    __tablename__ = "erp_accounts"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))


class JournalEntry(Base):
    """A posted, balanced journal entry (``JE-YYYYMM-NNNN``); once per source request."""

    __tablename__ = "erp_journal_entries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    entry_no: Mapped[str] = mapped_column(String(32), unique=True)
    entry_date: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(7), index=True)
    memo: Mapped[str] = mapped_column(String(500))
    currency: Mapped[str] = mapped_column(String(3))
    source_request_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    posted_by: Mapped[str] = mapped_column(String(64))
    posted_at: Mapped[datetime] = mapped_column(AwareDateTime())

    lines: Mapped[list[JournalLine]] = relationship(
        back_populates="entry",
        order_by="JournalLine.line_no",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class JournalLine(Base):
    """One debit or credit of an entry (exactly one of the two is positive)."""

    __tablename__ = "erp_journal_lines"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0", name="non_negative"),
        UniqueConstraint("entry_id", "line_no"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("erp_journal_entries.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    account_code: Mapped[str] = mapped_column(ForeignKey("erp_accounts.code"), index=True)
    debit: Mapped[Decimal] = mapped_column(DecimalAmount())
    credit: Mapped[Decimal] = mapped_column(DecimalAmount())
    memo: Mapped[str | None] = mapped_column(String(500))

    entry: Mapped[JournalEntry] = relationship(back_populates="lines")
    account: Mapped[Account] = relationship(lazy="joined")


class Budget(Base):
    """A department's budget for one month: amount, committed (open orders) and spent."""

    __tablename__ = "erp_budgets"
    __table_args__ = (UniqueConstraint("department_id", "period"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    department_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(DecimalAmount())
    committed: Mapped[Decimal] = mapped_column(DecimalAmount())
    spent: Mapped[Decimal] = mapped_column(DecimalAmount())


class Asset(Base):
    """A fixed asset depreciated straight-line, monthly, from the month after acquisition."""

    __tablename__ = "erp_assets"
    __table_args__ = (
        CheckConstraint("useful_life_months > 0", name="useful_life"),
        CheckConstraint("salvage_value >= 0 AND salvage_value <= cost", name="salvage"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    cost: Mapped[Decimal] = mapped_column(DecimalAmount())
    salvage_value: Mapped[Decimal] = mapped_column(DecimalAmount())
    acquisition_date: Mapped[date] = mapped_column(Date)
    useful_life_months: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())


class EmployeeSalary(Base):
    """An OA employee's monthly salary, stored as one envelope (``Employee.salary``)."""

    __tablename__ = "erp_employee_salaries"

    employee_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    salary: Mapped[str] = mapped_column(
        Text, info=encrypted("Employee", "salary", key="employee_id")
    )
    """The envelope of the ``Money`` as JSON, ``{"amount": "18000.00", "currency": "CNY"}``
    (:mod:`tandem_shared.crypto_orm` seals the plain JSON on flush)."""
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())
