"""The ERP's reference events for OA's submit-time checks (issue 16, item 5): each new item
and supplier and each budget change records its state after the change, in the change's
transaction; ``reference snapshot`` publishes every row once."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import func, select

from subgraphs.common.events.outbox import outbox_table
from subgraphs.erp.reference_cli import run as snapshot
from subgraphs.erp.store import events as erp_events
from subgraphs.erp.store import finance, reference
from subgraphs.erp.store.models import Budget, Item, Supplier
from tandem_shared.db import transaction
from tests.e2e.stack import service_env
from tests.erp.catalog import make_catalog
from tests.erp.harness import ErpClient
from tests.erp.util import fresh

pytestmark = pytest.mark.anyio


async def changes(erp: ErpClient, key: str) -> list[tuple[str, dict[str, Any]]]:
    """The reference events of ``key``, oldest first, without their ``asOf``."""
    async with transaction(erp.sessions) as db:
        rows = await erp_events.events_with_key(db, key)
    return [(row.topic, {k: v for k, v in row.payload.items() if k != "asOf"}) for row in rows
            if row.topic in reference.TOPICS]  # fmt: skip


async def test_new_items_and_suppliers_are_published(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=1)
    [sku] = catalog.skus

    assert await changes(erp, sku) == [("erp.item.changed", {"sku": sku, "name": f"Part {sku}"})]
    [(topic, payload)] = await changes(erp, catalog.supplier)
    assert (topic, payload["supplierId"]) == ("erp.supplier.changed", catalog.supplier)


async def test_each_budget_change_publishes_the_figures_after_it(erp: ErpClient) -> None:
    department = fresh("dept")
    async with transaction(erp.sessions) as db:
        await finance.set_budget(db, department, "2031-08", Decimal("500.00"), "CNY")
    async with transaction(erp.sessions) as db:
        await finance.commit_budget(db, department, "2031-08", Decimal("120.00"), "CNY")
    async with transaction(erp.sessions) as db:
        await finance.spend_budget(db, department, "2031-08", Decimal("20.00"), "CNY",
                                   release_committed=Decimal("20.00"))  # fmt: skip

    figures = [(p["amount"], p["committed"], p["spent"])
               for _, p in await changes(erp, f"{department}:2031-08")]  # fmt: skip
    assert figures == [
        ("500.00", "0.00", "0.00"), ("500.00", "120.00", "0.00"), ("500.00", "100.00", "20.00"),
    ]  # fmt: skip


async def test_a_rolled_back_change_publishes_nothing(erp: ErpClient) -> None:
    department = fresh("dept")
    with pytest.raises(RuntimeError):
        async with transaction(erp.sessions) as db:
            await finance.set_budget(db, department, "2031-08", Decimal("1.00"), "CNY")
            raise RuntimeError("rolled back")
    assert await changes(erp, f"{department}:2031-08") == []


async def test_the_snapshot_publishes_every_item_supplier_and_budget(
    erp: ErpClient, database_url: str
) -> None:
    await make_catalog(erp, items=1)
    table = outbox_table(erp_events.OUTBOX_TABLE)
    async with transaction(erp.sessions) as db:
        rows = sum([await db.scalar(select(func.count()).select_from(model)) or 0
                    for model in (Item, Supplier, Budget)])  # fmt: skip
        before = await db.scalar(select(func.count()).select_from(table)) or 0

    published = await snapshot(database_url)

    async with transaction(erp.sessions) as db:
        after = await db.scalar(select(func.count()).select_from(table)) or 0
    assert published == rows and after - before == rows


async def test_the_snapshot_command_prints_its_count_or_why_it_cannot_run(
    erp: ErpClient, database_url: str, tmp_path: Path
) -> None:
    """(``erp``: the session's database is migrated.)"""

    def snapshot_command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "subgraphs.erp", "reference", "snapshot", *args],
            capture_output=True, text=True, check=False, env=service_env(),
        )  # fmt: skip

    done = await anyio.to_thread.run_sync(snapshot_command, "--database-url", database_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.fullmatch(r"published \d+ reference events\n", done.stdout), done.stdout
    missing = await anyio.to_thread.run_sync(
        snapshot_command, "--database-url", f"sqlite:///{tmp_path}/none/erp.db"
    )
    assert missing.returncode == 2 and "cannot run" in missing.stdout, missing.stdout
