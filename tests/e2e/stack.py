"""The whole system as real processes, for end-to-end and fault tests.

A :class:`Stack` is the OA subgraph (``python -m subgraphs.oa``), the ERP subgraph
(``python -m subgraphs.erp``) and ``tandem serve`` over the committed OA + ERP supergraph,
each a child process on a free port talking real HTTP, the subgraphs on their own
PostgreSQL databases and on a Redis stream bus (a key prefix of their own). Tests act as
the demo company's people through the gateway with the development identity headers.

The event timings are shortened for tests (``TANDEM_EVENTS_*``): a delivery left
unacknowledged is taken over after 2 s, an unconfirmed event is published again after
1 s (at most every 4 s), and each service keeps one consumer name across restarts.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]
import httpx
import redis

from tests.support.fixtures import write_supergraph
from tests.support.gateway_process import tandem_command
from tests.support.processes import REPO_ROOT, free_port
from tests.support.spawn import Child, spawn

__all__ = [
    "POSTGRES_URL",
    "SUPERGRAPH",
    "Gateway",
    "Person",
    "Service",
    "Stack",
    "eventually",
    "scratch_database",
    "service_env",
    "sql",
]

POSTGRES_URL = os.environ.get(
    "TANDEM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SUPERGRAPH = REPO_ROOT / "subgraphs" / "supergraph.graphql"
TEST_EVENT_TIMINGS: Mapping[str, str] = {
    "TANDEM_EVENTS_VISIBILITY_TIMEOUT": "2",
    "TANDEM_EVENTS_REDELIVERY_AFTER": "1",
    "TANDEM_EVENTS_MAX_REDELIVERY_INTERVAL": "4",
}

T = TypeVar("T")


# -- waiting ------------------------------------------------------------------------------


def eventually(check: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.2) -> T:
    """``check()``'s first truthy result, retried while it returns a falsy value or fails an
    assertion; after ``timeout`` seconds the last assertion (or a timeout) is raised."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
            failure: AssertionError | None = None
        except AssertionError as error:
            failure = error
        if time.monotonic() > deadline:
            if failure is not None:
                raise failure
            raise AssertionError(f"{getattr(check, '__name__', check)} not true in {timeout}s")
        time.sleep(interval)


# -- databases ----------------------------------------------------------------------------


def sql(url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    """Run one statement on the PostgreSQL database at ``url``; its rows."""

    async def run() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(url, timeout=10)
        try:
            rows: list[asyncpg.Record] = await connection.fetch(query, *args)
            return rows
        finally:
            await connection.close()

    return asyncio.run(run())


@contextmanager
def scratch_database(label: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for the session (``postgresql://`` URL); dropped after."""
    name = f"tandem_{label}_{uuid.uuid4().hex[:10]}"
    sql(POSTGRES_URL, f'CREATE DATABASE "{name}"')
    try:
        base, _, _ = POSTGRES_URL.rpartition("/")
        yield f"{base}/{name}"
    finally:
        sql(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- processes ----------------------------------------------------------------------------


def service_env(**settings: str) -> dict[str, str]:
    """This process's environment without any ``TANDEM_*`` variable, plus ``settings``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TANDEM_")}
    env.update(settings)
    return env


@dataclass
class Service:
    """A child process serving HTTP on ``port`` (a subgraph or the gateway), logging to a file.

    ``command`` is started by :meth:`start` (again after :meth:`stop` or :meth:`kill`, on the
    same port); ready once ``ready_path`` answers 200.
    """

    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    logs: Path
    ready: Callable[[httpx.Client, str], bool]
    child: Child | None = None
    starts: int = 0

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return None if self.child is None else self.child.process

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base_url}/graphql"

    def start(self, command: list[str] | None = None, timeout: float = 60.0) -> Service:
        """Start the process (``command`` replaces the usual one this time) and wait until
        it answers."""
        assert not self.running, f"{self.name} runs"
        self.starts += 1
        self.child = spawn(
            self.name,
            command or self.command,
            env=self.env,
            log_path=self.logs / f"{self.name}-{self.starts}.log",
            new_session=True,  # a Ctrl-C of pytest does not reach it first
        )
        with httpx.Client(timeout=2.0) as client:
            self.child.wait_ready(lambda: self._answers(client), timeout)
        return self

    def _answers(self, client: httpx.Client) -> bool:
        try:
            return self.ready(client, self.base_url)
        except httpx.TransportError:
            return False

    @property
    def running(self) -> bool:
        return self.child is not None and self.child.running

    def output(self) -> str:
        """What the current (or last) process printed."""
        return "" if self.child is None else self.child.output()

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, and SIGKILL if it is still there after ``grace`` seconds."""
        if self.child is not None:
            self.child.stop(grace)

    def kill(self) -> None:
        """SIGKILL: no clean-up, no acknowledgement, connections dropped by the kernel."""
        if self.child is not None:
            self.child.kill()


def _healthy(client: httpx.Client, base_url: str) -> bool:
    return client.get(f"{base_url}/health").status_code == 200


def _gateway_answers(client: httpx.Client, base_url: str) -> bool:
    response = client.post(f"{base_url}/graphql", json={"query": "{ __typename }"})
    return response.status_code == 200


def subgraph_command(name: str, port: int, module: str | None = None) -> list[str]:
    """``python -m subgraphs.<name> --port <port>`` (or another module taking ``--port``)."""
    target = module or f"subgraphs.{name}"
    return [sys.executable, "-m", target, "--port", str(port), "--log-level", "warning"]


# -- people and the gateway ---------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Someone of the demo company, as the development identity headers present them."""

    id: str
    name: str
    roles: tuple[str, ...]
    department: str

    @property
    def headers(self) -> dict[str, str]:
        return {
            "x-tandem-dev-user": self.id,
            "x-tandem-dev-name": self.name,
            "x-tandem-dev-roles": ",".join(self.roles),
            "x-tandem-dev-department": self.department,
        }


@dataclass
class Gateway:
    """GraphQL through the gateway, as one of the demo people."""

    url: str
    people: Callable[[str], Person]
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30.0))

    def post(self, who: str, query: str, **variables: Any) -> dict[str, Any]:
        """The whole response body of ``query`` sent as ``who`` (an employee id)."""
        response = self.http.post(
            self.url,
            json={"query": query, "variables": variables},
            headers=self.people(who).headers,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, who: str, query: str, **variables: Any) -> dict[str, Any]:
        """``data`` of a response that must have no errors."""
        body = self.post(who, query, **variables)
        assert not body.get("errors"), json.dumps(body["errors"], indent=1)
        data: dict[str, Any] = body["data"]
        return data

    def close(self) -> None:
        self.http.close()


# -- the stack ----------------------------------------------------------------------------


@dataclass
class Stack:
    """OA, ERP and the gateway as processes (see the module docstring); start with
    :meth:`start`, stop with :meth:`stop`."""

    oa: Service
    erp: Service
    gateway: Service
    oa_database: str
    erp_database: str
    redis_url: str
    prefix: str
    _people: dict[str, Person] = field(default_factory=dict)
    _client: Gateway | None = None

    @classmethod
    def create(
        cls,
        folder: Path,
        *,
        oa_database: str,
        erp_database: str,
        redis_url: str,
        prefix: str | None = None,
    ) -> Stack:
        """A stack whose processes log and keep their keys in ``folder``; not started."""
        folder.mkdir(parents=True, exist_ok=True)
        prefix = prefix or f"tandem-test:{uuid.uuid4().hex[:10]}:"
        common = {
            "TANDEM_DATA_DIR": str(folder),  # the development key the gateway signs with
            "TANDEM_OA_DATABASE_URL": oa_database,
            "TANDEM_ERP_DATABASE_URL": erp_database,
            "TANDEM_REDIS_URL": redis_url,
            "TANDEM_EVENTS_PREFIX": prefix,
            **TEST_EVENT_TIMINGS,
        }
        oa_port, erp_port, gateway_port = free_port(), free_port(), free_port()
        supergraph = write_supergraph(
            {
                "oa": f"http://127.0.0.1:{oa_port}/graphql",
                "erp": f"http://127.0.0.1:{erp_port}/graphql",
            },
            folder / "supergraph.graphql",
            source=SUPERGRAPH,
        )
        oa = Service(
            "oa",
            subgraph_command("oa", oa_port),
            service_env(**common, TANDEM_OA_SEED="1", TANDEM_EVENTS_CONSUMER="oa-1"),
            oa_port,
            folder,
            _healthy,
        )
        erp = Service(
            "erp",
            subgraph_command("erp", erp_port),
            service_env(**common, TANDEM_ERP_SEED="1", TANDEM_EVENTS_CONSUMER="erp-1"),
            erp_port,
            folder,
            _healthy,
        )
        gateway = Service(
            "gateway",
            [*tandem_command(), "serve", "--supergraph", str(supergraph), "--port",
             str(gateway_port), "--subgraph-timeout", "10"],
            service_env(TANDEM_DATA_DIR=str(folder), TANDEM_DEV_IDENTITY="1"),
            gateway_port,
            folder,
            _gateway_answers,
        )  # fmt: skip
        return cls(oa, erp, gateway, oa_database, erp_database, redis_url, prefix)

    def start(self) -> Stack:
        """Start OA, then ERP (each migrates and seeds its database), then the gateway."""
        self.oa.start()
        self.erp.start()
        self.gateway.start()
        return self

    def stop(self) -> None:
        """Stop every process (gateway first); close the client."""
        for service in (self.gateway, self.erp, self.oa):
            service.stop()
        if self._client is not None:
            self._client.close()

    def settled(self) -> bool:
        """Whether every copy of every event published so far has been delivered to each
        consumer group and acknowledged (its effect committed): each stream of this stack
        has no entry a group has yet to read (lag 0) nor one read but not acknowledged.

        Once an event's outbox row is confirmed it is not published again, so after that
        and this, no late copy of it can arrive: what a test then reads is final.
        """
        client = redis.Redis.from_url(self.redis_url, decode_responses=True)
        try:
            for stream in client.scan_iter(match=f"{self.prefix}*", _type="STREAM"):
                for group in client.xinfo_groups(stream):
                    lag = group["lag"]
                    if lag is None:  # Redis cannot tell after a trim: count what was added
                        added = client.xinfo_stream(stream)["entries-added"]
                        lag = added - (group["entries-read"] or 0)
                    if group["pending"] or lag:
                        return False
        finally:
            client.close()
        return True

    @property
    def client(self) -> Gateway:
        """GraphQL through this stack's gateway."""
        if self._client is None:
            self._client = Gateway(self.gateway.url, self.person)
        return self._client

    def person(self, employee_id: str) -> Person:
        """The demo employee ``employee_id``, with the roles and department the OA holds."""
        if employee_id not in self._people:
            rows = sql(
                self.oa_database,
                "SELECT id, name, roles, department_id FROM oa_employees WHERE id = $1",
                employee_id,
            )
            assert rows, f"no employee {employee_id}"
            row = rows[0]
            roles = row["roles"] if isinstance(row["roles"], list) else json.loads(row["roles"])
            self._people[employee_id] = Person(
                row["id"], row["name"], tuple(roles), row["department_id"]
            )
        return self._people[employee_id]

    def logs(self) -> str:
        """Every process's output, for a failing test's report."""
        return "\n".join(
            f"--- {service.name} ---\n{service.output()[-6000:]}"
            for service in (self.oa, self.erp, self.gateway)
        )
