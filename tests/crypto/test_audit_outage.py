"""The audit database goes away and comes back (issue 11, item 3): a request that read
plaintexts gets no data while their audit rows cannot be written (503 ``AUDIT_UNAVAILABLE``
with ``Retry-After``: fail closed), masked values are served as usual, auditors' reads of the
log answer ``SERVICE_UNAVAILABLE``, the outage is logged once, and the first plaintext read
after the database returns is served and audited.

The audit database is this folder's scratch one on the real PostgreSQL, reached through a TCP
forwarder the test cuts (``tests/support/tcp_cut.py``); PostgreSQL itself is never stopped.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from gateway.auth.dev_identity import DevIdentity
from gateway.auth.subgraph_tokens import SubgraphTokens
from gateway.authz.authorizer import Authorizer
from gateway.crypto.audit import ReadFilter, SqlAuditLog
from gateway.crypto.errors import AuditUnavailable
from gateway.crypto.runtime import FieldCrypto
from gateway.http.app import create_app
from gateway.pipeline import Gateway
from gateway.shared_state import ServiceUnavailable
from gateway.supergraph import load_supergraph
from tests.authz.policy_support import identity
from tests.crypto.stack import PEOPLE, SUPERGRAPH, Stack
from tests.support.tcp_cut import tcp_cut

QUERY = '{ employee(id: "emp-035") { phone } }'
HR = PEOPLE["hr"]


def _gateway(stack: Stack, audit: SqlAuditLog) -> Gateway:
    assert stack.crypto is not None and stack.enforcer is not None
    supergraph = load_supergraph(SUPERGRAPH)
    return Gateway(
        supergraph,
        transport=stack.transport,
        tokens=SubgraphTokens(stack.gateway_key),
        authorizer=Authorizer(supergraph.api_schema, stack.enforcer),
        crypto=FieldCrypto(supergraph, stack.crypto.keyring, audit, stack.enforcer),
    )


def _phone(stack: Stack, gateway: Gateway, role: str) -> Any:
    answer = stack.run(gateway.execute(QUERY, principal=PEOPLE[role]))
    assert "errors" not in answer, answer
    return answer["data"]["employee"]["phone"]


def _audited(stack: Stack) -> int:
    [row] = stack.sql(
        "audit",
        "SELECT count(*) AS n FROM crypto_plaintext_reads WHERE subject = $1",
        HR.subject,
    )
    return int(row["n"])


def _over_http(stack: Stack, gateway: Gateway) -> httpx.Response:
    app = create_app(gateway, dev_identity=DevIdentity({}))
    headers = identity(HR.subject, *HR.roles, department=HR.department or "")

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            return await client.post("/graphql", json={"query": QUERY}, headers=headers)

    return stack.run(post())


def test_plaintext_reads_fail_closed_while_the_audit_database_is_away(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    url = make_url(stack.databases["audit"])
    with tcp_cut(url.host or "127.0.0.1", url.port or 5432) as forwarder:
        through = url.set(host="127.0.0.1", port=forwarder.port)
        audit = SqlAuditLog(through.render_as_string(hide_password=False))
        gateway = _gateway(stack, audit)
        try:
            plain = _phone(stack, gateway, "hr")
            assert not plain.startswith("*")  # hr reads the phone number in full
            before = _audited(stack)

            forwarder.cut()
            for _ in range(2):
                with pytest.raises(AuditUnavailable) as refused:
                    stack.run(gateway.execute(QUERY, principal=HR))
                assert (refused.value.status, refused.value.code) == (503, "AUDIT_UNAVAILABLE")
            response = _over_http(stack, gateway)
            assert response.status_code == 503, response.text
            assert response.json()["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"
            assert "data" not in response.json() and plain not in response.text
            assert int(response.headers["retry-after"]) >= 1
            assert _phone(stack, gateway, "auditor").startswith("****")  # masked: no row needed
            with pytest.raises(ServiceUnavailable) as log_read:
                stack.run(audit.query(ReadFilter(), 10))
            assert log_read.value.code == "SERVICE_UNAVAILABLE"
            assert _audited(stack) == before  # the refused reads wrote nothing (and showed none)

            forwarder.restore()
            assert _phone(stack, gateway, "hr") == plain  # the first request after is served
            assert _audited(stack) == before + 1
        finally:
            stack.run(audit.close())
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "audit database unavailable" in m]) == 1
    [back] = [m for m in messages if "audit database reachable again" in m]
    assert "after 4 failed call(s)" in back  # three refused requests and one log read
    assert not [r for r in caplog.records if r.exc_info], caplog.text
