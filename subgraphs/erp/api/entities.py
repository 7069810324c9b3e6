"""OA's entities as the ERP extends them: ``Employee``, ``Department`` and ``ApprovalRequest``.

Federation 2: each is declared with its key only (``@key(fields: "id")``) plus the fields
the ERP contributes; the gateway resolves their other fields in OA. Any id is accepted as
a reference: whether the employee exists is OA's to say.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry.types import Info

from subgraphs.common.crypto_schema import Encrypted, EncryptedInput
from subgraphs.common.money import Money, MoneyInput
from subgraphs.common.pagination import Connection
from subgraphs.erp.api.context import money_input, session
from subgraphs.erp.api.finance import Budget
from subgraphs.erp.store import finance, procurement
from subgraphs.erp.store.base import parse_period
from subgraphs.erp.store.checks import require_id

if TYPE_CHECKING:
    from subgraphs.erp.api.procurement import PurchaseOrder

__all__ = ["ApprovalRequest", "Department", "Employee", "Mutation"]


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


@strawberry.federation.type(keys=["id"], description="An approval request (owned by OA).")
class ApprovalRequest:
    id: strawberry.ID

    @strawberry.field(description="The purchase order created when the request was approved.")
    async def purchase_order(
        self, info: Info
    ) -> Annotated[PurchaseOrder, strawberry.lazy("subgraphs.erp.api.procurement")] | None:
        from subgraphs.erp.api.procurement import PurchaseOrder

        async with session(info) as db:
            row = await procurement.purchase_order_for_request(db, str(self.id))
        return None if row is None else PurchaseOrder.of(row)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        return cls(id=id)


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
