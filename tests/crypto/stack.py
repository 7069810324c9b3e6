"""OA, ERP and the gateway in one process, on scratch PostgreSQL databases, for the crypto tests.

The subgraphs are their real ASGI apps (migrated, demo company loaded), reached through a
transport that hands the gateway's subgraph requests to them in-process; the gateway has the
default policy (``policies/``), the encrypted-field runtime (``gateway/crypto``) and an audit
log in a third database. Keys (keyring, master key, blind-index key) live in a scratch folder
named by the environment, as a deployment would have them.

Everything runs on one event loop in a background thread: tests are plain functions that
call :meth:`Stack.run` with a coroutine (so the stack outlives any one test).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import threading
import uuid
from collections.abc import Awaitable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]
import httpx

from gateway.auth.subgraph_tokens import SubgraphTokens
from gateway.authz.authorizer import Authorizer
from gateway.authz.enforcer import PolicyEnforcer
from gateway.crypto.audit import SqlAuditLog
from gateway.crypto.keyring import FieldKeyring
from gateway.crypto.runtime import FieldCrypto
from gateway.executor.transport import SubgraphRequest
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph
from subgraphs.common.events.memory_bus import InProcessBus
from subgraphs.common.settings import SubgraphSettings
from subgraphs.erp.app import build_app as build_erp
from subgraphs.erp.seed import CUSTOMERS, EMPLOYEES, SUPPLIERS
from subgraphs.oa.app import build_app as build_oa
from subgraphs.oa.seed import EMPLOYEE_COUNT, _employee
from tandem_shared.keys import generate_private_key, public_key_of
from tandem_shared.tokens import Principal
from tests.common.lifespan import running
from tests.support.processes import REPO_ROOT

__all__ = [
    "PEOPLE",
    "POSTGRES_URL",
    "STORAGE",
    "Stack",
    "demo_plaintexts",
    "scratch_databases",
    "seeded_id_card",
    "seeded_phone",
    "seeded_salary",
]

POSTGRES_URL = os.environ.get(
    "TANDEM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SUPERGRAPH = REPO_ROOT / "subgraphs" / "supergraph.graphql"
POLICIES = REPO_ROOT / "policies"
T = TypeVar("T")

STORAGE: Mapping[str, tuple[str, str, str, str]] = {
    "Employee.phone": ("oa", "oa_employees", "phone", "id"),
    "Employee.idCardNumber": ("oa", "oa_employees", "id_card_number", "id"),
    "Employee.salary": ("erp", "erp_employee_salaries", "salary", "employee_id"),
    "Supplier.bankAccount": ("erp", "erp_suppliers", "bank_account", "id"),
    "Customer.phone": ("erp", "erp_customers", "phone", "id"),
}
"""Where each encrypted field is stored: database, table, column, entity key column."""

# The demo company's people, one per role (subgraphs/oa/seed.py): who each test acts as.
PEOPLE: Mapping[str, Principal] = {
    "employee": Principal("emp-031", "Employee", ("employee", "production"), "dept-06"),
    "finance": Principal("emp-006", "Finance", ("employee", "finance"), "dept-02"),
    "hr": Principal("emp-020", "HR", ("employee", "hr"), "dept-04"),
    "procurement": Principal("emp-024", "Procurement", ("employee", "procurement"), "dept-05"),
    "sales": Principal("emp-040", "Sales", ("employee", "sales"), "dept-07"),
    "auditor": Principal("emp-048", "Auditor", ("employee", "auditor"), "dept-08"),
    "integrator": Principal("emp-015", "Integrator", ("employee", "integrator"), "dept-03"),
}


def seeded_id_card(n: int) -> str:
    return str(_employee(n).id_card_number)


def seeded_phone(n: int) -> str:
    return str(_employee(n).phone)


def seeded_salary(employee_id: str) -> str:
    """The demo salary of ``employee_id`` as the amount string (subgraphs/erp/seed.py)."""
    index = EMPLOYEES.index(employee_id)
    return f"{Decimal(8000 + (index * 733) % 22000):.2f}"


def demo_plaintexts() -> list[str]:
    """Every plaintext of an encrypted field in the demo data, as it would be stored."""
    values = []
    for n in range(1, EMPLOYEE_COUNT + 1):
        values += [seeded_id_card(n), seeded_phone(n)]
    values += [bank for *_, bank, _ in SUPPLIERS]
    values += [phone for _, _, phone, _ in CUSTOMERS]
    values += [
        f'{{"amount":"{seeded_salary(e)}","currency":"CNY"}}' for e in EMPLOYEES
    ]  # the stored JSON of each salary
    return values


@contextlib.contextmanager
def scratch_databases(*labels: str) -> Iterator[dict[str, str]]:
    """New PostgreSQL databases, one per label (``postgresql+asyncpg://`` URLs); dropped after."""
    names = {label: f"tandem_crypto_{label}_{uuid.uuid4().hex[:8]}" for label in labels}
    base, _, _ = POSTGRES_URL.rpartition("/")
    for name in names.values():
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield {
            label: f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)
            for label, name in names.items()
        }
    finally:
        for name in names.values():
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_URL, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


class AppTransport:
    """The gateway's transport to in-process subgraph apps (``service name -> client``)."""

    def __init__(self) -> None:
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.sent: list[SubgraphRequest] = []

    async def send(self, request: SubgraphRequest) -> dict[str, Any]:
        self.sent.append(request)
        payload: dict[str, Any] = {"query": request.query}
        if request.variables:
            payload["variables"] = dict(request.variables)
        response = await self.clients[request.service_name].post(
            "/graphql", json=payload, headers=dict(request.headers or {})
        )
        body: dict[str, Any] = response.json()
        return body

    async def close(self) -> None:
        return None


@dataclass
class Stack:
    databases: dict[str, str]
    keys_dir: Path
    environ: dict[str, str]
    policy_dir: Path = POLICIES
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    transport: AppTransport = field(default_factory=AppTransport)
    gateway: Gateway | None = None
    crypto: FieldCrypto | None = None
    enforcer: PolicyEnforcer | None = None
    _thread: threading.Thread | None = None
    _stop: asyncio.Event | None = None
    _apps: Any = None
    gateway_key: str = ""

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Stack:
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.run(self._start(), timeout=180)
        return self

    async def _start(self) -> None:
        self.gateway_key = key = generate_private_key()
        bus = InProcessBus()
        self._apps = contextlib.AsyncExitStack()
        for name, build in (("oa", build_oa), ("erp", build_erp)):
            settings = SubgraphSettings(
                name=name, data_dir=self.keys_dir, database_url=self.databases[name]
            )
            app = build(settings, public_key=public_key_of(key), seed=True, bus=bus)
            client = await self._apps.enter_async_context(running(app, f"http://{name}"))
            self.transport.clients[name] = client
        supergraph = load_supergraph(SUPERGRAPH)
        self.enforcer = PolicyEnforcer(
            self.policy_dir / "model.conf", self.policy_dir / "policy.csv"
        )
        audit = SqlAuditLog(self.databases["audit"])
        await audit.migrate()
        self.crypto = FieldCrypto(
            supergraph, FieldKeyring.from_environment(self.environ), audit, self.enforcer
        )
        self.gateway = Gateway(
            supergraph,
            transport=self.transport,
            tokens=SubgraphTokens(key),
            authorizer=Authorizer(supergraph.api_schema, self.enforcer),
            crypto=self.crypto,
        )
        self._bus = bus

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.run(self._stop_apps(), timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self.loop.close()

    async def _stop_apps(self) -> None:
        if self.crypto is not None:
            await self.crypto.close()
        await self._apps.aclose()
        await self._bus.close()

    def run(self, coroutine: Coroutine[Any, Any, T] | Awaitable[T], timeout: float = 60) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)  # type: ignore[arg-type]
        return future.result(timeout)

    # -- acting as people ----------------------------------------------------------------

    def execute(
        self, role: str | Principal, query: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        principal = PEOPLE[role] if isinstance(role, str) else role
        assert self.gateway is not None
        return self.run(self.gateway.execute(query, variables, principal=principal))

    def gateway_with(self, extra_rules: str, folder: Path) -> Gateway:
        """A gateway over this stack's subgraphs, keys and audit log whose policy is the default
        one plus ``extra_rules`` (policy.csv lines), kept in ``folder``."""
        for name in ("model.conf", "relations.csv", "roles.csv"):  # the rules aside
            (folder / name).write_text((POLICIES / name).read_text())
        policy = (POLICIES / "policy.csv").read_text(encoding="utf-8") + extra_rules
        (folder / "policy.csv").write_text(policy, encoding="utf-8")
        enforcer = PolicyEnforcer(folder / "model.conf", folder / "policy.csv")
        supergraph = load_supergraph(SUPERGRAPH)
        assert self.crypto is not None
        crypto = FieldCrypto(supergraph, self.crypto.keyring, self.crypto.audit, enforcer)
        return Gateway(
            supergraph,
            transport=self.transport,
            tokens=SubgraphTokens(self.gateway_key),
            authorizer=Authorizer(supergraph.api_schema, enforcer),
            crypto=crypto,
        )

    def sql(self, database: str, statement: str, *args: Any) -> list[Any]:
        url = self.databases[database].replace("+asyncpg", "")

        async def go() -> list[Any]:
            connection = await asyncpg.connect(url, timeout=10)
            try:
                return list(await connection.fetch(statement, *args))
            finally:
                await connection.close()

        return self.run(go())

    def model_databases(self) -> dict[str, tuple[str, Any]]:
        """name -> (URL, metadata) of the subgraph databases, as ``tandem keys`` takes them."""
        from subgraphs.erp.store.base import Base as ErpBase
        from subgraphs.oa.store.models import Base as OaBase

        return {
            "oa": (self.databases["oa"], OaBase.metadata),
            "erp": (self.databases["erp"], ErpBase.metadata),
        }

    def database_arguments(self) -> list[str]:
        """``--database`` options for ``tandem keys``."""
        return [f"--database=oa={self.databases['oa']}", f"--database=erp={self.databases['erp']}"]

    def stored(self, coordinate: str, entity_id: str) -> str | None:
        """The envelope stored for ``coordinate`` of ``entity_id`` (straight from the table)."""
        database, table, column, key = STORAGE[coordinate]
        rows = self.sql(database, f"SELECT {column} FROM {table} WHERE {key} = $1", entity_id)
        return rows[0][0] if rows else None

    def stored_kid(self, coordinate: str, entity_id: str) -> str:
        envelope = self.stored(coordinate, entity_id)
        assert envelope is not None
        return envelope.split(".")[1]

    def dump(self) -> str:
        """``pg_dump`` of every database of the stack (data and schema), as one text."""
        texts = []
        for url in self.databases.values():
            plain = url.replace("+asyncpg", "")
            result = subprocess.run(
                ["pg_dump", "--no-owner", plain], capture_output=True, text=True, check=True
            )
            texts.append(result.stdout)
        return "\n".join(texts)
