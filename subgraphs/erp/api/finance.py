"""Finance API: chart of accounts, journal entries, trial balance, budgets, fixed assets."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from strawberry.types import Info

from subgraphs.common.company_time import company_zone
from subgraphs.common.errors import InputChecks
from subgraphs.common.money import DEFAULT_CURRENCY, Money, MoneyInput, validate_currency
from subgraphs.common.pagination import Connection
from subgraphs.erp.api.context import (
    UNREAD,
    actor,
    connection,
    found,
    money,
    money_input,
    session,
)
from subgraphs.erp.store import finance
from subgraphs.erp.store import models as m
from subgraphs.erp.store.base import parse_period
from subgraphs.erp.store.checks import require_id

if TYPE_CHECKING:
    from subgraphs.erp.api.actors import Actor
    from subgraphs.erp.api.entities import Department

__all__ = [
    "Account",
    "AccountType",
    "Asset",
    "Budget",
    "JournalEntry",
    "Mutation",
    "Query",
    "TrialBalance",
]


@strawberry.enum(description="ASSET and EXPENSE accounts carry debit balances, others credit.")
class AccountType(Enum):
    ASSET = "ASSET"
    LIABILITY = "LIABILITY"
    EQUITY = "EQUITY"
    REVENUE = "REVENUE"
    EXPENSE = "EXPENSE"


@strawberry.type(description="An account of the chart of accounts.")
class Account:
    code: strawberry.ID
    name: str
    type: AccountType

    @classmethod
    def of(cls, row: m.Account) -> Self:
        return cls(code=strawberry.ID(row.code), name=row.name, type=AccountType[row.type])


@strawberry.type(description="A debit or a credit of a journal entry.")
class JournalLine:
    line_no: int
    account: Account
    debit: Money
    credit: Money
    memo: str | None


@strawberry.type(description="A posted journal entry (JE-YYYYMM-NNNN); always balanced.")
class JournalEntry:
    id: strawberry.ID
    entry_no: str
    entry_date: date
    period: str
    memo: str
    lines: list[JournalLine]
    total: Money = strawberry.field(description="Total debits (= total credits).")
    posted_by_subject: strawberry.Private[str]
    posted_at: datetime
    source_request_id: strawberry.ID | None = strawberry.field(
        description="The approval request the entry was posted for, if any."
    )

    @strawberry.field(description="Who posted it: an employee, or the system.")
    def posted_by(self) -> Annotated[Actor, strawberry.lazy("subgraphs.erp.api.actors")]:
        from subgraphs.erp.api.actors import actor_of

        return actor_of(self.posted_by_subject)

    @classmethod
    def of(cls, row: m.JournalEntry) -> Self:
        lines = [
            JournalLine(
                line_no=line.line_no,
                account=Account.of(line.account),
                debit=money(line.debit, row.currency),
                credit=money(line.credit, row.currency),
                memo=line.memo,
            )
            for line in row.lines
        ]
        total = sum((line.debit for line in row.lines), finance.ZERO)
        return cls(
            id=strawberry.ID(row.id),
            entry_no=row.entry_no,
            entry_date=row.entry_date,
            period=row.period,
            memo=row.memo,
            lines=lines,
            total=money(total, row.currency),
            posted_by_subject=row.posted_by,
            posted_at=row.posted_at,
            source_request_id=None
            if row.source_request_id is None
            else strawberry.ID(row.source_request_id),
        )


@strawberry.type(description="An account's movement in the period and its closing balance.")
class TrialBalanceLine:
    account: Account
    period_debit: Money
    period_credit: Money
    debit: Money = strawberry.field(description="Closing debit balance (or zero).")
    credit: Money = strawberry.field(description="Closing credit balance (or zero).")


@strawberry.type(description="Closing balances of every account at the end of a period.")
class TrialBalance:
    period: str
    currency: str
    lines: list[TrialBalanceLine]
    total_debit: Money
    total_credit: Money
    balanced: bool


@strawberry.type(description="A department's budget for one month.")
class Budget:
    id: strawberry.ID
    department_id: strawberry.ID
    period: str = strawberry.field(description="The month, YYYY-MM.")
    amount: Money
    committed: Money = strawberry.field(description="Ordered, not yet received.")
    spent: Money
    available: Money = strawberry.field(description="amount - committed - spent; may be < 0.")
    exceeded: bool

    @strawberry.field
    def department(self) -> Annotated[Department, strawberry.lazy("subgraphs.erp.api.entities")]:
        from subgraphs.erp.api.entities import Department

        return Department(id=self.department_id)

    @classmethod
    def of(cls, row: m.Budget) -> Self:
        available = row.amount - row.committed - row.spent
        return cls(
            id=strawberry.ID(row.id),
            department_id=strawberry.ID(row.department_id),
            period=row.period,
            amount=money(row.amount, row.currency),
            committed=money(row.committed, row.currency),
            spent=money(row.spent, row.currency),
            available=money(available, row.currency),
            exceeded=available < 0,
        )


@strawberry.type(description="One month of straight-line depreciation.")
class DepreciationLine:
    period: str
    amount: Money
    accumulated: Money
    book_value: Money


@strawberry.type(description="A fixed asset, depreciated straight-line monthly.")
class Asset:
    id: strawberry.ID
    name: str
    category: str
    cost: Money
    salvage_value: Money
    acquisition_date: date
    useful_life_months: int
    department_id: strawberry.ID | None
    row: strawberry.Private[m.Asset]

    @strawberry.field(description="From the month after acquisition to the end of its life.")
    def depreciation_schedule(self) -> list[DepreciationLine]:
        currency = self.row.currency
        return [
            DepreciationLine(
                period=line.period,
                amount=money(line.amount, currency),
                accumulated=money(line.accumulated, currency),
                book_value=money(line.book_value, currency),
            )
            for line in finance.depreciation_schedule(self.row)
        ]

    @strawberry.field(description="Cost less depreciation up to `asOf` (default: today).")
    def book_value(self, as_of: date | None = None) -> Money:
        day = as_of or datetime.now(company_zone()).date()
        return money(finance.book_value(self.row, day), self.row.currency)

    @classmethod
    def of(cls, row: m.Asset) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            category=row.category,
            cost=money(row.cost, row.currency),
            salvage_value=money(row.salvage_value, row.currency),
            acquisition_date=row.acquisition_date,
            useful_life_months=row.useful_life_months,
            department_id=None if row.department_id is None else strawberry.ID(row.department_id),
            row=row,
        )


@strawberry.input
class CreateAccountInput:
    code: str
    name: str
    type: AccountType


@strawberry.input(description="Exactly one of debit and credit, a positive amount.")
class JournalLineInput:
    account_code: str
    debit: MoneyInput | None = None
    credit: MoneyInput | None = None
    memo: str | None = None


@strawberry.input
class PostJournalEntryInput:
    entry_date: date
    memo: str
    lines: list[JournalLineInput]


@strawberry.input
class SetBudgetInput:
    department_id: strawberry.ID
    period: str
    amount: MoneyInput


@strawberry.input
class RegisterAssetInput:
    name: str
    category: str
    cost: MoneyInput
    salvage_value: MoneyInput | None = None
    acquisition_date: date
    useful_life_months: int
    department_id: strawberry.ID | None = None


@strawberry.type
class Query:
    @strawberry.field(description="The chart of accounts, by code.")
    async def accounts(
        self,
        info: Info,
        type: AccountType | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Account]:
        statement = select(m.Account)
        if type is not None:
            statement = statement.where(m.Account.type == type.value)
        async with session(info) as db:
            return await connection(
                db, statement, [m.Account.code], Account.of, first=first, after=after
            )

    @strawberry.field
    async def journal_entry(self, info: Info, id: strawberry.ID) -> JournalEntry | None:
        async with session(info) as db:
            row = await _journal_entry(db, str(id))
            return JournalEntry.of(found(row, "journal entry", str(id)))

    @strawberry.field(description="Entries of a period (YYYY-MM), newest first.")
    async def journal_entries(
        self, info: Info, period: str, first: int | None = None, after: str | None = None
    ) -> Connection[JournalEntry]:
        parse_period(period)
        statement = select(m.JournalEntry).where(m.JournalEntry.period == period)
        order = [m.JournalEntry.entry_no.desc()]
        async with session(info) as db:
            return await connection(db, statement, order, JournalEntry.of, first=first, after=after)

    @strawberry.field(description="Balances of every account at the end of `period` (YYYY-MM).")
    async def trial_balance(
        self, info: Info, period: str, currency: str = DEFAULT_CURRENCY
    ) -> TrialBalance:
        parse_period(period)
        validate_currency(currency)
        async with session(info) as db:
            rows = await finance.trial_balance(db, period, currency)
        lines = [
            TrialBalanceLine(
                account=Account.of(row.account),
                period_debit=money(row.period_debit, currency),
                period_credit=money(row.period_credit, currency),
                debit=money(row.debit, currency),
                credit=money(row.credit, currency),
            )
            for row in rows
        ]
        debit = sum((row.debit for row in rows), finance.ZERO)
        credit = sum((row.credit for row in rows), finance.ZERO)
        return TrialBalance(
            period=period,
            currency=currency,
            lines=lines,
            total_debit=money(debit, currency),
            total_credit=money(credit, currency),
            balanced=debit == credit,
        )

    @strawberry.field(description="Budgets of every department for a period (YYYY-MM).")
    async def budgets(
        self, info: Info, period: str, first: int | None = None, after: str | None = None
    ) -> Connection[Budget]:
        parse_period(period)
        statement = select(m.Budget).where(m.Budget.period == period)
        async with session(info) as db:
            return await connection(
                db, statement, [m.Budget.department_id], Budget.of, first=first, after=after
            )

    @strawberry.field
    async def asset(self, info: Info, id: strawberry.ID) -> Asset | None:
        async with session(info) as db:
            row = await db.get(m.Asset, str(id))
            return Asset.of(found(row, "asset", str(id)))

    @strawberry.field(description="Fixed assets, by acquisition date then id.")
    async def assets(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Asset]:
        order = [m.Asset.acquisition_date, m.Asset.id]
        async with session(info) as db:
            return await connection(db, select(m.Asset), order, Asset.of, first=first, after=after)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_account(self, info: Info, input: CreateAccountInput) -> Account:
        async with session(info) as db:
            kind = finance.AccountType(input.type.value)
            return Account.of(await finance.create_account(db, input.code, input.name, kind))

    @strawberry.mutation(description="Post a journal entry; unbalanced ones are BAD_USER_INPUT.")
    async def post_journal_entry(self, info: Info, input: PostJournalEntryInput) -> JournalEntry:
        checks = InputChecks()  # with the entry's own checks: every invalid field at once
        lines, currencies = [], set()
        for index, line in enumerate(input.lines):
            field = f"input.lines.{index}"
            debit = credit = finance.ZERO
            if line.debit is not None:
                debit, currency = checks(money_input, line.debit, f"{field}.debit") or UNREAD
                currencies.add(currency)
            if line.credit is not None:
                credit, currency = checks(money_input, line.credit, f"{field}.credit") or UNREAD
                currencies.add(currency)
            code = line.account_code.strip()
            lines.append(finance.LineSpec(code, debit, credit, line.memo))
        if len(currencies) > 1:
            checks.fail("All lines of an entry use one currency.", field="input.lines")
        currency = currencies.pop() if len(currencies) == 1 else DEFAULT_CURRENCY
        async with session(info) as db:
            entry = await finance.post_journal_entry(
                db,
                entry_date=input.entry_date,
                memo=input.memo,
                currency=currency,
                lines=lines,
                actor=actor(info),
                checks=checks,
            )
            row = await _journal_entry(db, entry.id)
            assert row is not None
            return JournalEntry.of(row)

    @strawberry.mutation(description="Set a department's budget amount for a period.")
    async def set_budget(self, info: Info, input: SetBudgetInput) -> Budget:
        checks = InputChecks()
        period = checks(parse_period, input.period, field="input.period")
        amount, currency = checks(money_input, input.amount, "input.amount") or UNREAD
        department = checks(require_id, input.department_id, "input.departmentId")
        checks.done()
        assert period is not None and department is not None
        async with session(info) as db:
            return Budget.of(await finance.set_budget(db, department, period, amount, currency))

    @strawberry.mutation
    async def register_asset(self, info: Info, input: RegisterAssetInput) -> Asset:
        checks = InputChecks()  # with the asset's own checks: every invalid field at once
        read = checks(money_input, input.cost, "input.cost")
        cost, currency = read or UNREAD
        salvage = finance.ZERO
        if input.salvage_value is not None:
            salvage, _ = checks(money_input, input.salvage_value, "input.salvageValue",
                                currency=read and currency) or UNREAD  # fmt: skip
        department = None
        if input.department_id is not None:
            department = checks(require_id, input.department_id, "input.departmentId")
        async with session(info) as db:
            row = await finance.register_asset(
                db,
                name=input.name,
                category=input.category,
                cost=cost,
                salvage_value=salvage,
                currency=currency,
                acquisition_date=input.acquisition_date,
                useful_life_months=input.useful_life_months,
                department_id=department,
                checks=checks,
            )
            return Asset.of(row)


async def _journal_entry(db: AsyncSession, id: str) -> m.JournalEntry | None:
    statement = (
        select(m.JournalEntry)
        .where(m.JournalEntry.id == id)
        .options(selectinload(m.JournalEntry.lines).joinedload(m.JournalLine.account))
        .execution_options(populate_existing=True)
    )
    return (await db.scalars(statement)).one_or_none()
