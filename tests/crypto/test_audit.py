"""Plaintext reads are audited before the response leaves, and auditors query the log through
``/admin/crypto/graphql`` (guarded by the policy)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from gateway.auth.subgraph_tokens import SubgraphTokens
from gateway.authz.authorizer import Authorizer
from gateway.crypto.audit import PlaintextRead, ReadFilter
from gateway.crypto.errors import AuditUnavailable
from gateway.crypto.runtime import FieldCrypto
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph
from tandem_shared.tokens import Principal
from tests.crypto.stack import PEOPLE, SUPERGRAPH, Stack, seeded_id_card

READS = """
query ($coordinate: String, $after: String, $first: Int!) {
  plaintextReads(coordinate: $coordinate, first: $first, after: $after) {
    nodes { id at subject clientId coordinate entityId rule keyId }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _post(stack: Stack, role: str | None, body: dict[str, Any]) -> httpx.Response:
    assert stack.crypto is not None

    def identify(request: Request) -> Principal | None:
        name = request.headers.get("x-test-role")
        return PEOPLE[name] if name else None

    app = Starlette(routes=stack.crypto.routes(identify))
    headers = {"x-test-role": role} if role else {}

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            return await client.post("/admin/crypto/graphql", json=body, headers=headers)

    return stack.run(post())


def test_each_plaintext_read_is_a_row_auditors_can_query(stack: Stack) -> None:
    response = stack.execute(
        "hr", '{ a: employee(id: "emp-033") { idCardNumber } b: employee(id: "emp-034") '
        "{ idCardNumber phone } }",
    )  # fmt: skip
    assert response["data"]["a"] == {"idCardNumber": seeded_id_card(33)}

    answer = _post(
        stack, "auditor", {"query": READS, "variables": {"first": 2, "coordinate": None}}
    )
    assert answer.status_code == 200, answer.text
    page = answer.json()["data"]["plaintextReads"]
    newest = page["nodes"]
    assert [(n["coordinate"], n["entityId"]) for n in newest] == [
        ("Employee.phone", "emp-034"),
        ("Employee.idCardNumber", "emp-034"),
    ]
    for node in newest:
        assert node["subject"] == PEOPLE["hr"].subject and node["clientId"] is None
        assert node["rule"] == f"hr, *, {node['coordinate']}, read_plain, allow"
        assert node["keyId"] == stack.stored_kid(node["coordinate"], node["entityId"])
        assert node["at"].endswith("+00:00")
    assert page["pageInfo"]["hasNextPage"] is True

    following = _post(
        stack,
        "auditor",
        {
            "query": READS,
            "variables": {
                "first": 2,
                "coordinate": "Employee.idCardNumber",
                "after": page["pageInfo"]["endCursor"],
            },
        },
    ).json()["data"]["plaintextReads"]["nodes"]
    assert following[0]["entityId"] == "emp-033"
    assert all(n["coordinate"] == "Employee.idCardNumber" for n in following)
    assert int(following[0]["id"]) < int(newest[-1]["id"])


@pytest.mark.parametrize("role", ["employee", "hr", "finance", None])
def test_only_auditors_read_the_log(stack: Stack, role: str | None) -> None:
    answer = _post(stack, role, {"query": READS, "variables": {"first": 1}})
    assert answer.status_code == 403
    (error,) = answer.json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "CryptoAudit.plaintextReads" in error["extensions"]["coordinates"]


def test_bad_requests_to_the_log(stack: Stack) -> None:
    assert _post(stack, "auditor", {"nope": 1}).status_code == 400
    assert _post(stack, "auditor", {"query": "{ plaintextReads { x } }"}).status_code == 400
    bad_since = '{ plaintextReads(since: "yesterday") { nodes { id } } }'
    answer = _post(stack, "auditor", {"query": bad_since}).json()
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_until_bounds_the_log_from_above_exclusively(stack: Stack) -> None:
    stack.execute("hr", '{ employee(id: "emp-035") { idCardNumber } }')
    stack.execute("hr", '{ employee(id: "emp-036") { idCardNumber } }')
    query = """query ($until: String, $since: String) {
      plaintextReads(coordinate: "Employee.idCardNumber", since: $since, until: $until,
                     first: 500) { nodes { at entityId } } }"""

    def reads(**bounds: str) -> list[dict[str, str]]:
        answer = _post(stack, "auditor", {"query": query, "variables": bounds}).json()
        nodes: list[dict[str, str]] = answer["data"]["plaintextReads"]["nodes"]
        return nodes

    newest, earlier = reads()[:2]
    assert (newest["entityId"], earlier["entityId"]) == ("emp-036", "emp-035")
    assert newest["at"] > earlier["at"]
    before = reads(until=newest["at"])
    assert before[0] == earlier  # the read at ``until`` itself is left out
    assert all(n["at"] < newest["at"] for n in before)
    assert reads(since=earlier["at"], until=newest["at"]) == [earlier]


@pytest.mark.parametrize(
    ("bounds", "field"),
    [
        ({"until": "tomorrow"}, "until"),
        ({"until": "2026-05-01T00:00:00"}, "until"),  # no offset: whose midnight?
        ({"since": "2026-05-02T00:00:00Z", "until": "2026-05-01T00:00:00Z"}, "until"),
        ({"since": "2026-05-01T00:00:00Z", "until": "2026-05-01T00:00:00Z"}, "until"),
        ({"since": "yesterday"}, "since"),
    ],
)
def test_a_bad_bound_is_bad_user_input_naming_it(
    stack: Stack, bounds: dict[str, str], field: str
) -> None:
    query = """query ($since: String, $until: String) {
      plaintextReads(since: $since, until: $until) { nodes { id } } }"""
    answer = _post(stack, "auditor", {"query": query, "variables": bounds})
    assert answer.status_code == 200, answer.text
    (error,) = answer.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, error


class _Broken:
    async def record(self, reads: Sequence[PlaintextRead]) -> None:
        raise OSError("the audit database is down")

    async def query(self, where: ReadFilter, limit: int) -> list[PlaintextRead]:
        return []


def test_no_plaintext_leaves_without_its_audit_row(stack: Stack) -> None:
    assert stack.crypto is not None and stack.enforcer is not None
    supergraph = load_supergraph(SUPERGRAPH)
    crypto = FieldCrypto(supergraph, stack.crypto.keyring, _Broken(), stack.enforcer)
    gateway = Gateway(
        supergraph,
        transport=stack.transport,
        tokens=SubgraphTokens(stack.gateway_key),
        authorizer=Authorizer(supergraph.api_schema, stack.enforcer),
        crypto=crypto,
    )
    query = '{ employee(id: "emp-035") { phone } }'
    with pytest.raises(AuditUnavailable) as caught:
        stack.run(gateway.execute(query, principal=PEOPLE["hr"]))
    assert caught.value.status == 503 and caught.value.code == "AUDIT_UNAVAILABLE"
    masked = stack.run(gateway.execute(query, principal=PEOPLE["auditor"]))
    assert masked["data"]["employee"]["phone"].startswith("****")  # no plaintext, no row needed
