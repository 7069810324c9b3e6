"""Sales API: customers (an entity), sales orders, summaries and a forecast."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Self

import strawberry
from sqlalchemy import Select, func, or_, select
from strawberry.types import Info

from subgraphs.common.crypto_schema import Encrypted, EncryptedInput
from subgraphs.common.errors import BadUserInput, InputChecks
from subgraphs.common.money import Money, MoneyInput
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
from subgraphs.erp.api.inventory import Item, Warehouse
from subgraphs.erp.api.loaders import loaders
from subgraphs.erp.store import analytics, inventory, sales
from subgraphs.erp.store import models as m
from subgraphs.erp.store.checks import require_id
from tandem_shared.timestamps import utc_now

__all__ = ["Customer", "Mutation", "Query", "SalesOrder"]


@strawberry.federation.type(keys=["id"], description="A company or person the ERP sells to.")
class Customer:
    id: strawberry.ID
    customer_no: str = strawberry.field(description="CUS-NNNNNN, e.g. CUS-000042.")
    name: str
    phone: str | None = strawberry.field(directives=[Encrypted(mask="LAST4")])
    credit_limit: Money

    @strawberry.field(description="Total of CONFIRMED and SHIPPED (unpaid) orders.")
    async def open_balance(self, info: Info) -> Money:
        owed = await loaders(info).exposure.load(str(self.id))
        return money(owed or Decimal(0), self.credit_limit.currency)

    @strawberry.field(description="creditLimit - openBalance.")
    async def available_credit(self, info: Info) -> Money:
        owed = await self.open_balance(info)
        limit = self.credit_limit
        return money(limit.to_decimal() - owed.to_decimal(), limit.currency)

    @strawberry.field(description="This customer's orders, newest first.")
    async def sales_orders(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[SalesOrder]:
        statement = select(m.SalesOrder).where(m.SalesOrder.customer_id == str(self.id))
        return await _order_page(info, statement, first, after)

    @classmethod
    def of(cls, row: m.Customer) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            customer_no=row.customer_no,
            name=row.name,
            phone=row.phone,
            credit_limit=money(row.credit_limit, row.currency),
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        async with session(info) as db:
            row = await db.get(m.Customer, str(id))
        return None if row is None else cls.of(row)


@strawberry.enum
class SalesOrderStatus(Enum):
    CONFIRMED = "CONFIRMED"
    SHIPPED = "SHIPPED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


@strawberry.type(description="`quantity` units of an item from a warehouse.")
class SalesOrderLine:
    line_no: int
    item: Item
    warehouse: Warehouse
    quantity: int
    unit_price: Money
    amount: Money


@strawberry.type(description="An order from a customer.")
class SalesOrder:
    id: strawberry.ID
    order_no: str = strawberry.field(description="SO-YYYYMM-NNNN, e.g. SO-202611-0001.")
    customer: Customer
    lines: list[SalesOrderLine]
    total: Money
    status: SalesOrderStatus
    created_at: datetime
    shipped_at: datetime | None

    @classmethod
    def of(cls, row: m.SalesOrder) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            order_no=row.order_no,
            customer=Customer.of(row.customer),
            lines=[
                SalesOrderLine(
                    line_no=line.line_no,
                    item=Item.of(line.item),
                    warehouse=Warehouse.of(line.warehouse),
                    quantity=line.quantity,
                    unit_price=money(line.unit_price, row.currency),
                    amount=money(line.amount, row.currency),
                )
                for line in row.lines
            ],
            total=money(row.total, row.currency),
            status=SalesOrderStatus(row.status),
            created_at=row.created_at,
            shipped_at=row.shipped_at,
        )


@strawberry.enum(description="What the rows of a sales summary are.")
class SalesGroupBy(Enum):
    CUSTOMER = "CUSTOMER"
    ITEM = "ITEM"
    MONTH = "MONTH"


@strawberry.type(description="Sales of one customer, item or month.")
class SalesSummaryRow:
    key: str = strawberry.field(description="Customer id, sku, or month (YYYY-MM).")
    label: str
    quantity: int
    amount: Money
    order_count: int


@strawberry.type(description="Sales (orders not cancelled) of a year or a month.")
class SalesSummary:
    period: str
    group_by: SalesGroupBy
    rows: list[SalesSummaryRow]


@strawberry.type(description="A quantity in a month.")
class PeriodQuantity:
    period: str
    quantity: str = strawberry.field(description='A decimal string, e.g. "12.50".')


@strawberry.type
class SalesForecast:
    sku: strawberry.ID
    method: str
    history: list[PeriodQuantity] = strawberry.field(description="Actual monthly sales.")
    forecast: list[PeriodQuantity]


@strawberry.input
class CreateCustomerInput:
    name: str
    phone: str | None = strawberry.field(
        default=None, directives=[EncryptedInput(field="Customer.phone")]
    )
    credit_limit: MoneyInput


@strawberry.input
class SalesOrderLineInput:
    sku: strawberry.ID
    quantity: int
    unit_price: MoneyInput | None = strawberry.field(
        default=None, description="Default: the item's list price."
    )


@strawberry.input(description="An order; credit and stock are checked, stock is reserved.")
class CreateSalesOrderInput:
    customer_id: strawberry.ID
    lines: list[SalesOrderLineInput]
    warehouse_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: per line, the warehouse with most available."
    )


@strawberry.input
class SalesOrderFilter:
    status: SalesOrderStatus | None = None
    customer_id: strawberry.ID | None = None


@strawberry.type
class Query:
    @strawberry.field
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        return found(await Customer.resolve_reference(info, id), "customer", str(id))

    @strawberry.field(description="Customers by number; `search` in name or number.")
    async def customers(
        self,
        info: Info,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Customer]:
        statement = select(m.Customer)
        if search:
            pattern = f"%{search.strip().lower()}%"
            statement = statement.where(
                or_(
                    func.lower(m.Customer.name).like(pattern),
                    func.lower(m.Customer.customer_no).like(pattern),
                )
            )
        order = [m.Customer.customer_no]
        async with session(info) as db:
            return await connection(db, statement, order, Customer.of, first=first, after=after)

    @strawberry.field
    async def sales_order(self, info: Info, id: strawberry.ID) -> SalesOrder | None:
        async with session(info) as db:
            row = found(await db.get(m.SalesOrder, str(id)), "sales order", str(id))
            return SalesOrder.of(row)

    @strawberry.field(description="Sales orders, newest first.")
    async def sales_orders(
        self,
        info: Info,
        filter: SalesOrderFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SalesOrder]:
        statement = select(m.SalesOrder)
        if filter is not None and filter.status is not None:
            statement = statement.where(m.SalesOrder.status == filter.status.value)
        if filter is not None and filter.customer_id is not None:
            statement = statement.where(m.SalesOrder.customer_id == str(filter.customer_id))
        return await _order_page(info, statement, first, after)

    @strawberry.field(description="Sales of `period` (YYYY or YYYY-MM) by customer, item or month.")
    async def sales_summary(
        self, info: Info, period: str, group_by: SalesGroupBy = SalesGroupBy.CUSTOMER
    ) -> SalesSummary:
        start, end = analytics.parse_summary_period(period)
        async with session(info) as db:
            rows = await analytics.sales_summary(db, start, end, analytics.GroupBy(group_by.value))
        return SalesSummary(
            period=period,
            group_by=group_by,
            rows=[
                SalesSummaryRow(
                    key=row.key,
                    label=row.label,
                    quantity=row.quantity,
                    amount=money(row.amount, row.currency),
                    order_count=row.order_count,
                )
                for row in rows
            ],
        )

    @strawberry.field(description=analytics.FORECAST_METHOD)
    async def sales_forecast(
        self, info: Info, sku: strawberry.ID, periods: int = 3, history: int = 12
    ) -> SalesForecast:
        if not 1 <= periods <= 24:
            raise BadUserInput("Forecast 1 to 24 months.", field="periods")
        if not 2 <= history <= 60:
            raise BadUserInput("Use 2 to 60 months of history.", field="history")
        async with session(info) as db:
            await inventory.get_item(db, str(sku))
            result = await analytics.sales_forecast(db, str(sku), periods, history, utc_now())
        return SalesForecast(
            sku=sku,
            method=analytics.FORECAST_METHOD,
            history=[PeriodQuantity(period=p, quantity=f"{q:.2f}") for p, q in result.history],
            forecast=[PeriodQuantity(period=p, quantity=f"{q:.2f}") for p, q in result.forecast],
        )


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> Customer:
        checks = InputChecks()  # with the customer's own checks: every invalid field at once
        limit, currency = checks(money_input, input.credit_limit, "input.creditLimit") or UNREAD
        async with session(info) as db:
            row = await sales.create_customer(
                db, name=input.name, phone=input.phone, credit_limit=limit, currency=currency,
                checks=checks,
            )  # fmt: skip
            return Customer.of(row)

    @strawberry.mutation(description="Checks credit and stock (CONFLICT), reserves the stock.")
    async def create_sales_order(self, info: Info, input: CreateSalesOrderInput) -> SalesOrder:
        checks = InputChecks()  # with the order's own checks: every invalid field at once
        lines = []
        for index, line in enumerate(input.lines):
            price = None
            if line.unit_price is not None:
                field = f"input.lines.{index}.unitPrice"
                read = checks(money_input, line.unit_price, field)  # currency: the customer's
                price = None if read is None else read[0]
            lines.append(sales.SalesLineSpec(str(line.sku), line.quantity, price))
        warehouse = None
        if input.warehouse_id is not None:
            warehouse = checks(require_id, input.warehouse_id, "input.warehouseId")
        async with session(info) as db:
            row = await sales.create_sales_order(
                db,
                customer_id=str(input.customer_id),
                lines=lines,
                warehouse_id=warehouse,
                actor=actor(info),
                checks=checks,
            )
            return SalesOrder.of(await sales.get_sales_order(db, row.id))

    @strawberry.mutation(description="CONFIRMED -> SHIPPED: the reserved stock leaves.")
    async def ship_sales_order(self, info: Info, id: strawberry.ID) -> SalesOrder:
        async with session(info) as db:
            return SalesOrder.of(await sales.ship_sales_order(db, str(id), actor(info)))

    @strawberry.mutation(description="SHIPPED -> CLOSED (paid).")
    async def close_sales_order(self, info: Info, id: strawberry.ID) -> SalesOrder:
        async with session(info) as db:
            return SalesOrder.of(await sales.close_sales_order(db, str(id)))

    @strawberry.mutation(description="CONFIRMED -> CANCELLED: reservations released.")
    async def cancel_sales_order(self, info: Info, id: strawberry.ID) -> SalesOrder:
        async with session(info) as db:
            return SalesOrder.of(await sales.cancel_sales_order(db, str(id)))


async def _order_page(
    info: Info, statement: Select[m.SalesOrder], first: int | None, after: str | None
) -> Connection[SalesOrder]:
    order = [m.SalesOrder.created_at.desc(), m.SalesOrder.id.desc()]
    async with session(info) as db:
        return await connection(db, statement, order, SalesOrder.of, first=first, after=after)
