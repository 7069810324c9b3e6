"""Finance rules: balanced journal entries, trial balance, budgets, assets, salaries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.codes import next_code
from subgraphs.common.errors import BadUserInput, Conflict, InputChecks
from subgraphs.common.money import format_amount, round_amount
from subgraphs.erp.store import reference
from subgraphs.erp.store.base import add_months, code_period, new_id, period_of
from subgraphs.erp.store.checks import require_id, require_positive, require_text
from subgraphs.erp.store.models import (
    Account,
    Asset,
    Budget,
    EmployeeSalary,
    JournalEntry,
    JournalLine,
)
from tandem_shared.timestamps import utc_now

__all__ = [
    "JOURNAL_ENTRY",
    "AccountType",
    "DepreciationLine",
    "LineSpec",
    "TrialBalanceRow",
    "book_value",
    "commit_budget",
    "create_account",
    "depreciation_schedule",
    "ensure_account",
    "get_budget",
    "get_salary",
    "post_journal_entry",
    "register_asset",
    "set_budget",
    "set_salary",
    "spend_budget",
    "trial_balance",
]

JOURNAL_ENTRY = "JE"
"""Journal entries are numbered ``JE-YYYYMM-NNNN`` in the month of their entry date."""

ZERO = Decimal(0)


class AccountType(StrEnum):
    """The five kinds of account; ASSET and EXPENSE carry debit balances, the rest credit."""

    ASSET = "ASSET"
    LIABILITY = "LIABILITY"
    EQUITY = "EQUITY"
    REVENUE = "REVENUE"
    EXPENSE = "EXPENSE"


@dataclass(frozen=True, slots=True)
class LineSpec:
    """A journal line to post: exactly one of ``debit`` and ``credit`` is positive."""

    account_code: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    memo: str | None = None


@dataclass(frozen=True, slots=True)
class TrialBalanceRow:
    """An account's movement in the period, and its balance at the period's end."""

    account: Account
    period_debit: Decimal
    period_credit: Decimal
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True, slots=True)
class DepreciationLine:
    """One month of straight-line depreciation."""

    period: str
    amount: Decimal
    accumulated: Decimal
    book_value: Decimal


async def create_account(session: AsyncSession, code: str, name: str, type: AccountType) -> Account:
    """Add an account to the chart; ``CONFLICT`` if the code is taken."""
    checks = InputChecks()
    checked_code = checks(require_text, code, "input.code", max_length=20)
    checked_name = checks(require_text, name, "input.name")
    checks.done()
    assert checked_code is not None and checked_name is not None
    code = checked_code
    if await session.get(Account, code) is not None:
        raise Conflict(f"Account {code} already exists.")
    account = Account(code=code, name=checked_name, type=type.value)
    session.add(account)
    await session.flush()
    return account


async def ensure_account(session: AsyncSession, code: str, name: str, type: AccountType) -> None:
    """Add the account unless its code exists (safe when concurrent callers race)."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Account)
    await session.execute(
        insert.values(code=code, name=name, type=type.value).on_conflict_do_nothing(
            index_elements=[Account.code]
        )
    )


async def post_journal_entry(
    session: AsyncSession,
    *,
    entry_date: date,
    memo: str,
    currency: str,
    lines: Sequence[LineSpec],
    actor: str,
    source_request_id: str | None = None,
    checks: InputChecks | None = None,
) -> JournalEntry:
    """Post a balanced entry; ``BAD_USER_INPUT`` naming the line or ``input.lines`` otherwise.

    Rules: at least two lines; each line debits or credits (not both, not neither) a
    positive amount to an existing account; total debits equal total credits. Every invalid
    field is reported at once, with those of ``checks`` (the caller's: amounts it could not
    read; their lines' amounts are not checked again, nor is the balance).
    """
    checks = checks or InputChecks()
    unreadable = {error.field.rsplit(".", 2)[0] for error in checks.errors}
    checked_memo = checks(require_text, memo, "input.memo", max_length=500)
    if len(lines) < 2:
        checks.fail("A journal entry has at least two lines.", field="input.lines")
    codes = {line.account_code for line in lines}
    known = set((await session.scalars(select(Account.code).where(Account.code.in_(codes)))).all())
    for index, line in enumerate(lines):
        field = f"input.lines.{index}"
        if line.account_code not in known:
            checks.fail(f"No account {line.account_code!r}.", field=f"{field}.accountCode")
        if field in unreadable:
            continue
        if line.debit < 0 or line.credit < 0:
            checks.fail("Amounts must not be negative.", field=f"{field}.debit")
        elif (line.debit > 0) == (line.credit > 0):
            checks.fail("A line has either a debit or a credit.", field=f"{field}.debit")
    debits = sum((line.debit for line in lines), ZERO)
    credits = sum((line.credit for line in lines), ZERO)
    checks.done()
    assert checked_memo is not None
    memo = checked_memo
    if debits != credits:
        raise BadUserInput(
            f"The entry is unbalanced: debits {debits} != credits {credits}.",
            field="input.lines",
            extensions={
                "totalDebit": format_amount(debits, currency),
                "totalCredit": format_amount(credits, currency),
            },
        )
    period = period_of(entry_date)
    entry = JournalEntry(
        id=new_id("je"),
        entry_no=await next_code(session, JOURNAL_ENTRY, code_period(period)),
        entry_date=entry_date,
        period=period,
        memo=memo,
        currency=currency,
        source_request_id=source_request_id,
        posted_by=actor,
        posted_at=utc_now(),
    )
    entry.lines = [
        JournalLine(
            line_no=index + 1,
            account_code=line.account_code,
            debit=line.debit,
            credit=line.credit,
            memo=line.memo,
        )
        for index, line in enumerate(lines)
    ]
    session.add(entry)
    await session.flush()
    return entry


async def trial_balance(session: AsyncSession, period: str, currency: str) -> list[TrialBalanceRow]:
    """Every account with postings up to ``period``: its movement in it and closing balance."""
    in_period = JournalEntry.period == period
    zero = ZERO
    statement = (
        select(
            JournalLine.account_code,
            func.sum(case((in_period, JournalLine.debit), else_=zero)),
            func.sum(case((in_period, JournalLine.credit), else_=zero)),
            func.sum(JournalLine.debit),
            func.sum(JournalLine.credit),
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.period <= period, JournalEntry.currency == currency)
        .group_by(JournalLine.account_code)
        .order_by(JournalLine.account_code)
    )
    sums = (await session.execute(statement)).all()
    accounts = {
        account.code: account
        for account in await session.scalars(
            select(Account).where(Account.code.in_([row[0] for row in sums]))
        )
    }
    rows = []
    for code, period_debit, period_credit, debit, credit in sums:
        net = _decimal(debit) - _decimal(credit)
        rows.append(
            TrialBalanceRow(
                account=accounts[code],
                period_debit=_decimal(period_debit),
                period_credit=_decimal(period_credit),
                debit=max(net, ZERO),
                credit=max(-net, ZERO),
            )
        )
    return rows


async def set_budget(
    session: AsyncSession, department_id: str, period: str, amount: Decimal, currency: str
) -> Budget:
    """Create or change a department's budget for a period (committed and spent are kept)."""
    department_id = require_id(department_id, "input.departmentId")
    budget = await _locked_budget(session, department_id, period, currency)
    if budget.currency != currency:
        message = f"The budget is kept in {budget.currency}."
        raise BadUserInput(message, field="input.amount.currency")
    budget.amount = amount
    await session.flush()
    await reference.budget_changed(session, budget)
    return budget


async def get_budget(session: AsyncSession, department_id: str, period: str) -> Budget | None:
    """A department's budget for a period, if one was set."""
    statement = select(Budget).where(Budget.department_id == department_id, Budget.period == period)
    return (await session.scalars(statement)).one_or_none()


async def commit_budget(
    session: AsyncSession,
    department_id: str,
    period: str,
    amount: Decimal,
    currency: str,
    *,
    field: str = "currency",
) -> tuple[Budget, bool]:
    """Add ``amount`` to the committed part of a budget; True if it now exceeds the budget.

    An approved purchase is committed even when it exceeds the budget (or no budget was
    set: one of amount 0 is created), and flagged: the approval already happened, and
    finance reviews overruns rather than losing the commitment (see ``processes``).
    """
    budget = await _locked_budget(session, department_id, period, currency)
    if budget.currency != currency:
        raise BadUserInput(f"The department's budget is kept in {budget.currency}.", field=field)
    await session.execute(
        update(Budget)
        .where(Budget.id == budget.id)
        .values(committed=Budget.committed + amount)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(budget)
    await reference.budget_changed(session, budget)
    return budget, budget.committed + budget.spent > budget.amount


async def spend_budget(
    session: AsyncSession,
    department_id: str,
    period: str,
    amount: Decimal,
    currency: str,
    *,
    release_committed: Decimal = ZERO,
) -> Budget:
    """Move money to spent: ``amount`` more spent, ``release_committed`` less committed."""
    budget = await _locked_budget(session, department_id, period, currency)
    await session.execute(
        update(Budget)
        .where(Budget.id == budget.id)
        .values(committed=Budget.committed - release_committed, spent=Budget.spent + amount)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(budget)
    await reference.budget_changed(session, budget)
    return budget


async def _locked_budget(
    session: AsyncSession, department_id: str, period: str, currency: str
) -> Budget:
    """The budget row of (department, period), created with amount 0 if missing, locked."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Budget)
    await session.execute(
        insert.values(
            id=new_id("bud"),
            department_id=department_id,
            period=period,
            currency=currency,
            amount=ZERO,
            committed=ZERO,
            spent=ZERO,
        ).on_conflict_do_nothing(index_elements=[Budget.department_id, Budget.period])
    )
    statement = (
        select(Budget)
        .where(Budget.department_id == department_id, Budget.period == period)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(statement)).one()


async def register_asset(
    session: AsyncSession,
    *,
    name: str,
    category: str,
    cost: Decimal,
    salvage_value: Decimal,
    currency: str,
    acquisition_date: date,
    useful_life_months: int,
    department_id: str | None,
    checks: InputChecks | None = None,
) -> Asset:
    """Add a fixed asset; its cost must be positive and its salvage value at most the cost.
    Every invalid field is reported at once, with those of ``checks`` (the caller's: amounts
    it could not read are not compared again)."""
    checks = checks or InputChecks()
    unreadable = {error.field.split(".")[1] for error in checks.errors}  # input's fields
    if "cost" not in unreadable and cost <= 0:
        checks.fail("The cost must be positive.", field="input.cost.amount")
    elif not unreadable & {"cost", "salvageValue"} and salvage_value > cost:
        checks.fail("The salvage value exceeds the cost.", field="input.salvageValue")
    name = checks(require_text, name, "input.name") or ""
    category = checks(require_text, category, "input.category", max_length=100) or ""
    months = checks(require_positive, useful_life_months, "input.usefulLifeMonths", maximum=1200)
    checks.done()
    assert months is not None
    asset = Asset(
        id=new_id("ast"),
        name=name,
        category=category,
        cost=cost,
        salvage_value=salvage_value,
        currency=currency,
        acquisition_date=acquisition_date,
        useful_life_months=months,
        department_id=department_id,
        created_at=utc_now(),
    )
    session.add(asset)
    await session.flush()
    return asset


def depreciation_schedule(asset: Asset) -> list[DepreciationLine]:
    """Straight-line, monthly, from the month after acquisition, for the useful life.

    Each month writes off ``(cost - salvage) / months`` rounded to the currency's places;
    the last month takes the rounding remainder, so the book value ends at the salvage value.
    """
    depreciable = asset.cost - asset.salvage_value
    monthly = round_amount(depreciable / asset.useful_life_months, asset.currency)
    start = add_months(period_of(asset.acquisition_date), 1)
    lines, accumulated = [], ZERO
    for month in range(asset.useful_life_months):
        last = month == asset.useful_life_months - 1
        amount = depreciable - accumulated if last else min(monthly, depreciable - accumulated)
        accumulated += amount
        lines.append(
            DepreciationLine(
                period=add_months(start, month),
                amount=amount,
                accumulated=accumulated,
                book_value=asset.cost - accumulated,
            )
        )
    return lines


def book_value(asset: Asset, as_of: date) -> Decimal:
    """The asset's cost less the depreciation of every month up to ``as_of``'s month."""
    period = period_of(as_of)
    if as_of < asset.acquisition_date:
        return ZERO
    done = [line for line in depreciation_schedule(asset) if line.period <= period]
    return done[-1].book_value if done else asset.cost


async def set_salary(
    session: AsyncSession, employee_id: str, amount: Decimal, currency: str
) -> EmployeeSalary:
    """Set an employee's monthly salary: the JSON of its ``Money``, sealed on flush."""
    employee_id = require_id(employee_id, "employeeId")
    if amount <= 0:
        raise BadUserInput("A salary must be positive.", field="salary.amount")
    money = {"amount": format_amount(amount, currency), "currency": currency}
    value = json.dumps(money, separators=(",", ":"))
    row = await session.get(EmployeeSalary, employee_id, with_for_update=True)
    if row is None:
        row = EmployeeSalary(employee_id=employee_id, salary=value, updated_at=utc_now())
        session.add(row)
    else:
        row.salary, row.updated_at = value, utc_now()
    await session.flush()
    return row


async def get_salary(session: AsyncSession, employee_id: str) -> str | None:
    """The envelope of an employee's monthly salary, if the ERP has one (only the gateway
    opens it: ``Employee.salary`` is ``@encrypted``)."""
    row = await session.get(EmployeeSalary, employee_id)
    return None if row is None else row.salary


def _decimal(value: Decimal | int | None) -> Decimal:
    return ZERO if value is None else Decimal(value)
