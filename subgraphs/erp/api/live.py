"""Subscriptions: stock levels and purchase order statuses, as they change.

Each follows the ERP outbox (``erp.stock.changed``, ``erp.purchase_order.status_changed``;
``store/events.py`` and :mod:`subgraphs.common.live`) and reads the level or order when the
event is delivered. ``stockLevelChanged`` answers whoever may ask ``stock`` (the gateway's
policy decides, as for the query); ``purchaseOrderStatusChanged`` answers the orders the
caller requested, and every order to :data:`ORDER_READER_ROLES`, who follow them all.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Final

import strawberry
from strawberry.types import Info

from subgraphs.common.live import AFTER_DESCRIPTION as AFTER
from subgraphs.common.live import CURSOR_DESCRIPTION as CURSOR
from subgraphs.common.live import admitted, follow
from subgraphs.erp.api.context import found, session
from subgraphs.erp.api.inventory import Item, StockLevel
from subgraphs.erp.api.procurement import PurchaseOrder, PurchaseOrderStatus
from subgraphs.erp.store import inventory, procurement
from subgraphs.erp.store.events import PURCHASE_ORDER_STATUS_CHANGED, STOCK_CHANGED

__all__ = ["ORDER_READER_ROLES", "Subscription"]

ORDER_READER_ROLES: Final = frozenset({"procurement", "finance", "auditor"})


@strawberry.type(description="An item's stock in a warehouse changed.")
class StockLevelEvent:
    cursor: strawberry.ID = strawberry.field(description=CURSOR)
    change: str = strawberry.field(
        description="Why: a movement kind (RECEIPT, SHIPMENT, ADJUSTMENT, ...), RESERVED or "
        "RELEASED."
    )
    level: StockLevel


@strawberry.type(description="A purchase order was created or changed status.")
class PurchaseOrderStatusEvent:
    cursor: strawberry.ID = strawberry.field(description=CURSOR)
    previous_status: PurchaseOrderStatus | None = strawberry.field(
        description="Null when the order was just created."
    )
    order: PurchaseOrder


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Stock level changes, of one item (`sku`) and/or one warehouse, or all."
    )
    async def stock_level_changed(
        self,
        info: Info,
        sku: strawberry.ID | None = None,
        warehouse: Annotated[
            strawberry.ID | None, strawberry.argument(description="A warehouse id.")
        ] = None,
        after: Annotated[strawberry.ID | None, strawberry.argument(description=AFTER)] = None,
    ) -> AsyncGenerator[StockLevelEvent, None]:
        await admitted(info)
        async with session(info) as db:  # unknown ones are NOT_FOUND, as for `stock`
            if sku is not None:
                await inventory.get_item(db, str(sku))
            if warehouse is not None:
                await inventory.get_warehouse(db, str(warehouse), field="warehouse")
        async for event in follow(info, [STOCK_CHANGED], after):
            payload = event.payload
            if sku is not None and payload.get("sku") != sku:
                continue
            if warehouse is not None and payload.get("warehouseId") != warehouse:
                continue
            async with session(info) as db:  # read, then yield outside the transaction
                item = Item.of(await inventory.get_item(db, str(payload["sku"])))
                levels = [
                    StockLevel.of(row, item)
                    for row in await inventory.stock_levels(db, item.sku)
                    if row.warehouse_id == payload["warehouseId"]
                ]
            for level in levels:
                yield StockLevelEvent(
                    cursor=strawberry.ID(event.id), change=str(payload["change"]), level=level
                )

    @strawberry.subscription(
        description="Status changes of my purchase orders (of every order for procurement, "
        "finance and auditors), or of the order `id`."
    )
    async def purchase_order_status_changed(
        self,
        info: Info,
        id: strawberry.ID | None = None,
        after: Annotated[strawberry.ID | None, strawberry.argument(description=AFTER)] = None,
    ) -> AsyncGenerator[PurchaseOrderStatusEvent, None]:
        principal = await admitted(info)
        everyone = bool(ORDER_READER_ROLES & set(principal.roles))
        if id is not None:
            found(await PurchaseOrder.resolve_reference(info, id), "purchase order", str(id))
        async for event in follow(info, [PURCHASE_ORDER_STATUS_CHANGED], after):
            payload = event.payload
            if id is not None and payload.get("purchaseOrderId") != id:
                continue
            if not everyone and payload.get("requestedBy") != principal.subject:
                continue
            async with session(info) as db:
                row = await procurement.get_purchase_order(db, str(payload["purchaseOrderId"]))
                order = PurchaseOrder.of(row)
            previous = payload.get("previousStatus")
            yield PurchaseOrderStatusEvent(
                cursor=strawberry.ID(event.id),
                previous_status=None if previous is None else PurchaseOrderStatus(previous),
                order=order,
            )
