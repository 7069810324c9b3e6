"""OA's entities as the ERP extends them: ``Employee``, ``Department`` and ``ApprovalRequest``.

Federation 2: each is declared with its key only (``@key(fields: "id")``) plus the fields
the ERP contributes; the gateway resolves their other fields in OA. Any id is accepted as
a reference: whether the employee exists is OA's to say.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry
from strawberry.types import Info

from subgraphs.common.crypto_schema import Encrypted, EncryptedInput
from subgraphs.common.money import Money, MoneyInput
from subgraphs.common.pagination import Connection
from subgraphs.erp.api.context import money, money_input, session
from subgraphs.erp.api.finance import Budget
from subgraphs.erp.store import budget_positions, finance, people, procurement
from subgraphs.erp.store.base import parse_period
from subgraphs.erp.store.checks import require_id

if TYPE_CHECKING:
    from subgraphs.erp.api.procurement import PurchaseOrder

__all__ = ["ApprovalRequest", "BudgetPosition", "Department", "Employee", "Mutation"]


@strawberry.federation.type(keys=["id"], description="An employee (owned by OA).")
class Employee:
    id: strawberry.ID

    @strawberry.field(
        description="Monthly salary; null when the ERP has none on record.",
        directives=[Encrypted(mask="ALL")],
    )
    async def salary(self, info: Info) -> Money | None:
        async with session(info) as db:
            envelope = await finance.get_salary(db, str(self.id))
        # encrypted: every leaf carries the envelope of the whole Money (the gateway opens it)
        return None if envelope is None else Money(amount=envelope, currency=envelope)

    @strawberry.field(description="Purchase orders this employee requested, newest first.")
    async def purchase_orders(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[PurchaseOrder, strawberry.lazy("subgraphs.erp.api.procurement")]]:
        from subgraphs.erp.api.procurement import PurchaseOrderFilter, filtered_orders, order_page

        statement = filtered_orders(PurchaseOrderFilter(requested_by=self.id))
        return await order_page(info, statement, first, after)

    @strawberry.field(
        description="The department the ERP books this employee's purchases and costs to, as "
        "OA last announced it (oa.employee.changed); null until OA has announced them."
    )
    async def cost_center(self, info: Info) -> Department | None:
        async with session(info) as db:
            found = await people.people_by_ids(db, [str(self.id)])
        person = found.get(str(self.id))
        return None if person is None else Department(id=strawberry.ID(person.department_id))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        return cls(id=id)


@strawberry.federation.type(keys=["id"], description="A department (owned by OA).")
class Department:
    id: strawberry.ID

    @strawberry.field(description="The department's budget for a month (YYYY-MM), if set.")
    async def budget(self, info: Info, period: str) -> Budget | None:
        parse_period(period)
        async with session(info) as db:
            row = await finance.get_budget(db, str(self.id), period)
        return None if row is None else Budget.of(row)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        return cls(id=id)


@strawberry.type(
    description="Where an approval request stands against its department's budget for its month."
)
class BudgetPosition:
    department: Department
    period: str = strawberry.field(description="The request's budget month, YYYY-MM.")
    budget_set: bool = strawberry.field(description="Whether the month has a budget at all.")
    budget: Money = strawberry.field(description="The month's budget (zero when none is set).")
    committed: Money = strawberry.field(description="Ordered, not yet received.")
    spent: Money
    available: Money = strawberry.field(description="budget - committed - spent now.")
    requested: Money = strawberry.field(description="The request's amount.")
    booked: bool = strawberry.field(
        description="The request is in committed or spent already (its order or entry exists)."
    )
    available_after: Money | None = strawberry.field(
        description="What remains once the request is booked; null if the currencies differ."
    )
    exceeded: bool | None = strawberry.field(
        description="Whether booking the request leaves the budget below zero."
    )

    @classmethod
    def of(cls, row: budget_positions.BudgetPosition) -> Self:
        after = row.available_after
        return cls(
            department=Department(id=strawberry.ID(row.department_id)),
            period=row.period,
            budget_set=row.budget_set,
            budget=money(row.amount, row.currency),
            committed=money(row.committed, row.currency),
            spent=money(row.spent, row.currency),
            available=money(row.available, row.currency),
            requested=money(row.requested, row.requested_currency),
            booked=row.booked,
            available_after=None if after is None else money(after, row.currency),
            exceeded=None if after is None else after < 0,
        )


@strawberry.federation.type(keys=["id"], description="An approval request (owned by OA).")
class ApprovalRequest:
    id: strawberry.ID
    seen: strawberry.Private[dict[str, Any] | None] = None

    @strawberry.federation.field(external=True)
    def budget_period(self) -> str | None:
        raise ValueError("ApprovalRequest.budgetPeriod is resolved by OA")

    @strawberry.federation.field(external=True)
    def amount(self) -> Money | None:
        raise ValueError("ApprovalRequest.amount is resolved by OA")

    @strawberry.federation.field(external=True)
    def department(self) -> Department:
        raise ValueError("ApprovalRequest.department is resolved by OA")

    @strawberry.federation.field(
        requires=["budgetPeriod amount { amount currency } department { id }"],
        description="The department's budget for the request's month, as the request meets "
        "it; null for a request without an amount or a month.",
    )
    async def budget_position(self, info: Info) -> BudgetPosition | None:
        seen = self.seen or {}
        period, amount = seen.get("budgetPeriod"), seen.get("amount")
        department = (seen.get("department") or {}).get("id")
        if not period or not isinstance(amount, dict) or not department:
            return None
        requested, currency = money_input(
            MoneyInput(amount=str(amount.get("amount")), currency=str(amount.get("currency"))),
            "amount",
        )
        async with session(info) as db:
            row = await budget_positions.budget_position(
                db,
                request_id=str(self.id),
                department_id=str(department),
                period=parse_period(str(period)),
                requested=requested,
                currency=currency,
            )
        return BudgetPosition.of(row)

    @strawberry.field(description="The purchase order created when the request was approved.")
    async def purchase_order(
        self, info: Info
    ) -> Annotated[PurchaseOrder, strawberry.lazy("subgraphs.erp.api.procurement")] | None:
        from subgraphs.erp.api.procurement import PurchaseOrder

        async with session(info) as db:
            row = await procurement.purchase_order_for_request(db, str(self.id))
        return None if row is None else PurchaseOrder.of(row)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, **fields: Any) -> Self:
        return cls(id=id, seen=fields)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Set an employee's monthly salary.")
    async def set_salary(
        self,
        info: Info,
        employee_id: strawberry.ID,
        salary: Annotated[
            MoneyInput,
            strawberry.argument(directives=[EncryptedInput(field="Employee.salary")]),
        ],
    ) -> Employee:
        employee = require_id(employee_id, "employeeId")
        amount, currency = money_input(salary, "salary", allow_zero=False)
        async with session(info) as db:
            await finance.set_salary(db, employee, amount, currency)
        return Employee(id=strawberry.ID(employee))
