"""``tandem dev`` (what ``make run`` starts): both subgraphs with the demo company and the
gateway over the committed supergraph, in one process with no Redis and no PostgreSQL; a query
joins OA and ERP fields, and a purchase goes through on the in-process bus."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from subgraphs.erp.store.base import current_period
from tests.e2e.flows import approve_fully, item, messages, submit_purchase, wait_for_orders
from tests.e2e.stack import Gateway, Person, Service, eventually, service_env, tandem_command
from tests.support.processes import free_port

PEOPLE = {
    "emp-031": Person("emp-031", "Hui Ma", ("employee", "production"), "dept-06"),
    "emp-029": Person("emp-029", "Jun Zhang", ("employee", "manager", "production"), "dept-06"),
}
JOINED = """
{
  me {
    name
    department { name }
    purchaseOrders(first: 5) { edges { node { orderNo requestedBy { name } } } }
  }
  myApprovalRequests { edges { node { title status purchaseOrder { orderNo } } } }
  purchaseOrders(first: 10) {
    edges { node { orderNo supplier { name } requestedBy { name department { code } } } }
  }
}"""
BUDGET = """
query ($period: String!) {
  me { department { name budget(period: $period) { amount { amount currency } } } }
}"""
ORIGIN = "https://app.example"
# Another role's work, which the default policy refuses an ordinary employee (nothing written)
OTHERS_WORK = {
    "postJournalEntry": """mutation { postJournalEntry(input: { entryDate: "2026-12-01",
        memo: "x", lines: [{ accountCode: "1001", debit: { amount: "1.00", currency: "CNY" } },
        { accountCode: "2001", credit: { amount: "1.00", currency: "CNY" } }] }) { id } }""",
    "setBudget": """mutation { setBudget(input: { departmentId: "dept-06", period: "2026-12",
        amount: { amount: "9999999.00", currency: "CNY" } }) { id } }""",
    "createPurchaseOrder": """mutation { createPurchaseOrder(input: { supplierId: "sup-01",
        lines: [{ sku: "SKU-0001", quantity: 1, unitPrice: { amount: "1.00", currency: "CNY" } }]
        }) { id } }""",
}


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``tandem dev`` on a free port, subgraphs on any free ports, data in a scratch folder."""
    yield from dev_service(tmp_path_factory.mktemp("dev"))


@pytest.fixture
def own_dev(tmp_path: Path) -> Iterator[Service]:
    """A ``tandem dev`` of the test's own, for a test that stops it (the others share one)."""
    yield from dev_service(tmp_path)


def dev_service(folder: Path) -> Iterator[Service]:
    port = free_port()
    env = service_env(
        TANDEM_DATA_DIR=str(folder),
        TANDEM_DEV_OA_PORT="0",
        TANDEM_DEV_ERP_PORT="0",
        TANDEM_CORS_ORIGINS=ORIGIN,
    )
    service = Service(
        "tandem-dev",
        [*tandem_command(), "dev", "--port", str(port)],
        env,
        port,
        folder,
        lambda client, base: (
            client.post(f"{base}/graphql", json={"query": "{ __typename }"}).status_code == 200
        ),
    )
    try:
        service.start(timeout=120)
        yield service
    finally:
        service.stop()


def test_tandem_dev_serves_oa_and_erp_joined_with_demo_data(dev: Service) -> None:
    def printed() -> str | None:
        output = dev.output()
        return output if "Ctrl-C stops everything" in output else None

    banner = eventually(printed)
    assert f"GraphQL endpoint: {dev.url}" in banner
    assert "X-Tandem-Dev-User: emp-031" in banner and "X-Tandem-Dev-Roles:" in banner

    client = Gateway(dev.url, PEOPLE.__getitem__)
    data = client.data("emp-031", JOINED)
    me = data["me"]
    assert me["name"] == "Hui Ma"
    assert me["department"]["name"] == "Production"  # OA
    budget = client.data("emp-029", BUDGET, period=current_period())["me"]["department"]
    assert budget["budget"]["amount"]["currency"] == "CNY"  # ERP, keyed by OA's id (a manager)
    assert [edge["node"]["requestedBy"]["name"] for edge in me["purchaseOrders"]["edges"]] == [
        "Hui Ma"
    ] * len(me["purchaseOrders"]["edges"])
    assert me["purchaseOrders"]["edges"], "the demo data has an order of emp-031"
    assert any(e["node"]["status"] == "PENDING" for e in data["myApprovalRequests"]["edges"])
    orders = [edge["node"] for edge in data["purchaseOrders"]["edges"]]
    assert orders and all(order["supplier"]["name"] for order in orders)  # ERP
    assert all(order["requestedBy"] is None or order["requestedBy"]["department"]["code"]
               for order in orders)  # OA, through the ERP's reference  # fmt: skip
    client.close()


@pytest.mark.parametrize("mutation", sorted(OTHERS_WORK))
def test_tandem_dev_enforces_the_default_policy(dev: Service, mutation: str) -> None:
    """What ``make run`` starts refuses an ordinary employee another role's work, before it
    runs; a department budget read by its manager afterwards is unchanged."""
    client = Gateway(dev.url, PEOPLE.__getitem__)
    before = client.data("emp-029", BUDGET, period="2026-12")
    response = client.http.post(
        client.url, json={"query": OTHERS_WORK[mutation]}, headers=PEOPLE["emp-031"].headers
    )
    body = response.json()
    assert body.get("data") is None, body
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"], body
    assert client.data("emp-029", BUDGET, period="2026-12") == before
    client.close()


def test_tandem_dev_answers_cors_for_the_configured_origin(dev: Service) -> None:
    """``TANDEM_CORS_ORIGINS`` is a setting, read by ``tandem dev`` as by ``tandem serve``."""
    preflight = {
        "origin": ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    with httpx.Client(timeout=10) as http:
        allowed = http.options(dev.url, headers=preflight)
        refused = http.options(dev.url, headers={**preflight, "origin": "https://evil.example"})
    assert allowed.headers.get("access-control-allow-origin") == ORIGIN
    assert "access-control-allow-origin" not in refused.headers


def test_a_purchase_goes_through_the_in_process_bus(dev: Service) -> None:
    client = Gateway(dev.url, PEOPLE.__getitem__)
    request_id = submit_purchase(
        client,
        "emp-031",
        "Bolts",
        [item("SKU-0001", 10, "12.50")],
        current_period(),
    )
    assert approve_fully(client, request_id, "emp-031") == ["emp-029"]
    order = wait_for_orders(client, "emp-031", [request_id], timeout=30)[request_id]
    assert order["approvalRequest"]["id"] == request_id

    def told() -> bool:
        subjects = [m["subject"] for m in messages(client, "emp-031")]
        return f"Purchase order {order['orderNo']} created" in subjects

    assert eventually(told, timeout=30)
    client.close()


def test_tandem_dev_stops_cleanly_on_ctrl_c(own_dev: Service) -> None:
    assert own_dev.process is not None
    own_dev.process.send_signal(signal.SIGINT)
    assert own_dev.process.wait(20) == 0, own_dev.output()
