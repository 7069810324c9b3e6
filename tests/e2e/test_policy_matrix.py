"""The policy matrix: every demo role against every sensitive coordinate of DOMAIN.md, through
the gateway with the real OA and ERP subgraphs, by direct and indirect routes (aliases, named
and inline fragments, entity jumps), including the rule on one's own record.

Expected outcomes are the intent of ``policies/policy.csv`` written out as a table: ``shown``
(the value), ``denied`` (null and ``FORBIDDEN`` at the field's path).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.stack import Service, Stack, _gateway_answers, service_env, tandem_command
from tests.support.processes import REPO_ROOT, free_port

ROLES = (
    "employee", "manager", "finance", "hr", "procurement",
    "sales", "production", "auditor", "security_admin", "integrator",
)  # fmt: skip
COORDINATES = (
    "Employee.salary",
    "Employee.idCardNumber",
    "Employee.phone",
    "Supplier.bankAccount",
    "Customer.phone",
)
# role -> outcome per coordinate, in COORDINATES order (the caller also holds "employee")
MATRIX = {
    "employee": ("denied", "denied", "shown", "denied", "denied"),
    "manager": ("denied", "denied", "shown", "denied", "denied"),
    "finance": ("shown", "denied", "shown", "shown", "denied"),
    "hr": ("shown", "shown", "shown", "denied", "denied"),
    "procurement": ("denied", "denied", "shown", "shown", "denied"),
    "sales": ("denied", "denied", "shown", "denied", "shown"),
    "production": ("denied", "denied", "shown", "denied", "denied"),
    "auditor": ("shown", "shown", "shown", "shown", "shown"),
    "security_admin": ("denied", "denied", "shown", "denied", "denied"),
    "integrator": ("denied", "denied", "shown", "denied", "denied"),
}
SUBJECT = "emp-012"  # the employee whose fields are read (not the caller, but in test 3)


@pytest.fixture(scope="module")
def policy_gateway(stack: Stack) -> Iterator[str]:
    """A gateway over the stack's OA and ERP enforcing the default policy."""
    port = free_port()
    supergraph = stack.oa.logs / "supergraph.graphql"
    gateway = Service(
        "gateway-policy",
        [*tandem_command(), "serve", "--supergraph", str(supergraph), "--port", str(port),
         "--policy", str(REPO_ROOT / "policies"), "--authz-explain"],
        service_env(TANDEM_DATA_DIR=str(stack.oa.logs), TANDEM_DEV_IDENTITY="1"),
        port,
        stack.oa.logs,
        _gateway_answers,
    )  # fmt: skip
    gateway.start()
    try:
        yield gateway.url
    finally:
        gateway.stop()


def _ask(url: str, role: str, query: str, subject: str = "emp-002") -> dict[str, Any]:
    headers = {
        "X-Tandem-Dev-User": subject,
        "X-Tandem-Dev-Roles": f"employee,{role}" if role != "employee" else "employee",
        "X-Tandem-Dev-Department": "dept-01",
    }
    response = httpx.post(url, json={"query": query}, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


ROUTES = {
    "Employee.salary": [
        f'{{ employee(id: "{SUBJECT}") {{ salary {{ amount }} }} }}',
        f'{{ e: employee(id: "{SUBJECT}") {{ pay: salary {{ amount }} }} }}',
        f'{{ employee(id: "{SUBJECT}") {{ ...F }} }}'
        " fragment F on Employee { salary { amount } }",
        '{ department(id: "dept-01") { members { id ... on Employee { salary { amount } } } } }',
    ],
    "Employee.idCardNumber": [
        f'{{ employee(id: "{SUBJECT}") {{ idCardNumber }} }}',
        f'{{ employee(id: "{SUBJECT}") {{ manager {{ idCardNumber }} }} }}',
    ],
    "Employee.phone": [
        f'{{ employee(id: "{SUBJECT}") {{ tel: phone }} }}',
    ],
    "Supplier.bankAccount": [
        "{ suppliers(first: 2) { edges { node { bankAccount } } } }",
        "{ purchaseOrders(first: 2) { edges { node { supplier { iban: bankAccount } } } } }",
    ],
    "Customer.phone": [
        "{ customers(first: 2) { edges { node { phone } } } }",
    ],
}


def _values(data: Any) -> list[Any]:
    """Every leaf value in a response's data (strings of the sensitive field)."""
    if isinstance(data, dict):
        return [v for value in data.values() for v in _values(value)]
    if isinstance(data, list):
        return [v for item in data for v in _values(item)]
    return [data]


def _outcome(body: dict[str, Any], coordinate: str) -> str:
    forbidden = [e for e in body.get("errors", []) if e["extensions"].get("code") == "FORBIDDEN"]
    if forbidden:
        assert all(e["extensions"].get("coordinate") == coordinate for e in forbidden), body
        return "denied"
    assert "errors" not in body, body
    values = [v for v in _values(body["data"]) if v is not None]
    return "shown" if values else "empty"


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_sensitive_coordinate(policy_gateway: str, role: str) -> None:
    seen = {}
    for coordinate, expected in zip(COORDINATES, MATRIX[role], strict=True):
        for query in ROUTES[coordinate]:
            outcome = _outcome(_ask(policy_gateway, role, query), coordinate)
            if outcome == "empty":  # e.g. a manager-less employee: nothing to judge here
                continue
            seen[(coordinate, query)] = outcome
            assert outcome == expected, (role, coordinate, query)
    assert {c for c, _ in seen} == set(COORDINATES), seen  # every coordinate was judged


def test_an_employee_reads_their_own_salary_and_no_one_elses(policy_gateway: str) -> None:
    """The data-dependent rule ``employee@self``: decided per object after fetching."""
    query = (
        '{ me { id salary { amount } } colleague: employee(id: "emp-013") '
        "{ id salary { amount } } }"
    )
    body = _ask(policy_gateway, "employee", query, subject=SUBJECT)
    assert body["data"]["me"]["id"] == SUBJECT
    assert body["data"]["me"]["salary"]["amount"]  # their own: shown
    assert body["data"]["colleague"] == {"id": "emp-013", "salary": None}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["colleague", "salary"], "FORBIDDEN")
    ]
