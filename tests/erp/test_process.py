"""The ERP subgraph as its own process: ``python -m subgraphs.erp``, demo data, the guard."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from subgraphs.erp.seed import seed_demo_data
from subgraphs.erp.store import models as m
from subgraphs.erp.store.base import current_period
from tandem_shared.db import transaction
from tandem_shared.keys import load_or_create_dev_key
from tests.common.signing import signed
from tests.crypto.opener import opened_json
from tests.erp.harness import ALICE, ErpClient
from tests.support.spawn import http_answers, spawn

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served(tmp_path: Path, free_tcp_port: int) -> Iterator[tuple[str, Path]]:
    """The ERP subgraph started with demo data; yields its URL and its data folder."""
    env = {**os.environ, "TANDEM_DATA_DIR": str(tmp_path), "TANDEM_ERP_SEED": "1",
           "TANDEM_COMPOSITION_SECRET": "compose-me"}  # fmt: skip
    env.pop("TANDEM_ERP_DATABASE_URL", None)
    command = [sys.executable, "-m", "subgraphs.erp", "--port", str(free_tcp_port),
               "--log-level", "warning"]  # fmt: skip
    url = f"http://127.0.0.1:{free_tcp_port}"
    child = spawn("the ERP subgraph", command, env=env)
    try:
        child.wait_ready(http_answers(f"{url}/health"), timeout=30)
        yield url, tmp_path
    finally:
        child.stop(grace=10)


def test_the_process_serves_demo_data_to_the_gateway_only(served: tuple[str, Path]) -> None:
    url, data_dir = served
    key = load_or_create_dev_key(data_dir / "dev-gateway-key.pem")
    query = """query ($p: String!) {
      budgets(period: $p) { edges { node { departmentId amount { amount } } } }
      items(first: 100) { edges { node { sku } } }
      _entities(representations: [{__typename: "Employee", id: "emp-050"}]) {
        ... on Employee { salary { currency } } }
    }"""
    body = {"query": query, "variables": {"p": current_period()}}
    answer = httpx.post(f"{url}/graphql", **signed(key, "erp", ALICE, body), timeout=10)
    data = answer.json()["data"]
    departments = [e["node"]["departmentId"] for e in data["budgets"]["edges"]]
    assert departments == [f"dept-{n:02d}" for n in range(1, 9)]
    assert len(data["items"]["edges"]) == 40
    (salary,) = [e["salary"] for e in data["_entities"]]  # encrypted: the gateway opens it
    assert opened_json(salary, "Employee", "emp-050", "salary", data_dir=data_dir)["currency"] == (
        "CNY"
    )

    refused = httpx.post(f"{url}/graphql", json=body, timeout=10)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    sdl = httpx.post(f"{url}/graphql", json={"query": "{ _service { sdl } }"},
                     headers={"x-tandem-composition-key": "compose-me"}, timeout=10)  # fmt: skip
    assert 'type PurchaseOrder @key(fields: "id")' in sdl.json()["data"]["_service"]["sdl"]

    env = {**os.environ, "TANDEM_DATA_DIR": str(data_dir)}
    env.pop("TANDEM_ERP_DATABASE_URL", None)
    again = subprocess.run([sys.executable, "-m", "subgraphs.erp", "seed"], cwd=REPO_ROOT, env=env,
                           capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert again.returncode == 0, again.stderr
    after = httpx.post(f"{url}/graphql", **signed(key, "erp", ALICE, body), timeout=10)
    assert after.json()["data"] == data


@pytest.mark.anyio
async def test_seeding_twice_changes_nothing(erp: ErpClient) -> None:
    tables = [
        m.Item,
        m.Supplier,
        m.Customer,
        m.SalesOrder,
        m.PurchaseOrder,
        m.StockMovement,
        m.Budget,
        m.EmployeeSalary,
        m.JournalEntry,
        m.WorkOrder,
        m.BillOfMaterials,
    ]

    async def counts() -> list[int]:
        async with transaction(erp.sessions) as db:
            return [await db.scalar(select(func.count()).select_from(t)) or 0 for t in tables]

    async with transaction(erp.sessions) as db:
        await seed_demo_data(db)
    once = await counts()
    async with transaction(erp.sessions) as db:
        await seed_demo_data(db)
    assert await counts() == once
    async with transaction(erp.sessions) as db:
        order = await db.scalar(
            select(m.PurchaseOrder).where(m.PurchaseOrder.requested_by == "emp-032")
        )
        assert order is not None and order.status == "RECEIVED"
