"""The policy admin API over HTTP (one replica, in-process through ``httpx.ASGITransport``),
on the real PostgreSQL: listing, changes with their versions and audit rows, rollback, coded
errors, and the API guarding itself with the policy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.authz.enforcer import PolicyEnforcer
from gateway.authz.runtime import DEFAULT_DATABASE_URL, PolicyRuntime, PolicySettings
from tests.authz.policy_support import (
    MODEL,
    GatewayReplica,
    admin_headers,
    build_replica,
    identity,
    running,
)
from tests.support.fixtures import DEMO_SUPERGRAPH

REPO = Path(__file__).resolve().parents[2]
DEFAULT_RULES = sum(  # p rules in the default policy file the store is seeded from
    1
    for line in (REPO / "policies" / "policy.csv").read_text().splitlines()
    if line.startswith("p,")
)

pytestmark = pytest.mark.anyio

ADMIN = "/admin/graphql"
EMAIL_DENY = {"subject": "employee", "object": "Employee.email", "action": "read", "effect": "deny"}
CHANGE = """status version { version author action comment ruleCount }
  added { text } removed { text } request { id }"""
ADD = f"""mutation($rule: PolicyRuleInput!, $v: Int, $c: String) {{
  addPolicyRule(rule: $rule, expectedVersion: $v, comment: $c) {{ {CHANGE} }} }}"""
REMOVE = f"""mutation($rule: PolicyRuleInput!, $v: Int) {{
  removePolicyRule(rule: $rule, expectedVersion: $v) {{ {CHANGE} }} }}"""
REPLACE = f"""mutation($rules: [PolicyRuleInput!]!, $v: Int) {{
  replacePolicyRules(rules: $rules, expectedVersion: $v) {{ {CHANGE} }} }}"""
ROLLBACK = f"""mutation($version: Int!, $v: Int) {{
  rollbackPolicy(version: $version, expectedVersion: $v) {{ {CHANGE} }} }}"""
APPROVE = f"""mutation($id: ID!) {{ approvePolicyChange(id: $id) {{ {CHANGE} }} }}"""
SECOND_ADMIN = identity("sec-002", "employee", "security_admin")
RULES = """query($subject: String, $object: String) {
  currentVersion
  rules(subject: $subject, object: $object) { subject domain object action effect text } }"""


@pytest.fixture
async def replica(database_url: str) -> AsyncIterator[GatewayReplica]:
    async with running(DEMO_SUPERGRAPH, database_url) as started:
        yield started


@pytest.fixture
async def client(replica: GatewayReplica) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=replica.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://replica") as client:
        yield client


async def call(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
    status: int = 200,
) -> dict[str, Any]:
    response = await client.post(
        ADMIN,
        json={"query": query, "variables": variables or {}},
        headers=admin_headers() if headers is None else headers,
    )
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def test_rules_are_listed_and_filtered(client: httpx.AsyncClient) -> None:
    body = await call(client, RULES)
    assert body["data"]["currentVersion"] == 1
    assert len(body["data"]["rules"]) == DEFAULT_RULES
    body = await call(client, RULES, {"subject": "security_admin"})
    rules = body["data"]["rules"]
    in_file = [
        line for line in (REPO / "policies" / "policy.csv").read_text().splitlines()
        if line.startswith("p, security_admin,")
    ]  # fmt: skip
    assert [rule["text"] for rule in rules] == in_file
    assert rules[:2] == [
        {
            "subject": "security_admin",
            "domain": "*",
            "object": "Policy*.*",
            "action": "read",
            "effect": "allow",
            "text": "p, security_admin, *, Policy*.*, read, allow",
        },
        {
            "subject": "security_admin",
            "domain": "*",
            "object": "Mutation.*Polic*",
            "action": "write",
            "effect": "allow",
            "text": "p, security_admin, *, Mutation.*Polic*, write, allow",
        },
    ]
    body = await call(client, RULES, {"object": "Item.*"})
    assert sorted(r["subject"] for r in body["data"]["rules"]) == [
        "employee",
        "procurement",
        "production",
        "sales",
    ]


async def test_add_remove_replace_rollback_with_versions_and_audit(
    client: httpx.AsyncClient, replica: GatewayReplica
) -> None:
    body = await call(client, ADD, {"rule": EMAIL_DENY, "v": 1, "c": "privacy"})
    assert body == {
        "data": {
            "addPolicyRule": {
                "status": "APPLIED",  # not sensitive: applies at once
                "version": {
                    "version": 2,
                    "author": "sec-001",
                    "action": "add",
                    "comment": "privacy",
                    "ruleCount": DEFAULT_RULES + 1,
                },
                "added": [{"text": "p, employee, *, Employee.email, read, deny"}],
                "removed": [],
                "request": None,
            }
        }
    }
    assert replica.enforcer.revision == 2  # enforced here before the answer

    body = await call(client, REMOVE, {"rule": EMAIL_DENY, "v": 2})
    assert body["data"]["removePolicyRule"]["removed"] == [
        {"text": "p, employee, *, Employee.email, read, deny"}
    ]
    rules = [
        {"subject": "security_admin", "object": "Policy*.*", "action": "read"},
        {"subject": "security_admin", "object": "Mutation.*Polic*", "action": "write"},
        EMAIL_DENY,
    ]
    # both drop deny rules on sensitive fields (bank accounts): a second admin approves them
    body = await call(client, REPLACE, {"rules": rules, "v": 3})
    held = body["data"]["replacePolicyRules"]
    assert (held["status"], held["version"]) == ("PENDING", None)
    assert replica.enforcer.revision == 3  # not enforced
    change = await approve(client, held["request"]["id"])
    assert (change["version"]["version"], change["version"]["ruleCount"]) == (4, 3)
    assert change["version"]["author"] == "sec-001"  # the author's change, applied
    assert len(change["removed"]) == DEFAULT_RULES - 2 and change["added"] == [
        {"text": "p, employee, *, Employee.email, read, deny"}
    ]
    assert len(replica.enforcer.lines) == 3

    body = await call(client, ROLLBACK, {"version": 1, "v": 4})
    held = body["data"]["rollbackPolicy"]
    assert (held["status"], held["version"]) == ("PENDING", None)  # it grants salaries again
    change = await approve(client, held["request"]["id"])
    assert change["version"] == {
        "version": 5,
        "author": "sec-001",
        "action": "rollback",
        "comment": "rollback to version 1",
        "ruleCount": DEFAULT_RULES,
    }
    assert replica.enforcer.revision == 5 and len(replica.enforcer.lines) == DEFAULT_RULES

    body = await call(
        client,
        """{ policyVersions(first: 2) { nodes { version action rules { text } }
                                        pageInfo { hasNextPage endCursor } } }""",
    )
    page = body["data"]["policyVersions"]
    assert [v["version"] for v in page["nodes"]] == [5, 4]
    assert len(page["nodes"][1]["rules"]) == 3
    assert page["pageInfo"] == {"hasNextPage": True, "endCursor": "4"}

    audit = """query($after: String) { policyAudit(first: 3, after: $after) {
        nodes { id kind actor action version baseVersion comment before after at }
        pageInfo { hasNextPage endCursor } } }"""
    first = (await call(client, audit))["data"]["policyAudit"]
    assert [(e["kind"], e["version"], e["action"], e["actor"]) for e in first["nodes"]] == [
        ("approval", 5, "rollback", "sec-002"),
        ("change", 5, "rollback", "sec-001"),
        ("request", None, "rollback", "sec-001"),
    ]
    assert first["nodes"][0]["at"].endswith("+00:00")
    assert first["pageInfo"]["hasNextPage"]
    cursor = first["pageInfo"]["endCursor"]
    middle = (await call(client, audit, {"after": cursor}))["data"]["policyAudit"]
    assert [(e["kind"], e["version"], e["action"]) for e in middle["nodes"]] == [
        ("approval", 4, "replace"),
        ("change", 4, "replace"),
        ("request", None, "replace"),
    ]
    cursor = middle["pageInfo"]["endCursor"]
    last = (await call(client, audit, {"after": cursor}))["data"]["policyAudit"]
    assert [(e["kind"], e["version"], e["action"]) for e in last["nodes"]] == [
        ("change", 3, "remove"),
        ("change", 2, "add"),
        ("change", 1, "seed"),
    ]
    assert last["nodes"][0]["before"] == ["p, employee, *, Employee.email, read, deny"]
    assert last["nodes"][0]["after"] == []
    assert (last["nodes"][1]["comment"], last["nodes"][1]["baseVersion"]) == ("privacy", 1)
    assert last["nodes"][1]["after"] == ["p, employee, *, Employee.email, read, deny"]
    assert last["pageInfo"] == {"hasNextPage": False, "endCursor": last["nodes"][2]["id"]}


async def approve(client: httpx.AsyncClient, request_id: str) -> dict[str, Any]:
    """A second security administrator (sec-002) approves a held change."""
    body = await call(client, APPROVE, {"id": request_id}, headers=SECOND_ADMIN)
    change: dict[str, Any] = body["data"]["approvePolicyChange"]
    assert change["status"] == "APPLIED", body
    return change


@pytest.mark.parametrize(
    ("rule", "column"),
    [
        ({"subject": "employee", "object": "Employee.email", "action": "delete"}, "action"),
        ({"subject": "ghost", "object": "Employee.email", "action": "read"}, "subject"),
        ({"subject": "employee", "object": "Employee", "action": "read"}, "object"),
        ({"subject": "employee", "object": "Employee.{a,b}", "action": "read"}, "object"),
        ({"subject": "employee", "object": "", "action": "read"}, "object"),
        ({"subject": "employee", "object": "A.b", "action": "read", "effect": "no"}, "effect"),
        ({"subject": "employee", "domain": "", "object": "A.b", "action": "read"}, "domain"),
    ],
)
async def test_an_invalid_rule_is_refused_naming_the_column(
    client: httpx.AsyncClient, rule: dict[str, str], column: str
) -> None:
    body = await call(client, ADD, {"rule": rule})
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "column": column}
    assert error["path"] == ["addPolicyRule"]
    assert (await call(client, "{ currentVersion }"))["data"]["currentVersion"] == 1


async def test_a_replacement_with_one_bad_rule_changes_nothing(client: httpx.AsyncClient) -> None:
    rules = [EMAIL_DENY, {"subject": "hr", "object": "Employee.*", "action": "fly"}]
    body = await call(client, REPLACE, {"rules": rules})
    assert body["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "column": "action",
        "index": 1,
    }
    assert (await call(client, "{ currentVersion }"))["data"]["currentVersion"] == 1


async def test_missing_input_fields_are_bad_user_input(client: httpx.AsyncClient) -> None:
    body = await call(client, ADD, {"rule": {"subject": "employee"}}, status=400)
    assert set(codes(body)) == {"BAD_USER_INPUT"}
    assert "object" in body["errors"][0]["message"]


async def test_stale_versions_conflict_and_missing_things_are_not_found(
    client: httpx.AsyncClient,
) -> None:
    await call(client, ADD, {"rule": EMAIL_DENY, "v": 1})
    body = await call(client, REMOVE, {"rule": EMAIL_DENY, "v": 1})
    assert body["errors"][0]["extensions"] == {
        "code": "CONFLICT",
        "currentVersion": 2,
        "expectedVersion": 1,
    }
    assert codes(await call(client, ADD, {"rule": EMAIL_DENY})) == ["CONFLICT"]
    missing = {**EMAIL_DENY, "object": "Employee.phone"}
    assert codes(await call(client, REMOVE, {"rule": missing})) == ["NOT_FOUND"]
    assert codes(await call(client, ROLLBACK, {"version": 42})) == ["NOT_FOUND"]
    assert (await call(client, "{ policyVersion(version: 42) { version } }"))["data"] == {
        "policyVersion": None
    }
    for query in (
        "{ policyAudit(first: 0) { nodes { id } } }",
        '{ policyAudit(after: "x") { nodes { id } } }',
    ):
        assert codes(await call(client, query)) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "headers",
    [
        {},  # nobody
        identity("emp-001", "employee"),
        identity("emp-002", "employee", "manager", "hr", "finance"),
        identity("int-001", "integrator"),
    ],
)
async def test_callers_without_the_policy_rights_are_forbidden(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    body = await call(client, RULES, headers=headers, status=403)
    assert body["errors"][0]["extensions"] == {
        "code": "FORBIDDEN",
        "coordinates": [
            "PolicyAdmin.currentVersion",
            "PolicyAdmin.rules",
            *(
                f"PolicyRule.{f}"
                for f in ("action", "domain", "effect", "object", "subject", "text")
            ),
        ],
    }
    assert "data" not in body
    body = await call(client, ADD, {"rule": EMAIL_DENY}, headers=headers, status=403)
    assert "Mutation.addPolicyRule" in body["errors"][0]["extensions"]["coordinates"]
    assert (await call(client, "{ currentVersion }"))["data"]["currentVersion"] == 1


async def test_the_gateways_allow_default_opens_nothing_here(database_url: str) -> None:
    replica = build_replica(DEMO_SUPERGRAPH, database_url, default_allow=True)
    async with replica.app.router.lifespan_context(replica.app):
        transport = httpx.ASGITransport(app=replica.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://replica") as client:
            employee = identity("emp-001", "employee")
            assert replica.enforcer.decide(None, "PolicyAdmin.rules", "read").allowed
            await call(client, "{ currentVersion }", headers=employee, status=403)
            await call(client, "{ currentVersion }", headers={}, status=403)
            await call(client, ADD, {"rule": EMAIL_DENY}, headers=employee, status=403)
            assert (await call(client, "{ currentVersion }"))["data"]["currentVersion"] == 1


async def test_auditors_read_but_do_not_write(client: httpx.AsyncClient) -> None:
    auditor = identity("aud-001", "employee", "auditor")
    body = await call(client, "{ currentVersion policyAudit { nodes { actor } } }", headers=auditor)
    assert body["data"]["currentVersion"] == 1
    body = await call(client, ADD, {"rule": EMAIL_DENY}, headers=auditor, status=403)
    assert body["errors"][0]["extensions"]["coordinates"] == ["Mutation.addPolicyRule"]
    through_a_fragment = """mutation { ...Undo } fragment Undo on Mutation {
        rollbackPolicy(version: 1) { version { version } } }"""
    body = await call(client, through_a_fragment, headers=auditor, status=403)
    assert body["errors"][0]["extensions"]["coordinates"] == ["Mutation.rollbackPolicy"]


async def test_fragments_and_introspection_are_guarded_too(client: httpx.AsyncClient) -> None:
    query = """query { ...Admin __schema { queryType { name } } }
               fragment Admin on PolicyAdmin {
                 policyVersions { nodes { ... on PolicyVersion { author } } } }"""
    body = await call(client, query, headers=identity("emp-001", "employee"), status=403)
    assert body["errors"][0]["extensions"]["coordinates"] == [
        "PolicyAdmin.__schema",
        "PolicyAdmin.policyVersions",
        "PolicyVersion.author",
        "PolicyVersionPage.nodes",
    ]
    body = await call(client, query)
    assert body["data"]["__schema"] == {"queryType": {"name": "PolicyAdmin"}}


async def test_nobody_takes_away_their_own_right_to_undo(client: httpx.AsyncClient) -> None:
    undo = {"subject": "security_admin", "object": "Mutation.*Polic*", "action": "write"}
    body = await call(client, REMOVE, {"rule": undo})
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "column": "rules"}
    assert "Mutation.rollbackPolicy" in error["message"]
    deny = {
        "subject": "security_admin",
        "object": "Mutation.rollbackPolicy",
        "action": "write",
        "effect": "deny",
    }
    assert codes(await call(client, ADD, {"rule": deny})) == ["BAD_USER_INPUT"]
    assert (await call(client, "{ currentVersion }"))["data"]["currentVersion"] == 1


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"{", 400, "BAD_REQUEST"),
        (b'{"query": "{ currentVersion "}', 400, "GRAPHQL_PARSE_FAILED"),
        (b'{"query": "{ nothing }"}', 400, "GRAPHQL_VALIDATION_FAILED"),
        (b'{"query": "query A { currentVersion } query B { currentVersion }"}', 400, "BAD_REQUEST"),
    ],
)
async def test_bad_requests_have_codes(
    client: httpx.AsyncClient, content: bytes, status: int, code: str
) -> None:
    response = await client.post(
        ADMIN, content=content, headers={**admin_headers(), "content-type": "application/json"}
    )
    assert response.status_code == status
    assert codes(response.json()) == [code]


async def test_a_change_is_enforced_by_the_gateway_at_once(
    demo_supergraph: Path, database_url: str
) -> None:
    employee = identity("emp-001", "employee")
    query = {"query": '{ employee(id: "emp-002") { name email } }'}
    async with running(demo_supergraph, database_url) as replica:
        transport = httpx.ASGITransport(app=replica.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://replica") as client:
            before = (await client.post("/graphql", json=query, headers=employee)).json()
            assert before["data"]["employee"]["email"]
            assert "errors" not in before
            await call(client, ADD, {"rule": EMAIL_DENY})
            after = (await client.post("/graphql", json=query, headers=employee)).json()
            assert after["data"] == {"employee": None}  # email is non-null: the null bubbles
            assert after["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            assert after["errors"][0]["path"] == ["employee", "email"]


async def test_the_admin_route_takes_json_posts_only(client: httpx.AsyncClient) -> None:
    assert (await client.get(ADMIN, headers=admin_headers())).status_code == 405
    response = await client.post(ADMIN, content=b"{}", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert codes(response.json()) == ["UNSUPPORTED_MEDIA_TYPE"]


def test_settings_come_from_the_environment() -> None:
    assert PolicySettings.from_environment({}) == PolicySettings()
    assert PolicySettings.from_environment({"TANDEM_POLICY_STORE": "database"}).database_url == (
        DEFAULT_DATABASE_URL
    )
    settings = PolicySettings.from_environment(
        {
            "TANDEM_POLICY_DATABASE_URL": "postgresql://tandem@db/policy",
            "TANDEM_REDIS_URL": "redis://cache:6379/0",
            "TANDEM_POLICY_CHANNEL": "prod:policy",
            "TANDEM_POLICY_SUBJECTS": "employee, auditor,emp-*",
            "TANDEM_POLICY_POLL_SECONDS": "0",
        }
    )
    assert settings == PolicySettings(
        database_url="postgresql://tandem@db/policy",
        redis_url="redis://cache:6379/0",
        channel="prod:policy",
        subjects=("employee", "auditor", "emp-*"),
        poll_interval=0.0,
    )
    assert (
        PolicySettings.from_environment(
            {"TANDEM_REDIS_URL": "redis://a", "TANDEM_POLICY_REDIS_URL": "redis://b"}
        ).redis_url
        == "redis://b"
    )


async def test_with_policy_files_there_is_no_admin_api_and_the_files_are_watched(
    tmp_path: Path,
) -> None:
    policy = tmp_path / "policy.csv"
    policy.write_text("p, employee, *, Query.*, read, allow\n", encoding="utf-8")
    enforcer = PolicyEnforcer(MODEL, policy)
    runtime = PolicyRuntime.from_environment(enforcer, {"TANDEM_POLICY_POLL_SECONDS": "0.05"})
    assert runtime.api is None and runtime.routes(lambda request: None) == []
    async with runtime.running():
        assert runtime.file_watcher is not None
        policy.write_text("p, employee, *, *, read, allow\n", encoding="utf-8")
        for _ in range(200):
            if enforcer.version == 2:
                break
            await asyncio.sleep(0.01)
        assert enforcer.lines == (("p", "employee", "*", "*", "read", "allow"),)
