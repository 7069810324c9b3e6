"""``tandem dev``: the whole stack in one process, for trying Tandem out.

Serves, as three HTTP servers in one event loop of one process:

- the OA subgraph (``127.0.0.1:4201``) and the ERP subgraph (``127.0.0.1:4202``), each on
  its own database (SQLite files under ``TANDEM_DATA_DIR``, default ``.tandem``, unless
  ``TANDEM_OA_DATABASE_URL`` / ``TANDEM_ERP_DATABASE_URL`` say otherwise), migrated and
  loaded with the demo company on start-up;
- the gateway (settings ``host``/``port``, default ``127.0.0.1:4000``), built by the same
  composition root as ``tandem serve`` (:func:`gateway.http.factory.build_app`) from the same
  settings, with what the development profile (:mod:`gateway.profiles`) fills in where nothing
  is configured: the committed OA + ERP supergraph, the default policy in ``policies/``, the
  development identity headers (``X-Tandem-Dev-User``, ...) and, unless ``oidc_issuer`` names
  an external provider, the built-in OpenID provider at ``/dev-idp``.

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
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import TandemError
from .profiles import DEVELOPMENT
from .settings import Settings

__all__ = ["DEV_CONSOLE", "DEV_POLICIES", "DEV_SUPERGRAPH", "development_settings", "run_dev"]

_REPO = Path(__file__).resolve().parent.parent
DEV_SUPERGRAPH = _REPO / "subgraphs" / "supergraph.graphql"
"""The OA + ERP supergraph, composed by ``subgraphs/compose.sh``."""
DEV_POLICIES = _REPO / "policies"
"""The default policy, enforced by ``tandem dev`` as ``tandem serve --policy`` enforces it."""
DEV_CONSOLE = _REPO / "console" / "dist"
"""The web console as ``make console`` builds it (``gateway/http/console.py`` serves it)."""
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


def run_dev(settings: Settings) -> int:
    """Serve the demo stack until interrupted; the process's exit status."""
    if settings.production:
        raise TandemError("tandem dev runs the demo company; it refuses env = production")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(settings))
    return 0


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


def _served(
    name: str, app: Any, host: str, port: int, options: dict[str, Any] | None = None
) -> _Served:
    """A server bound now; ``app`` may be set on its ``server.config`` until it starts;
    ``options``: more uvicorn options (the gateway's read bounds, as ``tandem serve``'s)."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield  # _serve handles SIGINT/SIGTERM for all three servers

    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="on", **(options or {})
    )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        hint = (
            f"TANDEM_DEV_{name.upper()}_PORT"
            if name != "gateway"
            else "--port, TANDEM_PORT or make run PORT=..."
        )
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



def development_settings(
    settings: Settings, subgraph_urls: Mapping[str, str], gateway_url: str
) -> Settings:
    """``settings`` with what the development profile fills in where nothing was configured:
    the committed supergraph, the default policy (its run-time store a scratch SQLite file),
    the subgraphs where they were bound, the development identity headers, the console."""
    changes: dict[str, Any] = {
        "subgraph_urls": {**subgraph_urls, **settings.subgraph_urls},
        "dev_identity": DEVELOPMENT.dev_identity_headers,
    }
    if settings.supergraph is None:
        changes["supergraph"] = DEV_SUPERGRAPH
    if settings.policy_dir is None:
        changes["policy_dir"] = DEV_POLICIES
    if settings.console_dir is None:
        changes["console_dir"] = DEV_CONSOLE
    if (
        DEVELOPMENT.scratch_policy_database
        and settings.policy_database_url is None
        and settings.policy_store == "file"
    ):
        database = settings.data_dir / "policy.sqlite"
        database.unlink(missing_ok=True)  # seeded afresh from the policy files at start-up
        changes["policy_database_url"] = f"sqlite+aiosqlite:///{database}"
    if settings.oidc_issuer is None and DEVELOPMENT.builtin_provider:
        changes["session_insecure_localhost"] = (
            DEVELOPMENT.plain_http_cookies_on_loopback and gateway_url.startswith("http:")
        )
    return settings.updated(**changes)


async def _serve(settings: Settings) -> None:
    from subgraphs.common.events import open_bus
    from subgraphs.common.service_events import EventOptions
    from subgraphs.common.settings import load_settings
    from subgraphs.erp.app import build_app as erp_app
    from subgraphs.oa.app import build_app as oa_app
    from tandem_shared.tokens import Principal

    from .auth.dev_provider import DevProvider
    from .http.factory import build_app, check_settings
    from .http.server import server_options

    subgraph_environ = {**os.environ, "TANDEM_DATA_DIR": str(settings.data_dir)}
    service_settings = {
        "oa": load_settings("oa", subgraph_environ),
        "erp": load_settings("erp", subgraph_environ),
    }
    options = EventOptions.from_env()
    bus = open_bus(
        service_settings["oa"].redis_url or settings.redis_url,
        prefix=options.prefix,
        visibility_timeout=options.visibility_timeout,
    )
    apps = {
        "oa": oa_app(service_settings["oa"], seed=True, bus=bus),
        "erp": erp_app(service_settings["erp"], seed=True, bus=bus),
    }
    ports = {"oa": settings.dev_oa_port, "erp": settings.dev_erp_port}
    subgraphs = [_served(name, apps[name], SUBGRAPH_HOST, ports[name]) for name in apps]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    running: list[_Served] = []
    try:
        for served in subgraphs:  # one after the other: Alembic migrates one database at a time
            served.start()
            running.append(served)
            await _started([served])
        urls = {s.name: f"http://{SUBGRAPH_HOST}:{s.port}/graphql" for s in subgraphs}
        front = _served(
            "gateway", None, settings.host, settings.port, server_options(settings)
        )
        browser_host = "127.0.0.1" if settings.host in ("0.0.0.0", "", "::") else settings.host
        base_url = f"http://{browser_host}:{front.port}"
        gateway_settings = development_settings(settings, urls, base_url)
        routes = []
        idp = None
        warm: list[Principal] = []
        if gateway_settings.oidc_issuer is None and DEVELOPMENT.builtin_provider:
            users = await _idp_users(service_settings["oa"].database_url)
            # the demo logins' visible schemas are built from the start, in the background
            warm = [Principal(u.subject, u.name, u.roles, u.department) for u in users]
            idp = DevProvider.for_gateway(
                base_url,
                users=users,
                environ=gateway_settings.environ(),  # refuses env = production
                admit=_still_active(service_settings["oa"].database_url),
            )
            gateway_settings = gateway_settings.updated(**idp.sso_settings())
            routes.append(idp.routes())
        supergraph = check_settings(gateway_settings)
        front.server.config.app = build_app(
            gateway_settings, supergraph=supergraph, extra_routes=routes, warm=warm
        )
        front.start()
        running.insert(0, front)
        await _started([front])
        await _reference_copy_caught_up(
            service_settings["oa"].database_url, service_settings["erp"].database_url
        )
        print(
            await _banner(settings.host, front.port, urls, service_settings["oa"].database_url),
            flush=True,
        )
        console = gateway_settings.console_dir
        if console is not None and (console / "index.html").is_file():
            print(f"  The console: {base_url}/ (sign in as a demo user below)", flush=True)
        elif console is not None:
            print(f"  The console is not built ({console}): make console", flush=True)
        if idp is not None:
            print(
                f"  Or sign in through the built-in OpenID provider: {base_url}/auth/login\n"
                f"{idp.banner()}\n",
                flush=True,
            )
        else:
            print(f"  Sign in at {base_url}/auth/login ({gateway_settings.oidc_issuer})\n")
        await stop.wait()
    finally:
        for served in running:  # the gateway first, then the subgraphs
            await served.stop()
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


async def _reference_copy_caught_up(
    oa_database: str, erp_database: str, timeout: float = 60.0
) -> None:
    """Wait until OA's copy of the ERP's items and suppliers (kept by the ERP's events,
    ``subgraphs/oa/store/erp_copy.py``) holds as many as the freshly seeded ERP, so that the
    demo is consistent when the banner invites people in: a purchase request naming a seeded
    item is then never refused for an item OA has not heard of yet. After ``timeout`` the
    banner comes anyway, with a note (the events still arrive; the check catches up)."""
    from sqlalchemy import func, select

    from subgraphs.erp.store.models.inventory import Item
    from subgraphs.erp.store.models.procurement import Supplier
    from subgraphs.oa.store.models import erp_items, erp_suppliers
    from tandem_shared.db import create_engine, create_session_factory, transaction

    async def counts(database: str, *tables: Any) -> list[int]:
        engine = create_engine(database)
        try:
            async with transaction(create_session_factory(engine)) as session:
                return [
                    int(await session.scalar(select(func.count()).select_from(t)) or 0)
                    for t in tables
                ]
        finally:
            await engine.dispose()

    wanted = await counts(erp_database, Item, Supplier)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        copied = await counts(oa_database, erp_items, erp_suppliers)
        if all(have >= need for have, need in zip(copied, wanted, strict=True)):
            return
        if asyncio.get_running_loop().time() > deadline:
            print("  OA has not yet heard of every ERP item and supplier; it catches up.")
            return
        await asyncio.sleep(0.2)


async def _idp_users(oa_database: str) -> tuple[Any, ...]:
    """One sign-in per demo role for the built-in provider: the first OA employee holding
    it (so the login's subject, roles and department are the OA's own)."""
    import secrets

    from sqlalchemy import select

    from subgraphs.oa.store.models import Employee
    from tandem_shared.db import create_engine, create_session_factory, transaction

    from .auth.dev_provider import DemoUser
    from .demo import DEMO_ROLES

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


def _still_active(oa_database: str) -> Callable[[Any], Awaitable[bool]]:
    """The built-in provider's check at each sign-in: the login's employee is not one HR
    deactivated in the OA database (read afresh each time; a subject OA does not know is
    let through, as the subgraphs let it through)."""

    async def admit(user: Any) -> bool:
        from sqlalchemy import select

        from subgraphs.oa.store.models import Employee
        from tandem_shared.db import create_engine, create_session_factory, transaction

        engine = create_engine(oa_database)
        try:
            async with transaction(create_session_factory(engine)) as session:
                active = await session.scalar(
                    select(Employee.active).where(Employee.id == user.subject)
                )
        finally:
            await engine.dispose()
        return active is not False

    return admit


async def _demo_logins(oa_database: str) -> dict[str, tuple[str, str]]:
    """Login -> (what they can show, their development headers), read from the OA database."""
    from sqlalchemy import select

    from subgraphs.oa.store.models import Employee
    from tandem_shared.db import create_engine, create_session_factory, transaction

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
