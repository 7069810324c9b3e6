"""The procurement subgraph's in-memory data: 10 suppliers and 30 purchase orders."""

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from random import Random

from subgraphs.demo.standards import EMPLOYEE_COUNT, ITEM_COUNT, employee_id, item_sku, order_no

__all__ = [
    "ORDER_STATUSES",
    "OrderLineRecord",
    "ProcurementStore",
    "PurchaseOrderRecord",
    "SupplierRecord",
    "procurement_store",
]

ORDER_STATUSES = ("CREATED", "SENT", "RECEIVED", "CLOSED", "CANCELLED")
_SUPPLIERS = (
    "Huaxin Steel Co., Ltd.",
    "Dongfang Office Supplies",
    "Pearl River Electronics",
    "Jiangnan Paper Mill",
    "Northwind Trading",
    "Sunrise Safety Equipment",
    "Golden Bridge Logistics",
    "Lotus Furniture Works",
    "Blue Sky Networks",
    "Yangtze Fasteners",
)
_MONTHS = ("202609", "202610", "202611")
_ORDER_COUNT = 30
_SEED = 20261125


@dataclass(frozen=True, slots=True)
class SupplierRecord:
    id: str
    name: str
    rating: int


@dataclass(frozen=True, slots=True)
class OrderLineRecord:
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class PurchaseOrderRecord:
    id: str
    order_no: str
    supplier_id: str
    lines: tuple[OrderLineRecord, ...]
    status: str
    requested_by: str

    @property
    def total(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal(0))


@dataclass(frozen=True, slots=True)
class ProcurementStore:
    suppliers: tuple[SupplierRecord, ...]
    orders: tuple[PurchaseOrderRecord, ...]

    def supplier(self, id: str) -> SupplierRecord | None:
        return next((s for s in self.suppliers if s.id == id), None)

    def order(self, id: str) -> PurchaseOrderRecord | None:
        return next((o for o in self.orders if o.id == id), None)

    def orders_requested_by(self, employee_id: str) -> list[PurchaseOrderRecord]:
        return [o for o in self.orders if o.requested_by == employee_id]


def _order(n: int, rng: Random, suppliers: tuple[SupplierRecord, ...]) -> PurchaseOrderRecord:
    month, sequence = _MONTHS[(n - 1) // 10], (n - 1) % 10 + 1
    lines = tuple(
        OrderLineRecord(
            sku=item_sku(rng.randint(1, ITEM_COUNT)),
            quantity=rng.randint(1, 50),
            unit_price=Decimal(rng.randint(50, 500_000)) / 100,
        )
        for _ in range(rng.randint(1, 4))
    )
    return PurchaseOrderRecord(
        id=f"po-{n:04d}",
        order_no=order_no(month, sequence),
        supplier_id=suppliers[rng.randrange(len(suppliers))].id,
        lines=lines,
        status=ORDER_STATUSES[n % len(ORDER_STATUSES)],
        requested_by=employee_id(rng.randint(1, EMPLOYEE_COUNT)),
    )


@cache
def procurement_store() -> ProcurementStore:
    """The one store of this process, built on first use and the same every run."""
    rng = Random(_SEED)
    suppliers = tuple(
        SupplierRecord(id=f"sup-{i:02d}", name=name, rating=i * 3 % 5 + 1)
        for i, name in enumerate(_SUPPLIERS, start=1)
    )
    orders = tuple(_order(n, rng, suppliers) for n in range(1, _ORDER_COUNT + 1))
    return ProcurementStore(suppliers=suppliers, orders=orders)
