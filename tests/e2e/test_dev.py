"""``tandem dev`` (what ``make run`` starts): both subgraphs with the demo company and the
gateway over the committed supergraph, in one process with no Redis and no PostgreSQL; a query
joins OA and ERP fields, and a purchase goes through on the in-process bus."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

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
query ($period: String!) {
  me {
    name
    department { name budget(period: $period) { amount { amount currency } committed { amount } } }
    purchaseOrders(first: 5) { edges { node { orderNo requestedBy { name } } } }
  }
  myApprovalRequests { edges { node { title status purchaseOrder { orderNo } } } }
  purchaseOrders(first: 10) {
    edges { node { orderNo supplier { name } requestedBy { name department { code } } } }
  }
}"""


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``tandem dev`` on a free port, subgraphs on any free ports, data in a scratch folder."""
    folder: Path = tmp_path_factory.mktemp("dev")
    port = free_port()
    env = service_env(TANDEM_DATA_DIR=str(folder), TANDEM_DEV_OA_PORT="0", TANDEM_DEV_ERP_PORT="0")
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
    data = client.data("emp-031", JOINED, period=current_period())
    me = data["me"]
    assert me["name"] == "Hui Ma"
    assert me["department"]["name"] == "Production"  # OA
    assert me["department"]["budget"]["amount"]["currency"] == "CNY"  # ERP, keyed by OA's id
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


def test_a_purchase_goes_through_the_in_process_bus(dev: Service) -> None:
    client = Gateway(dev.url, PEOPLE.__getitem__)
    request_id = submit_purchase(
        client,
        "emp-031",
        "Bolts",
        [item("SKU-0001", 10, "12.50")],
        current_period().replace("-", ""),
    )
    assert approve_fully(client, request_id, "emp-031") == ["emp-029"]
    order = wait_for_orders(client, "emp-031", [request_id], timeout=30)[request_id]
    assert order["approvalRequest"]["id"] == request_id

    def told() -> bool:
        subjects = [m["subject"] for m in messages(client, "emp-031")]
        return f"Purchase order {order['orderNo']} created" in subjects

    assert eventually(told, timeout=30)
    client.close()


def test_tandem_dev_stops_cleanly_on_ctrl_c(dev: Service) -> None:
    assert dev.process is not None
    dev.process.send_signal(signal.SIGINT)
    assert dev.process.wait(20) == 0, dev.output()
