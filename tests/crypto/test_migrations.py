"""Upgrading a database that holds plaintext (OA before 0006, ERP before 0003) seals it in
place: afterwards no marked column holds a plaintext, and every value opens to what it was."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory

from gateway.crypto.keyring import FieldKeyring
from subgraphs.erp.app import MIGRATIONS as ERP_MIGRATIONS
from subgraphs.erp.app import migrate as migrate_erp
from subgraphs.erp.migrations import VERSION_TABLE as ERP_VERSIONS
from subgraphs.oa import MIGRATIONS as OA_MIGRATIONS
from subgraphs.oa import VERSION_TABLE as OA_VERSIONS
from subgraphs.oa.app import migrate as migrate_oa
from tandem_shared.crypto import index_form
from tandem_shared.crypto_orm import field_keys
from tandem_shared.db import create_engine, migrations_directory
from tandem_shared.timestamps import AwareDateTime
from tests.crypto.conftest import key_environment
from tests.crypto.stack import scratch_databases

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FieldKeyring:
    for name, value in key_environment(tmp_path / "keys").items():
        monkeypatch.setenv(name, value)
    return FieldKeyring.from_environment()


@pytest.fixture(params=["sqlite", "postgres"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {name: f"sqlite+aiosqlite:///{tmp_path / name}.db" for name in ("oa", "erp")}
        return
    with scratch_databases("oa", "erp") as found:
        yield found


def _upgrade_to(url: str, package: str, version_table: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations_directory(package)))
    script = ScriptDirectory.from_config(config)

    def steps(current: Any, _context: Any) -> Any:
        return script._upgrade_revs(revision, current)

    async def run() -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:

                def upgrade(sync: sa.Connection) -> None:
                    with EnvironmentContext(
                        config, script, fn=steps, destination_rev=revision
                    ) as env:
                        env.configure(connection=sync, version_table=version_table)
                        with env.begin_transaction():
                            env.run_migrations()

                await connection.run_sync(upgrade)
        finally:
            await engine.dispose()

    asyncio.run(run())


def _sql(url: str, statement: str, **values: Any) -> list[Any]:
    async def run() -> list[Any]:
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                query = sa.text(statement)
                if "now" in values:
                    query = query.bindparams(sa.bindparam("now", type_=AwareDateTime()))
                result = await connection.execute(query, values)
                return list(result.all()) if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_old_plaintext_is_sealed_by_the_upgrade(keys: FieldKeyring, urls: dict[str, str]) -> None:
    oa, erp = urls["oa"], urls["erp"]
    _upgrade_to(oa, OA_MIGRATIONS, OA_VERSIONS, "0005")
    _upgrade_to(erp, ERP_MIGRATIONS, ERP_VERSIONS, "0002")
    _sql(oa, "INSERT INTO oa_departments (id, code, name, created_at) VALUES "
             "('dept-01', 'EXEC', 'Executive', :now)", now=NOW)  # fmt: skip
    _sql(
        oa,
        "INSERT INTO oa_employees (id, employee_no, name, email, title, department_id, phone, "
        "id_card_number, roles, active, created_at) VALUES ('emp-001', 'EMP-000001', 'A', "
        "'a@x', 'CEO', 'dept-01', '+86 139 0001 7919', '11010519491231002X', '[]', true, :now)",
        now=NOW,
    )
    _sql(erp, "INSERT INTO erp_suppliers (id, name, contact, phone, bank_account, rating, "
              "created_at) VALUES ('sup-01', 'S', 'C', '1', '6222 0210 0000 0101', 3, :now)",
         now=NOW)  # fmt: skip
    _sql(erp, "INSERT INTO erp_customers (id, customer_no, name, phone, currency, "
              "credit_limit, created_at) VALUES ('cus-01', 'CUS-000001', 'C', "
              "'021-6666-0001', 'CNY', 100, :now)", now=NOW)  # fmt: skip
    _sql(erp, "INSERT INTO erp_employee_salaries (employee_id, salary, updated_at) VALUES "
              "('emp-001', '18000.00 CNY', :now)", now=NOW)  # fmt: skip

    asyncio.run(migrate_oa(oa))
    asyncio.run(migrate_erp(erp))

    ((phone, card, index),) = _sql(
        oa, "SELECT phone, id_card_number, id_card_number_bidx FROM oa_employees"
    )
    ((account,),) = _sql(erp, "SELECT bank_account FROM erp_suppliers")
    ((customer,),) = _sql(erp, "SELECT phone FROM erp_customers")
    ((salary,),) = _sql(erp, "SELECT salary FROM erp_employee_salaries")
    opened = {
        "phone": keys.open(phone, "Employee", "emp-001", "phone").plaintext,
        "card": keys.open(card, "Employee", "emp-001", "idCardNumber").plaintext,
        "account": keys.open(account, "Supplier", "sup-01", "bankAccount").plaintext,
        "customer": keys.open(customer, "Customer", "cus-01", "phone").plaintext,
        "salary": json.loads(keys.open(salary, "Employee", "emp-001", "salary").plaintext),
    }
    assert opened == {
        "phone": "+86 139 0001 7919",
        "card": "11010519491231002X",
        "account": "6222 0210 0000 0101",
        "customer": "021-6666-0001",
        "salary": {"amount": "18000.00", "currency": "CNY"},
    }
    token = field_keys().index.token("Employee.idCardNumber", index_form("11010519491231002X"))
    assert index == token
