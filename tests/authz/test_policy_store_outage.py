"""The policy database goes away and comes back (issue 11, item 3): the policy in force stays
in force, the admin API answers 503 ``SERVICE_UNAVAILABLE`` with ``Retry-After``, the sync's
checks log the outage once (no traceback per poll), and the first change after the database
returns goes through (the pooled connections it closed are replaced).

The database is a scratch one on the real PostgreSQL, reached through a TCP forwarder the test
cuts (``tests/support/tcp_cut.py``): PostgreSQL itself is shared and never stopped.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from tandem_shared.tokens import Principal
from tests.authz.policy_support import (
    GatewayReplica,
    admin_headers,
    build_replica,
    scratch_postgres,
)
from tests.support.fixtures import DEMO_SUPERGRAPH
from tests.support.tcp_cut import TcpCut, tcp_cut

pytestmark = pytest.mark.anyio

ADMIN = "/admin/graphql"
ADD = """mutation($rule: PolicyRuleInput!, $v: Int) {
  addPolicyRule(rule: $rule, expectedVersion: $v) { version { version } } }"""
RULES = '{ currentVersion rules(subject: "employee") { text } }'
EMAIL_DENY = {"subject": "employee", "object": "Employee.email", "action": "read", "effect": "deny"}
PHONE_DENY = {"subject": "employee", "object": "Employee.phone", "action": "read", "effect": "deny"}
EMPLOYEE = Principal(subject="emp-001", name="E", roles=("employee",), department="dept-01")


@pytest.fixture
def database() -> Iterator[tuple[str, TcpCut]]:
    """A scratch database's URL through a forwarder, and the forwarder."""
    with scratch_postgres() as direct:
        url = make_url(direct)
        with tcp_cut(url.host or "127.0.0.1", url.port or 5432) as forwarder:
            through = url.set(host="127.0.0.1", port=forwarder.port)
            yield through.render_as_string(hide_password=False), forwarder


@pytest.fixture
async def replica(database: tuple[str, TcpCut]) -> AsyncIterator[GatewayReplica]:
    started = build_replica(DEMO_SUPERGRAPH, database[0])  # no poller: the test checks
    async with started.app.router.lifespan_context(started.app):
        yield started


async def _admin(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post(
        ADMIN, json={"query": query, "variables": variables or {}}, headers=admin_headers()
    )


def _lines(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


async def test_the_policy_stays_and_the_admin_api_answers_503_while_the_database_is_away(
    replica: GatewayReplica, database: tuple[str, TcpCut], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tandem.authz")
    forwarder = database[1]
    sync = replica.runtime.sync
    assert sync is not None
    transport = httpx.ASGITransport(app=replica.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://replica") as client:
        added = await _admin(client, ADD, {"rule": EMAIL_DENY, "v": 1})
        assert added.status_code == 200, added.text
        assert not replica.enforcer.decide(EMPLOYEE, "Employee.email", "read").allowed
        in_force = replica.enforcer.revision

        forwarder.cut()
        write = await _admin(client, ADD, {"rule": PHONE_DENY, "v": 2})
        read = await _admin(client, RULES)
        for _ in range(3):
            await sync.check()  # the poller's step: does not raise
        for response in (write, read):
            assert response.status_code == 503, response.text
            [error] = response.json()["errors"]
            assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert "policy in force" in error["message"]
            assert int(response.headers["retry-after"]) >= 1
        assert replica.enforcer.revision == in_force == 2  # nothing dropped, nothing loaded
        assert not replica.enforcer.decide(EMPLOYEE, "Employee.email", "read").allowed
        assert len(_lines(caplog, "policy database unavailable")) == 1

        forwarder.restore()
        again = await _admin(client, ADD, {"rule": PHONE_DENY, "v": 2})
        assert again.status_code == 200, again.text  # the dead pooled connections replaced
        assert again.json()["data"]["addPolicyRule"]["version"]["version"] == 3
        assert replica.enforcer.revision == 3
        assert not replica.enforcer.decide(EMPLOYEE, "Employee.phone", "read").allowed
        await sync.check()
    [back] = _lines(caplog, "policy database reachable again")
    assert "after 5 failed call(s)" in back  # two admin operations and three checks
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]
