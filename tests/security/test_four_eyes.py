"""Separation of duties for policy changes (issue 10, item 7), against a production gateway.

The attack: a security administrator adds a rule letting their own role read
``Employee.salary``, reads a colleague's salary, and rolls the rule back, alone and unseen.
Through ``/admin/graphql`` of a ``TANDEM_ENV=production`` gateway (real processes, the default
policy, bearer tokens from the real OpenID provider): such a change is held as a request and
not enforced, its author cannot approve it, a second administrator can; auditors read the
request and the approval; the emergency path applies at once, with a reason, for an
emergency role only, and leaves an ``emergency`` audit entry and an ERROR log line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.stack import eventually
from tests.security.production import ProductionStack, person, production_stack

ANN, BEN, EVE, DAN = "sec-ann", "sec-ben", "sec-eve", "aud-dan"
USERS = (
    person(ANN, "employee", "security_admin", department="dept-08"),
    person(BEN, "employee", "security_admin", department="dept-08"),
    person(EVE, "employee", "security_admin", "security_emergency", department="dept-08"),
    person(DAN, "employee", "auditor", department="dept-08"),
)

SALARY = '{ employee(id: "emp-012") { name salary { amount currency } } }'
VERSION = "{ currentVersion }"
RULES = "query ($object: String) { rules(object: $object) { text } }"
CHANGE = """status version { version author action }
  added { text } removed { text } request { id status author sensitive }"""
ADD = f"""mutation ($rule: PolicyRuleInput!, $comment: String) {{
  addPolicyRule(rule: $rule, comment: $comment) {{ {CHANGE} }} }}"""
REMOVE = f"""mutation ($rule: PolicyRuleInput!) {{
  removePolicyRule(rule: $rule) {{ {CHANGE} }} }}"""
ROLLBACK = f"""mutation ($version: Int!) {{ rollbackPolicy(version: $version) {{ {CHANGE} }} }}"""
APPROVE = f"""mutation ($id: ID!, $comment: String) {{
  approvePolicyChange(id: $id, comment: $comment) {{ {CHANGE} }} }}"""
EMERGENCY = f"""mutation ($id: ID!, $reason: String!) {{
  emergencyApplyPolicyChange(id: $id, reason: $reason) {{ {CHANGE} }} }}"""
DECIDED = "id status author decidedBy decisionComment appliedVersion"
REJECT = f"""mutation ($id: ID!, $comment: String) {{
  rejectPolicyChange(id: $id, comment: $comment) {{ {DECIDED} }} }}"""
WITHDRAW = f"mutation ($id: ID!) {{ withdrawPolicyChange(id: $id) {{ {DECIDED} }} }}"
REQUESTS = f"""query ($status: String) {{
  policyChangeRequests(status: $status) {{ nodes {{ {DECIDED} }} }} }}"""
AUDIT = """query ($kind: String) { policyAudit(first: 50, kind: $kind) {
  nodes { kind requestId actor action version comment before after } } }"""

SALARY_RULE = {"subject": "security_admin", "object": "Employee.salary", "action": "*"}
SALARY_TEXT = "p, security_admin, *, Employee.salary, *, allow"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionStack]:
    folder = tmp_path_factory.mktemp("four-eyes")
    settings = {"TANDEM_POLICY_EMERGENCY_ROLES": "security_emergency"}
    with production_stack(folder, USERS, gateway_settings=settings) as running:
        yield running


def data(stack: ProductionStack, who: str, query: str, **variables: Any) -> dict[str, Any]:
    """The admin API's data for a call that must succeed."""
    status, body = stack.admin(who, query, **variables)
    assert status == 200 and not body.get("errors"), body
    result: dict[str, Any] = body["data"]
    return result


def refused(body: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(e["extensions"]["code"], e["extensions"].get("reason")) for e in body["errors"]]


def forbidden_paths(body: dict[str, Any]) -> list[list[Any]]:
    return [e["path"] for e in body.get("errors") or [] if e["extensions"]["code"] == "FORBIDDEN"]


def salary_of_colleague(stack: ProductionStack, who: str) -> tuple[Any, list[list[Any]]]:
    """The colleague's salary as ``who`` reads it, and the paths refused.

    Retried (``eventually``) while the gateway answers something else than the employee: the
    first request after a policy change may meet a subgraph connection the server closed
    meanwhile (SUBGRAPH_UNAVAILABLE), which is not what these tests are about."""

    def read() -> tuple[Any, list[list[Any]]]:
        status, body = stack.post(who, SALARY)
        assert status == 200 and (body["data"] or {}).get("employee"), body
        return body["data"]["employee"]["salary"], forbidden_paths(body)

    return eventually(read, timeout=30)


def test_a_grant_of_a_salary_waits_for_a_second_administrator(stack: ProductionStack) -> None:
    assert salary_of_colleague(stack, ANN) == (None, [["employee", "salary"]])
    version = data(stack, ANN, VERSION)["currentVersion"]

    held = data(stack, ANN, ADD, rule=SALARY_RULE, comment="payroll audit")["addPolicyRule"]
    assert (held["status"], held["version"]) == ("PENDING", None)
    assert held["added"] == [{"text": SALARY_TEXT}]
    request = held["request"]
    assert (request["status"], request["author"], request["sensitive"]) == (
        "PENDING", ANN, [SALARY_TEXT],
    )  # fmt: skip

    # not enforced: no new version, no rule, the read stays FORBIDDEN
    assert data(stack, ANN, VERSION)["currentVersion"] == version
    rules = data(stack, ANN, RULES, object="Employee.salary")["rules"]
    assert {"text": "p, finance, *, Employee.salary, read, allow"} in rules  # listed...
    assert {"text": SALARY_TEXT} not in rules  # ...but not the held one
    assert salary_of_colleague(stack, ANN) == (None, [["employee", "salary"]])

    # the author cannot approve it
    status, body = stack.admin(ANN, APPROVE, id=request["id"])
    assert refused(body) == [("FORBIDDEN", "FOUR_EYES")], body
    assert body["data"] is None
    pending = data(stack, BEN, REQUESTS, status="PENDING")["policyChangeRequests"]["nodes"]
    assert [r["id"] for r in pending] == [request["id"]]

    # a second administrator can: the author's change, enforced at once
    approved = data(stack, BEN, APPROVE, id=request["id"], comment="checked with HR")
    change = approved["approvePolicyChange"]
    assert change["status"] == "APPLIED"
    assert change["version"] == {"version": version + 1, "author": ANN, "action": "add"}
    assert change["request"]["status"] == "APPROVED"
    salary, denied = salary_of_colleague(stack, ANN)
    assert denied == [] and salary["currency"] == "CNY" and salary["amount"], salary

    # the auditors see the request and the approval, tied together
    audit = data(stack, DAN, AUDIT)["policyAudit"]["nodes"]
    mine = [e for e in audit if e["requestId"] == request["id"]]
    assert [(e["kind"], e["actor"], e["version"], e["comment"], e["after"]) for e in mine] == [
        ("approval", BEN, version + 1, "checked with HR", [SALARY_TEXT]),
        ("request", ANN, None, "payroll audit", [SALARY_TEXT]),
    ]  # fmt: skip
    status, body = stack.admin(DAN, APPROVE, id=request["id"])  # auditors read, never decide
    assert (status, refused(body)) == (403, [("FORBIDDEN", None)]), body

    # taking the grant away is not sensitive: it applies at once
    removed = data(stack, ANN, REMOVE, rule=SALARY_RULE)["removePolicyRule"]
    assert (removed["status"], removed["removed"]) == ("APPLIED", [{"text": SALARY_TEXT}])
    assert salary_of_colleague(stack, ANN) == (None, [["employee", "salary"]])

    # rolling back to the version that granted it is a grant too
    held = data(stack, ANN, ROLLBACK, version=version + 1)["rollbackPolicy"]
    assert (held["status"], held["request"]["sensitive"]) == ("PENDING", [SALARY_TEXT])
    withdrawn = data(stack, ANN, WITHDRAW, id=held["request"]["id"])["withdrawPolicyChange"]
    assert (withdrawn["status"], withdrawn["decidedBy"]) == ("WITHDRAWN", ANN)
    status, body = stack.admin(BEN, APPROVE, id=held["request"]["id"])
    assert refused(body) == [("CONFLICT", None)], body
    assert salary_of_colleague(stack, ANN) == (None, [["employee", "salary"]])


def test_a_wildcard_covering_a_sensitive_field_is_held_and_can_be_rejected(
    stack: ProductionStack,
) -> None:
    version = data(stack, ANN, VERSION)["currentVersion"]
    wide = {"subject": "employee", "object": "Employee.*", "action": "read"}
    held = data(stack, ANN, ADD, rule=wide)["addPolicyRule"]
    assert (held["status"], held["request"]["sensitive"]) == (
        "PENDING", ["p, employee, *, Employee.*, read, allow"],
    )  # fmt: skip
    _status, body = stack.admin(ANN, REJECT, id=held["request"]["id"])  # own: withdraw instead
    assert refused(body) == [("FORBIDDEN", "FOUR_EYES")], body
    rejected = data(stack, BEN, REJECT, id=held["request"]["id"], comment="far too wide")
    assert rejected["rejectPolicyChange"] | {"id": None} == {
        "id": None, "status": "REJECTED", "author": ANN, "decidedBy": BEN,
        "decisionComment": "far too wide", "appliedVersion": None,
    }  # fmt: skip
    assert data(stack, ANN, VERSION)["currentVersion"] == version
    kinds = [
        (e["kind"], e["actor"])
        for e in data(stack, DAN, AUDIT)["policyAudit"]["nodes"]
        if e["requestId"] == held["request"]["id"]
    ]
    assert kinds == [("rejection", BEN), ("request", ANN)]


def test_the_emergency_path_applies_at_once_audited_and_alerted(stack: ProductionStack) -> None:
    # the grant is to the role: read as ANN, whose visible schema the gateway has (no new
    # version since the test above), to spare the gateway another caller's schema
    refused_salary = (None, [["employee", "salary"]])
    assert salary_of_colleague(stack, ANN) == refused_salary
    held = data(stack, EVE, ADD, rule=SALARY_RULE)["addPolicyRule"]
    assert held["status"] == "PENDING"
    request = held["request"]["id"]

    # an administrator without the emergency role cannot; nobody can without a reason
    status, body = stack.admin(ANN, EMERGENCY, id=request, reason="fraud inquiry")
    assert (status, refused(body)) == (200, [("FORBIDDEN", "EMERGENCY_ROLE")]), body
    status, body = stack.admin(EVE, EMERGENCY, id=request, reason="   ")
    assert (status, refused(body)) == (200, [("BAD_USER_INPUT", None)]), body
    assert body["errors"][0]["extensions"]["column"] == "reason"
    assert salary_of_colleague(stack, ANN) == refused_salary  # still held

    reason = "INC-4711: payroll run stuck, the salaries must be checked now"
    forced = data(stack, EVE, EMERGENCY, id=request, reason=reason)["emergencyApplyPolicyChange"]
    assert (forced["status"], forced["request"]["status"]) == ("APPLIED", "EMERGENCY")
    assert forced["version"]["author"] == EVE
    salary, denied = salary_of_colleague(stack, ANN)
    assert denied == [] and salary["amount"], salary

    [entry] = data(stack, DAN, AUDIT, kind="emergency")["policyAudit"]["nodes"]
    assert (entry["requestId"], entry["actor"], entry["comment"], entry["after"]) == (
        request, EVE, reason, [SALARY_TEXT],
    )  # fmt: skip
    assert entry["version"] == forced["version"]["version"]
    alert = [line for line in stack.logs().splitlines() if "EMERGENCY policy change" in line]
    assert len(alert) == 1 and "ERROR" in alert[0] and f"request {request} " in alert[0], alert
    assert "INC-4711" in alert[0]

    data(stack, EVE, REMOVE, rule=SALARY_RULE)
