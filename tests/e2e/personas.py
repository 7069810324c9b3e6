"""The demo company's personas and the gateway their journeys run against
(``tests/e2e/test_personas.py``).

:data:`PEOPLE` are real people of ``subgraphs/oa/seed.py`` with the roles and department the
seed gives them; the journeys present them through the development identity headers, so the
default policy decides on exactly what a signed-in person of that role would hold.

:func:`start_dev` starts what ``make run`` starts (``tandem dev``, OA and ERP in-process,
its run-time policy store a scratch SQLite file seeded from ``policies/``, as its development
profile says); :func:`start_serve` starts ``tandem serve --policy policies`` over a
:class:`Stack`'s OA and ERP with a scratch policy database. Both therefore serve the policy
admin API at ``/admin/graphql``; :class:`PolicyAdmin` talks to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.stack import Gateway, Person, Service, Stack, service_env
from tests.support.gateway_process import tandem_command
from tests.support.processes import REPO_ROOT, free_port

__all__ = [
    "PEOPLE",
    "PolicyAdmin",
    "client_for",
    "person",
    "start_dev",
    "start_serve",
]


def _person(n: int, name: str, department: str, *roles: str) -> Person:
    return Person(f"emp-{n:03d}", name, ("employee", *roles), department)


PEOPLE: dict[str, Person] = {
    p.id: p
    for p in (
        _person(1, "Hui Yang", "dept-01", "manager"),  # the CEO: approves the executives
        _person(2, "Ying Xu", "dept-01"),  # an executive assistant
        _person(5, "Yan Ma", "dept-02", "manager", "finance"),  # head of Finance
        _person(6, "Na Chen", "dept-02", "finance"),  # an accountant
        _person(14, "Jun Yang", "dept-03", "security_admin"),
        _person(15, "Wei Xu", "dept-03", "integrator"),
        _person(20, "Yan Wu", "dept-04", "hr"),
        _person(21, "Na Li", "dept-04", "hr"),  # a colleague in HR
        _person(23, "Xin Sun", "dept-05", "manager", "procurement"),  # head of Procurement
        _person(24, "Jing Liu", "dept-05", "procurement"),  # a buyer
        _person(25, "Qiang Zhou", "dept-05", "procurement"),  # the warehouse keeper
        _person(29, "Jun Zhang", "dept-06", "manager", "production"),  # head of Production
        _person(30, "Wei Huang", "dept-06", "production"),  # a production planner
        _person(31, "Hui Ma", "dept-06", "production"),  # the ordinary employee of the issue
        _person(40, "Qiang Yang", "dept-07", "sales"),  # a sales rep
        _person(48, "Tao Zhao", "dept-08", "auditor"),
    )
}
"""Employee id -> the person as the seed makes them (roles: ``_roles`` in the seed)."""


def person(employee_id: str) -> Person:
    """The persona ``employee_id`` (a KeyError names a person the table lacks)."""
    return PEOPLE[employee_id]


def _answers(client: httpx.Client, base: str) -> bool:
    return client.post(f"{base}/graphql", json={"query": "{ __typename }"}).status_code == 200


def _policy_store(folder: Path) -> dict[str, str]:
    """A scratch policy database: the admin API is served, the shared checkout untouched."""
    return {"TANDEM_POLICY_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'policy.sqlite'}"}


@contextmanager
def start_dev(folder: Path) -> Iterator[Service]:
    """``tandem dev`` (what ``make run`` starts) on a free port, its data in ``folder``."""
    port = free_port()
    env = service_env(TANDEM_DATA_DIR=str(folder), TANDEM_DEV_OA_PORT="0", TANDEM_DEV_ERP_PORT="0")
    service = Service(
        "tandem-dev", [*tandem_command(), "dev", "--port", str(port)], env, port, folder, _answers
    )
    try:
        service.start(timeout=120)
        yield service
    finally:
        service.stop()


@contextmanager
def start_serve(stack: Stack) -> Iterator[Service]:
    """``tandem serve --policy policies`` over ``stack``'s OA and ERP (their keys, their
    supergraph), with the development identity headers believed."""
    folder = stack.oa.logs
    port = free_port()
    service = Service(
        "gateway-personas",
        [*tandem_command(), "serve", "--supergraph", str(folder / "supergraph.graphql"),
         "--port", str(port), "--policy", str(REPO_ROOT / "policies"), "--authz-explain"],
        service_env(TANDEM_DATA_DIR=str(folder), TANDEM_DEV_IDENTITY="1",
                    **_policy_store(folder / f"personas-{port}")),
        port,
        folder,
        _answers,
    )  # fmt: skip
    (folder / f"personas-{port}").mkdir()
    try:
        service.start()
        yield service
    finally:
        service.stop()


@dataclass
class PolicyAdmin:
    """The policy admin API (``/admin/graphql``) of a gateway, as one of :data:`PEOPLE`."""

    base_url: str
    http: httpx.Client
    people: Callable[[str], Person] = person

    def post(self, who: str, query: str, **variables: Any) -> tuple[int, dict[str, Any]]:
        """The HTTP status and body of ``query`` sent as ``who``."""
        response = self.http.post(
            f"{self.base_url}/admin/graphql",
            json={"query": query, "variables": variables},
            headers=self.people(who).headers,
        )
        body: dict[str, Any] = response.json() if response.content else {}
        return response.status_code, body

    def data(self, who: str, query: str, **variables: Any) -> dict[str, Any]:
        """``data`` of an answer that must be a success."""
        status, body = self.post(who, query, **variables)
        assert status == 200 and not body.get("errors"), (status, body)
        data: dict[str, Any] = body["data"]
        return data

    def mounted(self) -> bool:
        """Whether this gateway serves the admin API at all (404: not in this configuration)."""
        return self.http.post(f"{self.base_url}/admin/graphql", json={}).status_code != 404


def client_for(service: Service) -> Gateway:
    """GraphQL through ``service`` as the personas."""
    return Gateway(service.url, person)
