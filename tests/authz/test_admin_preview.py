"""The policy admin API's dry run and explanation (``previewPolicyChange``, ``explainPolicy``)
over HTTP on the real PostgreSQL: a change is linted, the policy test cases it reaches are run
on it and its effect is listed, and nothing is applied; bad input gets a coded error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.authz.policy_support import admin_headers, identity, running
from tests.support.spawn import REPO_ROOT

pytestmark = pytest.mark.anyio

ADMIN = "/admin/graphql"
SUPERGRAPH = REPO_ROOT / "subgraphs" / "supergraph.graphql"  # OA + ERP, the default policy's
PREVIEW = """query($add: [PolicyRuleInput!]! = [], $remove: [PolicyRuleInput!]! = []) {
  currentVersion
  previewPolicyChange(add: $add, remove: $remove) {
    baseVersion added { text } removed { text }
    problems { rule kind message } tests { name passed failures } testCaseCount
    effects { role change coordinate action related } } }"""
EXPLAIN = """query($s: String!, $r: [String!]!, $d: String, $c: String!, $a: String! = "read") {
  explainPolicy(subject: $s, roles: $r, department: $d, coordinate: $c, action: $a) {
    allowed rule byDefault relatedOnly } }"""
MESSAGES = {"subject": "employee", "object": "Query.messages", "action": "read"}


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with running(SUPERGRAPH, database_url) as replica:
        transport = httpx.ASGITransport(app=replica.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://replica") as client:
            yield client


async def call(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    response = await client.post(
        ADMIN, json={"query": query, "variables": variables}, headers=headers or admin_headers()
    )
    body: dict[str, Any] = response.json()
    return response.status_code, body


async def test_removing_a_read_shows_who_loses_it_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    status, body = await call(client, PREVIEW, {"remove": [MESSAGES]})
    assert status == 200, body
    preview = body["data"]["previewPolicyChange"]
    assert preview["baseVersion"] == body["data"]["currentVersion"] == 1
    assert preview["removed"] == [{"text": "p, employee, *, Query.messages, read, allow"}]
    assert preview["effects"] == [
        {
            "role": "employee",
            "change": "LOSE",
            "coordinate": "Query.messages",
            "action": "read",
            "related": False,
        }
    ]
    assert preview["problems"] == []
    assert preview["testCaseCount"] >= 30  # policies/tests
    # a dry run: the policy in force still lets an employee read her messages
    status, body = await call(
        client, EXPLAIN, {"s": "emp-007", "r": ["employee"], "c": "Query.messages"}
    )
    assert body["data"]["explainPolicy"] == {
        "allowed": True,
        "rule": "employee, *, Query.messages, read, allow",
        "byDefault": False,
        "relatedOnly": [],
    }
    status, body = await call(client, "{ currentVersion }", {})
    assert body["data"]["currentVersion"] == 1


async def test_a_change_the_test_cases_refuse_fails_them_and_lint_reports_the_new_line(
    client: httpx.AsyncClient,
) -> None:
    deny = {"subject": "employee", "object": "Employee.salary", "action": "read", "effect": "deny"}
    shadowed = {"subject": "finance", "object": "Employee.nosuchfield", "action": "read"}
    status, body = await call(client, PREVIEW, {"add": [deny, shadowed]})
    assert status == 200, body
    preview = body["data"]["previewPolicyChange"]
    failed = {t["name"]: t["failures"] for t in preview["tests"] if not t["passed"]}
    assert failed, preview["tests"]  # the cases reading one's own salary now fail
    assert any("Employee.salary" in f for failures in failed.values() for f in failures)
    kinds = {(p["rule"], p["kind"]) for p in preview["problems"]}
    assert ("p, finance, *, Employee.nosuchfield, read, allow", "unknown-coordinate") in kinds
    # an employee loses the read of her own salary (granted on her own record only)
    assert {
        "role": "employee",
        "change": "LOSE",
        "coordinate": "Employee.salary",
        "action": "read",
        "related": True,
    } in preview["effects"]


async def test_explain_names_the_rule_on_related_objects(client: httpx.AsyncClient) -> None:
    variables = {"s": "emp-007", "r": ["employee"], "c": "Employee.salary", "a": "read_plain"}
    status, body = await call(client, EXPLAIN, variables)
    assert status == 200, body
    explained = body["data"]["explainPolicy"]
    assert explained["allowed"] is False and explained["byDefault"] is True
    assert explained["relatedOnly"] == [
        "self: employee@self, *, Employee.salary, read_plain, allow"
    ]


async def test_bad_input_is_refused_with_a_code(client: httpx.AsyncClient) -> None:
    absent = {"subject": "employee", "object": "Query.trialBalance", "action": "write"}
    cases = [
        (PREVIEW, {}, "BAD_USER_INPUT"),
        (PREVIEW, {"remove": [absent]}, "NOT_FOUND"),
        (PREVIEW, {"add": [{**MESSAGES, "effect": "allow"}]}, "CONFLICT"),
        (PREVIEW, {"add": [{**MESSAGES, "subject": "nobody-role"}]}, "BAD_USER_INPUT"),
        (EXPLAIN, {"s": "emp-007", "r": ["employee"], "c": "Query.nothing"}, "BAD_USER_INPUT"),
    ]
    for query, variables, code in cases:
        _status, body = await call(client, query, variables)
        assert [e["extensions"]["code"] for e in body["errors"]] == [code], (variables, body)
        assert body.get("data") is None


async def test_only_the_policy_lets_a_caller_preview(client: httpx.AsyncClient) -> None:
    employee = identity("emp-007", "employee")
    status, body = await call(client, PREVIEW, {"remove": [MESSAGES]}, employee)
    assert status == 403
    assert "PolicyAdmin.previewPolicyChange" in body["errors"][0]["extensions"]["coordinates"]
