"""The real ERP subgraph whose consumer stops dead right after its first effect committed.

``python -m tests.processes.erp_hang --port N`` serves ``subgraphs.erp.app.build_app`` with
the usual settings (``TANDEM_*``), on the usual bus wrapped so that the first receipt the
ERP's consumer sends for an OA approval (which it does after the transaction holding the
purchase order committed, before it acknowledges the delivery) never leaves: the process
prints ``HUNG <event id>`` and waits to be killed. The test SIGKILLs it there: between
creating the order and acknowledging the event.
"""

from __future__ import annotations

import argparse
import asyncio

import uvicorn

from subgraphs.common.events import Delivery, EventBus, JSONObject, open_bus
from subgraphs.common.service_events import EventOptions
from subgraphs.common.settings import load_settings
from subgraphs.erp.app import build_app

RECEIPTS_FOR_OA = "oa_outbox.receipts"
APPROVALS = "oa.approval.approved"  # not the people events the ERP also reads from the OA


class HangBeforeFirstReceipt:
    """An :class:`EventBus` that blocks forever on the first receipt to the OA's relay for
    an approval it delivered."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.hung = False
        self.approvals: set[str] = set()  # ids of the approval events read

    async def publish(
        self,
        topic: str,
        event_id: str,
        payload: JSONObject,
        *,
        key: str = "",
        reply_to: str | None = None,
    ) -> str:
        if topic == RECEIPTS_FOR_OA and not self.hung and payload["event_id"] in self.approvals:
            self.hung = True
            print(f"HUNG {payload['event_id']}", flush=True)
            await asyncio.Event().wait()  # until SIGKILL
        return await self.bus.publish(topic, event_id, payload, key=key, reply_to=reply_to)

    async def read(
        self, topic: str, group: str, consumer: str, *, count: int = 16, block: float = 1.0
    ) -> list[Delivery]:
        deliveries = await self.bus.read(topic, group, consumer, count=count, block=block)
        if topic == APPROVALS:
            self.approvals.update(delivery.event.id for delivery in deliveries)
        return deliveries

    async def ack(self, delivery: Delivery) -> None:
        await self.bus.ack(delivery)

    async def close(self) -> None:
        await self.bus.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="warning")
    arguments = parser.parse_args()
    settings = load_settings("erp")
    options = EventOptions.from_env()
    bus = open_bus(
        settings.redis_url, prefix=options.prefix, visibility_timeout=options.visibility_timeout
    )
    app = build_app(settings, bus=HangBeforeFirstReceipt(bus))
    uvicorn.run(app, host="127.0.0.1", port=arguments.port, log_level=arguments.log_level)


if __name__ == "__main__":
    main()
