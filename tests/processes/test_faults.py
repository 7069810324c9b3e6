"""The purchase process under faults, with real processes, PostgreSQL and Redis: the ERP
subgraph stopped while requests are approved and restarted later; the ERP process SIGKILLed
between creating an order and acknowledging its event; Redis killed and restarted mid-run.
Each ends with exactly one purchase order per approved request, the budget committed once
per order, one message per order, and every event confirmed: nothing lost, nothing twice."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import redis

from tests.e2e.fixtures import Databases, make_stack
from tests.e2e.flows import (
    FINANCE,
    ORDER_OF,
    approve_fully,
    budget,
    item,
    messages,
    orders_in_database,
    submit_purchase,
    wait_for_orders,
)
from tests.e2e.stack import Stack, eventually, sql, subgraph_command
from tests.support.redis_server import RedisServer, redis_server_binary

PRICE = Decimal("12.50")


@pytest.fixture
def stack(
    tmp_path: Path, databases: Databases, redis_url: str, redis_prefix: str
) -> Iterator[Stack]:
    """A stack of the test's own on the shared Redis, not started (the test starts it)."""
    created = make_stack(tmp_path / "stack", databases, redis_url, redis_prefix)
    try:
        yield created
    finally:
        created.stop()


class Purchases:
    """Purchase requests of one department in one budget period, and their expected effects."""

    def __init__(self, stack: Stack, department: str, applicants: list[str], period: str):
        self.stack = stack
        self.department = department
        self.applicants = applicants
        self.period = period  # YYYY-MM, used by no other test
        self.requests: dict[str, tuple[str, Decimal]] = {}  # id -> (applicant, amount)

    def approve(self, count: int) -> list[str]:
        """Submit ``count`` requests (each applicant in turn) and approve them fully."""
        made = []
        for _ in range(count):
            n = len(self.requests) + 1
            applicant = self.applicants[n % len(self.applicants)]
            request_id = submit_purchase(
                self.stack.client,
                applicant,
                f"Rods, batch {n}",
                [item("SKU-0003", n, f"{PRICE}")],
                self.period,
            )
            approve_fully(self.stack.client, request_id, applicant)
            self.requests[request_id] = (applicant, PRICE * n)
            made.append(request_id)
        return made

    def check_exactly_once(self, timeout: float = 60.0) -> None:
        """Every request has one order, the budget holds each once, each applicant has one
        message per order, and every event on both sides is confirmed."""
        client, ids = self.stack.client, list(self.requests)
        orders = wait_for_orders(client, FINANCE, ids, timeout=timeout)  # finance reads them all
        for request_id, order in orders.items():
            assert order["approvalRequest"]["id"] == request_id
            assert Decimal(order["total"]["amount"]) == self.requests[request_id][1]

        def settled() -> bool:
            self._check_events_confirmed(ids)
            self._check_messages(orders)
            return True

        eventually(settled, timeout=timeout)
        # confirmed events are not published again; once every copy already in the streams
        # is read and acknowledged, no late copy can come: what is read now is final
        eventually(self.stack.settled, timeout=timeout)
        self._check_effects(orders)
        self._check_messages(orders)

    def _check_effects(self, orders: dict[str, dict[str, object]]) -> None:
        in_database = orders_in_database(self.stack, list(self.requests))
        assert in_database == {rid: [str(order["orderNo"])] for rid, order in orders.items()}
        expected = sum((amount for _, amount in self.requests.values()), Decimal(0))
        found = budget(self.stack.client, FINANCE, self.department, self.period)
        assert found is not None and found["committed"] == expected, (found, expected)
        created = sql(
            self.stack.erp_database,
            "SELECT key FROM erp_outbox WHERE topic = 'erp.purchase_order.created' "
            "AND key = ANY($1::text[])",
            list(self.requests),
        )
        assert sorted(row["key"] for row in created) == sorted(self.requests)

    def _check_messages(self, orders: dict[str, dict[str, object]]) -> None:
        for request_id, order in orders.items():
            applicant = self.requests[request_id][0]
            subject = f"Purchase order {order['orderNo']} created"
            found = [m for m in messages(self.stack.client, applicant) if m["subject"] == subject]
            assert len(found) == 1, (applicant, subject, found)

    def _check_events_confirmed(self, request_ids: list[str]) -> None:
        approvals = sql(
            self.stack.oa_database,
            "SELECT key, confirmed_by FROM oa_outbox WHERE topic = 'oa.approval.approved' "
            "AND key = ANY($1::text[])",
            request_ids,
        )
        assert sorted(row["key"] for row in approvals) == sorted(request_ids)
        assert all(json.loads(row["confirmed_by"]) == ["erp"] for row in approvals), approvals
        created = sql(
            self.stack.erp_database,
            "SELECT key, confirmed_by FROM erp_outbox WHERE topic = 'erp.purchase_order.created' "
            "AND key = ANY($1::text[])",
            request_ids,
        )
        assert all(json.loads(row["confirmed_by"]) == ["oa"] for row in created), created


def pending_deliveries(stack: Stack, topic: str, group: str) -> int:
    """How many deliveries of ``group`` on ``topic`` wait for an acknowledgement in Redis."""
    client = redis.Redis.from_url(stack.redis_url, socket_timeout=5)
    try:
        summary = client.xpending(f"{stack.prefix}{topic}", group)
        return int(summary["pending"])
    finally:
        client.close()


def test_orders_appear_once_after_the_erp_was_down_while_requests_were_approved(
    stack: Stack,
) -> None:
    purchases = Purchases(stack, "dept-05", ["emp-024", "emp-025", "emp-026"], "2032-01")
    stack.start()
    purchases.approve(1)
    purchases.check_exactly_once()  # the ERP has read the approvals stream

    stack.erp.stop()
    while_down = purchases.approve(4)
    body = stack.client.post(FINANCE, ORDER_OF, id=while_down[0])
    assert body["data"]["approvalRequest"]["status"] == "APPROVED"  # OA answers alone
    assert body["errors"], "the ERP is down: its fields cannot be resolved"

    def published_again() -> bool:  # the OA's relay publishes the unconfirmed approvals again
        rows = sql(
            stack.oa_database,
            "SELECT attempts FROM oa_outbox WHERE key = ANY($1::text[])",
            while_down,
        )
        assert len(rows) == len(while_down) and all(row["attempts"] >= 2 for row in rows), rows
        return True

    eventually(published_again, timeout=30)

    stack.erp.start()
    purchases.check_exactly_once()
    assert pending_deliveries(stack, "oa.approval.approved", "erp") == 0


def test_orders_appear_once_when_the_erp_is_killed_between_order_and_acknowledgement(
    stack: Stack,
) -> None:
    purchases = Purchases(stack, "dept-04", ["emp-020", "emp-021", "emp-022"], "2032-02")
    stack.oa.start()
    stack.erp.start(subgraph_command("erp", stack.erp.port, module="tests.processes.erp_hang"))
    stack.gateway.start()
    purchases.approve(3)

    def hung() -> str | None:
        found = re.search(r"^HUNG (\S+)$", stack.erp.output(), re.MULTILINE)
        return None if found is None else found.group(1)

    event_id = eventually(hung, timeout=30)
    [approval] = sql(
        stack.oa_database, "SELECT key, confirmed_at FROM oa_outbox WHERE id = $1::uuid", event_id
    )
    request_id = approval["key"]
    assert orders_in_database(stack, [request_id])[request_id], "the order was committed"
    assert approval["confirmed_at"] is None, "no receipt was sent"
    assert pending_deliveries(stack, "oa.approval.approved", "erp") >= 1, "nor acknowledged"

    stack.erp.kill()
    stack.erp.start()  # the real ERP again, under the same consumer name
    purchases.check_exactly_once()
    assert pending_deliveries(stack, "oa.approval.approved", "erp") == 0
    processed = sql(
        stack.erp_database,
        "SELECT count(*) AS n FROM erp_processed_events WHERE consumer = 'erp' AND event_id = $1",
        event_id,
    )
    assert processed[0]["n"] == 1


@pytest.mark.skipif(redis_server_binary() is None, reason="redis-server is not installed")
def test_orders_appear_once_when_redis_restarts_mid_run(
    tmp_path: Path, databases: Databases, redis_prefix: str
) -> None:
    server = RedisServer(tmp_path / "redis", durable=True, fsync="everysec")
    server.start()
    stack = make_stack(tmp_path / "stack", databases, server.url, redis_prefix)
    try:
        purchases = Purchases(stack, "dept-07", ["emp-041", "emp-042", "emp-043"], "2032-03")
        stack.start()
        purchases.approve(2)
        server.kill()  # the approvals just made may be anywhere between outbox and order
        purchases.approve(2)  # OA goes on; its relay cannot publish until Redis is back

        def noticed() -> bool:  # the OA's event loops found Redis gone
            return ": unavailable (" in stack.oa.output()

        eventually(noticed, timeout=30)
        server.start()  # same port, same folder: the AOF is loaded again
        purchases.approve(2)
        purchases.check_exactly_once()
        assert pending_deliveries(stack, "oa.approval.approved", "erp") == 0
    finally:
        stack.stop()
        server.kill()
