"""``tandem dev``: the whole stack in one process, for trying Tandem out.

Serves, as three HTTP servers in one event loop of one process:

- the OA subgraph (``127.0.0.1:4201``) and the ERP subgraph (``127.0.0.1:4202``), each on
  its own database (SQLite files under ``TANDEM_DATA_DIR``, default ``.tandem``, unless
  ``TANDEM_OA_DATABASE_URL`` / ``TANDEM_ERP_DATABASE_URL`` say otherwise), migrated and
  loaded with the demo company on start-up;
- the gateway (``--host``/``--port``, default ``127.0.0.1:4000``) over the committed OA + ERP
  supergraph (``subgraphs/supergraph.graphql``, made by ``subgraphs/compose.sh``), believing
  the development identity headers (``X-Tandem-Dev-User``, ...).

**Events without Redis (the embedded default).** The two subgraphs' event workers share one
in-process bus: the OA's relay publishes an approval, the ERP's consumer in the same process
applies it and sends its receipt back, and the other way round for the order's message.
Nothing is lost when the process stops: every event is in its producer's outbox until its
consumer confirmed it, and is published again on the next start. With ``TANDEM_REDIS_URL``
set, the shared bus is the Redis stream bus instead (separate processes work then too).

Subgraph ports: ``TANDEM_DEV_OA_PORT`` and ``TANDEM_DEV_ERP_PORT`` (``0``: any free port); the
gateway routes to the ports actually bound. Ctrl-C (or SIGTERM) stops the gateway,
then the subgraphs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import TandemError

__all__ = ["DEV_SUPERGRAPH", "SUBGRAPH_PORTS", "run_dev"]

DEV_SUPERGRAPH = Path(__file__).resolve().parent.parent / "subgraphs" / "supergraph.graphql"
"""The OA + ERP supergraph, composed by ``subgraphs/compose.sh``."""
SUBGRAPH_PORTS: Mapping[str, int] = {"oa": 4201, "erp": 4202}
"""Where ``tandem dev`` serves the subgraphs unless ``TANDEM_DEV_<NAME>_PORT`` says otherwise."""
SUBGRAPH_HOST = "127.0.0.1"

# Who to be, from the demo company of subgraphs/oa/seed.py: (id, what they can show).
_LOGINS = (
    ("emp-031", "applicant: submits purchase requests (Production)"),
    ("emp-029", "department manager of Production: approves its requests"),
    ("emp-005", "head of Finance: approves purchases from 10 000.00 CNY"),
    ("emp-023", "head of Procurement: sends orders, receives goods"),
    ("emp-001", "CEO"),
    ("emp-047", "auditor"),
)


def run_dev(
    host: str = "127.0.0.1",
    port: int = 4000,
    *,
    oa_port: int | None = None,
    erp_port: int | None = None,
) -> int:
    """Serve the demo stack until interrupted; the process's exit status."""
    ports = {
        "oa": _port("oa", oa_port),
        "erp": _port("erp", erp_port),
    }
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(host, port, ports))
    return 0


def _port(name: str, given: int | None) -> int:
    if given is not None:
        return given
    variable = f"TANDEM_DEV_{name.upper()}_PORT"
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return SUBGRAPH_PORTS[name]
    if not raw.isdigit() or int(raw) > 65535:
        raise TandemError(f"{variable} must be a port number (0: any free port)")
    return int(raw)


@dataclass
class _Served:
    """One uvicorn server of the stack, on a socket bound before it starts."""

    name: str
    server: Any
    sock: socket.socket
    task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        port: int = self.sock.getsockname()[1]
        return port

    def start(self) -> None:
        self.task = asyncio.create_task(self._serve(), name=self.name)

    async def _serve(self) -> None:
        try:
            await self.server.serve(sockets=[self.sock])
        except SystemExit:  # uvicorn's answer to a failed start-up (logged above)
            raise TandemError(f"the {self.name} did not start") from None

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            with contextlib.suppress(Exception):
                await self.task
        self.sock.close()


def _served(name: str, app: Any, host: str, port: int) -> _Served:
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield  # _serve handles SIGINT/SIGTERM for all three servers

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        hint = f"TANDEM_DEV_{name.upper()}_PORT" if name != "gateway" else "--port"
        raise TandemError(
            f"cannot serve the {name} on {host}:{port} ({error.strerror}); choose another "
            f"port with {hint}"
        ) from None
    sock.set_inheritable(True)
    return _Served(name, Server(config), sock)


async def _started(served: list[_Served], timeout: float = 120.0) -> None:
    """Wait until every server listens; raise if one ended (a failed start-up) first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not all(s.server.started for s in served):
        for s in served:
            if s.task is not None and s.task.done():
                s.task.result()  # its exception, if it has one
                raise TandemError(f"the {s.name} did not start")
        if loop.time() > deadline:
            raise TandemError("the demo stack did not start in time")
        await asyncio.sleep(0.05)


async def _serve(host: str, port: int, ports: Mapping[str, int]) -> None:
    from subgraphs.common.events import open_bus
    from subgraphs.common.service_events import EventOptions
    from subgraphs.common.settings import load_settings
    from subgraphs.erp.app import build_app as erp_app
    from subgraphs.oa.app import build_app as oa_app

    from .auth import DevIdentity, Identifier, SubgraphTokens, load_gateway_key
    from .auth.dev_provider import DevProvider
    from .auth.routes import SSO
    from .authz.enforcer import PolicyEnforcer
    from .crypto.runtime import FieldCrypto
    from .http import create_app
    from .pipeline import Gateway
    from .supergraph import load_supergraph

    os.environ["TANDEM_DEV_IDENTITY"] = "1"
    dev_identity = DevIdentity()  # refuses TANDEM_ENV=production
    supergraph = load_supergraph(DEV_SUPERGRAPH)
    tokens = SubgraphTokens(load_gateway_key())
    settings = {"oa": load_settings("oa"), "erp": load_settings("erp")}
    options = EventOptions.from_env()
    bus = open_bus(
        settings["oa"].redis_url,
        prefix=options.prefix,
        visibility_timeout=options.visibility_timeout,
    )
    apps = {
        "oa": oa_app(settings["oa"], seed=True, bus=bus),
        "erp": erp_app(settings["erp"], seed=True, bus=bus),
    }
    subgraphs = [_served(name, apps[name], SUBGRAPH_HOST, ports[name]) for name in apps]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    running: list[_Served] = []
    gateway: Gateway | None = None
    try:
        for served in subgraphs:  # one after the other: Alembic migrates one database at a time
            served.start()
            running.append(served)
            await _started([served])
        urls = {s.name: f"http://{SUBGRAPH_HOST}:{s.port}/graphql" for s in subgraphs}
        policies = DEV_SUPERGRAPH.parent.parent / "policies"
        enforcer = PolicyEnforcer(policies / "model.conf", policies / "policy.csv")
        crypto = FieldCrypto.from_environment(supergraph, enforcer)  # keys under the data dir
        gateway = Gateway(supergraph, tokens=tokens, subgraph_urls=urls, crypto=crypto)
        port = port or _free_port(host)
        browser_host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        idp = DevProvider.for_gateway(
            f"http://{browser_host}:{port}",
            users=await _idp_users(settings["oa"].database_url),
        )
        sso = SSO.from_environ({**os.environ, **idp.sso_environ()})
        identifier = Identifier(
            sessions=sso.principal if sso is not None else None, dev_identity=dev_identity
        )
        routes = [idp.routes(), *(crypto.routes(identifier.identify) if crypto else ())]
        app = create_app(gateway, identifier=identifier, sso=sso, extra_routes=routes)
        front = _served("gateway", app, host, port)
        front.start()
        running.insert(0, front)
        await _started([front])
        print(await _banner(host, front.port, urls, settings["oa"].database_url), flush=True)
        print(
            f"  Or sign in through the built-in OpenID provider: "
            f"http://{browser_host}:{front.port}/auth/login\n{idp.banner()}\n",
            flush=True,
        )
        await stop.wait()
    finally:
        for served in running:  # the gateway first, then the subgraphs
            await served.stop()
        if gateway is not None:
            await gateway.close()
        await bus.close()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signal_number)


async def _banner(host: str, port: int, urls: Mapping[str, str], oa_database: str) -> str:
    from subgraphs.erp.store.base import current_period

    endpoint = f"http://{host}:{port}/graphql"
    period = current_period()
    logins = await _demo_logins(oa_database)
    lines = [
        "",
        "Tandem is running (OA + ERP, demo company loaded).",
        f"  GraphQL endpoint: {endpoint}",
        f"  Subgraphs: oa {urls['oa']}, erp {urls['erp']} (they answer the gateway only)",
        "",
        "  Say who you are with development headers (no login in `tandem dev`):",
        "    X-Tandem-Dev-User, X-Tandem-Dev-Roles, X-Tandem-Dev-Department, X-Tandem-Dev-Name",
        "  Demo people:",
    ]
    for login, (what, headers) in logins.items():
        lines.append(f"    {login:8} {what}")
        lines.append(f"             {headers}")
    applicant = next(iter(logins.values()), ("", ""))[1]
    query = (
        '{ me { name department { name budget(period: \\"' + period + '\\") '
        "{ amount { amount } committed { amount } } } "
        "purchaseOrders(first: 3) { edges { node { orderNo status "
        "approvalRequest { title } } } } } "
        "myApprovalRequests { edges { node { title status purchaseOrder { orderNo } } } } "
        "messages(first: 3) { edges { node { subject } } } }"
    )
    lines += [
        "",
        "  Try (OA and ERP fields in one query):",
        f"    curl -s {endpoint} -H 'content-type: application/json' \\",
        f"      {applicant} \\",
        f'      -d \'{{"query": "{query}"}}\'',
        "",
        "  A purchase, end to end (as emp-031, then emp-029 approves; above 10 000.00 CNY",
        "  emp-005 of Finance approves next); the ERP then creates the purchase order,",
        "  commits the budget, and emp-031 gets an OA message with the order number:",
        '    mutation { submitPurchaseRequest(input: { title: "Bolts", items: [{',
        '      sku: "SKU-0001", quantity: 10, unitPrice: { amount: "12.50", currency: "CNY" },',
        '      supplierId: "sup-01" }] }) { id status } }',
        '    mutation { approve(id: "<id>") { status } }',
        '    { approvalRequest(id: "<id>") { status purchaseOrder { orderNo total { amount } '
        "approvalRequest { id } } } }",
        "",
        "  Ctrl-C stops everything.",
        "",
    ]
    return "\n".join(lines)


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((host if host not in ("", "::") else "127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _idp_users(oa_database: str) -> tuple[Any, ...]:
    """One sign-in per demo role for the built-in provider: the first OA employee holding
    it (so the login's subject, roles and department are the OA's own)."""
    import secrets

    from sqlalchemy import select

    from subgraphs.common.db import create_engine, create_session_factory, transaction
    from subgraphs.oa.store.models import Employee

    from .auth.dev_provider import DEMO_ROLES, DemoUser

    engine = create_engine(oa_database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            people = (await session.scalars(select(Employee).order_by(Employee.id))).all()
    finally:
        await engine.dispose()
    users = []
    for role in DEMO_ROLES:
        holders = [p for p in people if role in (p.roles or ())]
        holder = min(holders, key=lambda p: len(p.roles), default=None)  # the plainest
        if holder is None:
            continue
        users.append(
            DemoUser(
                username=role,
                password=secrets.token_urlsafe(9),
                subject=holder.id,
                name=holder.name,
                email=holder.email,
                roles=tuple(holder.roles),
                department=holder.department_id,
            )
        )
    return tuple(users)


async def _demo_logins(oa_database: str) -> dict[str, tuple[str, str]]:
    """Login -> (what they can show, their development headers), read from the OA database."""
    from sqlalchemy import select

    from subgraphs.common.db import create_engine, create_session_factory, transaction
    from subgraphs.oa.store.models import Employee

    engine = create_engine(oa_database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            ids = [login for login, _ in _LOGINS]
            rows = (await session.scalars(select(Employee).where(Employee.id.in_(ids)))).all()
            people = {row.id: row for row in rows}
    finally:
        await engine.dispose()
    logins = {}
    for login, what in _LOGINS:
        person = people.get(login)
        if person is None:
            continue
        headers = (
            f"-H 'X-Tandem-Dev-User: {person.id}' "
            f"-H 'X-Tandem-Dev-Roles: {','.join(person.roles)}' "
            f"-H 'X-Tandem-Dev-Department: {person.department_id}' "
            f"-H 'X-Tandem-Dev-Name: {person.name}'"
        )
        logins[login] = (f"{person.name}, {what}", headers)
    return logins
