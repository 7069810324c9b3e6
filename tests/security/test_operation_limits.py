"""Bounded cost for every caller (issue 10, item 1) and the two defects of item 8, against a
production gateway (``TANDEM_ENV=production``, the default policy, filtered schema visibility,
bearer tokens from the real OpenID provider; real processes, ``tests/security/production.py``).

The issue's attacks, each sent as the issue sent it, are refused before validation and
planning with ``OPERATION_LIMIT_EXCEEDED`` naming the limit that stopped them, and the gateway
answers normal requests afterwards. Each limit is then tried one over its default maximum
(refused, named) and at it (served), for callers who are signed in and for those who are
not; a document admitted for a signed-in caller and cached is still refused to an anonymous
one. How fast refusals are, and how little memory the attacks leave, is measured by
``benchmarks/attacks.py`` (no timing here).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.limits import CallerLimits
from tests.security.production import ProductionStack, person, production_stack

FINANCE, CLERK = "emp-006", "emp-031"  # the demo company's finance officer and an employee
USERS = (
    person(FINANCE, "employee", "finance", department="dept-02"),
    person(CLERK, "employee", "production", department="dept-06"),
)
LIMITS = CallerLimits()
SIGNED_IN, ANONYMOUS = LIMITS.signed_in, LIMITS.anonymous


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionStack]:
    with production_stack(tmp_path_factory.mktemp("limits"), USERS) as running:
        yield running


def doubling(levels: int) -> str:
    """The issue's 760 bytes: each fragment spreads the previous one twice (2^levels)."""
    fragments = ["fragment F0 on Query { __typename }"]
    fragments += [
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)
    ]
    return f"query {{ ...F{levels} }} " + " ".join(fragments)


def aliases(count: int, field: str = "id") -> str:
    return "{ me { " + " ".join(f"a{i}: {field}" for i in range(count)) + " } }"


ATTACKS = {  # the issue's attacks: who sends them, and the limit that stops them first
    "fragment explosion, anonymous": (None, doubling(18), "fields"),
    "fragment explosion, signed in": (CLERK, doubling(18), "fields"),
    "10,000 aliases": (CLERK, "{ " + " ".join(f"a{i}: __typename" for i in range(10_000)) + " }",
                       "tokens"),
    "300 aliases of a 100-item list": (
        CLERK,
        "{ " + " ".join(f"l{i}: employees(first: 100) {{ edges {{ node {{ id }} }} }}"
                        for i in range(300)) + " }",
        "tokens",
    ),
    "300 aliases of a 100-item list, fragments": (
        CLERK,
        "{ " + " ".join(f"l{i}: employees(first: 100) {{ ...E }}" for i in range(300))
        + " } fragment E on EmployeeConnection { edges { node { id } } }",
        "aliases",
    ),
    "30,000 operations": (None, " ".join(f"query Q{i} {{ __typename }}" for i in range(30_000)),
                          "tokens"),
    "250,000 repeated fields": (CLERK, "{ me { " + "id " * 250_000 + "} }", "tokens"),
    "50,000 directives on one field": (
        CLERK, "{ me { id " + "@skip(if: false) " * 50_000 + "} }", "tokens"),
}  # fmt: skip


def refused(status: int, body: dict[str, Any]) -> dict[str, Any]:
    assert status == 400, body
    assert "data" not in body, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "OPERATION_LIMIT_EXCEEDED", error
    extensions: dict[str, Any] = error["extensions"]
    return extensions


def served(status: int, body: dict[str, Any]) -> dict[str, Any]:
    assert status == 200, body
    assert not [e for e in body.get("errors", ()) if e["extensions"]["code"] != "FORBIDDEN"], body
    data: dict[str, Any] = body["data"]
    return data


def post(
    stack: ProductionStack, who: str | None, document: str, operation: str | None = None
) -> tuple[int, dict[str, Any]]:
    """POST as ``who`` (None: no token), asking for ``application/graphql-response+json`` so
    request errors carry their 4xx status."""
    headers = {"accept": "application/graphql-response+json"}
    if who is not None:
        headers["authorization"] = f"Bearer {stack.token(who)}"
    response = httpx.post(
        f"{stack.gateway.base_url}/graphql",
        json={"query": document, "operationName": operation},
        headers=headers,
        timeout=30,
    )
    body: dict[str, Any] = response.json()
    return response.status_code, body


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_the_issues_attacks_are_refused_naming_the_limit(
    stack: ProductionStack, attack: str
) -> None:
    who, document, limit = ATTACKS[attack]
    extensions = refused(*post(stack, who, document))
    maximum = getattr(LIMITS.of(who is not None), limit)
    assert (extensions["limit"], extensions["maximum"]) == (limit, maximum)
    me = served(*post(stack, CLERK, "{ me { id } }"))  # and the gateway goes on serving
    assert me == {"me": {"id": CLERK}}


def fields_exactly(count: int) -> str:
    """A document of exactly ``count`` fields: ``me`` and ``count - 1`` ``__typename``s from
    fragments of 2^k fields each (spreads of one fragment are checked once for merging)."""
    rest = count - 1
    fragments = ["fragment F0 on Employee { __typename }"]
    fragments += [
        f"fragment F{k} on Employee {{ ...F{k - 1} ...F{k - 1} }}"
        for k in range(1, rest.bit_length())
    ]
    spreads = " ".join(f"...F{k}" for k in range(rest.bit_length()) if rest >> k & 1)
    return f"{{ me {{ {spreads} }} }} " + " ".join(fragments)


def over_and_at(limit: str, maximum: int) -> tuple[str, str]:
    """A document one over ``maximum`` of ``limit``, and one at it (nothing else over)."""
    match limit:
        case "tokens":  # "{ me { id } }" is 6 tokens; comments count too
            return (
                "{ me { id } }" + "\n#" * (maximum - 5),
                "{ me { id } }" + "\n#" * (maximum - 6),
            )
        case "operations":
            many = " ".join(f"query Q{i} {{ me {{ id }} }}" for i in range(maximum))
            return f"{many} query Extra {{ me {{ id }} }}", many
        case "directives":
            return (
                "{ me { id " + "@include(if: true) " * (maximum + 1) + "} }",
                "{ me { id " + "@include(if: true) " * maximum + "} }",
            )
        case "fields":
            return fields_exactly(maximum + 1), fields_exactly(maximum)
        case "aliases":
            return aliases(maximum + 1), aliases(maximum)
        case "root_fields":
            return (
                "{ " + " ".join(f"m{i}: me {{ id }}" for i in range(maximum + 1)) + " }",
                "{ " + " ".join(f"m{i}: me {{ id }}" for i in range(maximum)) + " }",
            )
        case "depth":  # me, managers, id
            return (
                "{ me { " + "manager { " * (maximum - 1) + "id" + " }" * maximum + " }",
                "{ me { " + "manager { " * (maximum - 2) + "id" + " }" * (maximum - 1) + " }",
            )
    raise AssertionError(limit)


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed in", "anonymous"])
@pytest.mark.parametrize(
    "limit", ["tokens", "operations", "directives", "fields", "aliases", "root_fields", "depth"]
)
def test_each_limit_refuses_one_over_and_admits_at_it(
    stack: ProductionStack, limit: str, signed_in: bool
) -> None:
    who = CLERK if signed_in else None
    maximum = getattr(LIMITS.of(signed_in), limit)
    over, at = over_and_at(limit, maximum)
    extensions = refused(*post(stack, who, over, "Q0" if limit == "operations" else None))
    assert (extensions["limit"], extensions["maximum"]) == (limit, maximum)
    status, body = post(stack, who, at, "Q0" if limit == "operations" else None)
    codes = {error["extensions"]["code"] for error in body.get("errors", ())}
    assert "OPERATION_LIMIT_EXCEEDED" not in codes, body
    if signed_in and limit != "directives":  # a field takes each of @include/@skip once
        assert all(value is not None for value in served(status, body).values())


def test_the_field_merging_check_has_a_budget(stack: ProductionStack) -> None:
    """900 same-named fields: validating that they merge costs ~400,000 comparisons."""
    document = "{ me { " + "manager { id } " * 900 + "} }"
    extensions = refused(*post(stack, CLERK, document))
    assert extensions == {
        "code": "OPERATION_LIMIT_EXCEEDED",
        "limit": "merge_checks",
        "maximum": SIGNED_IN.merge_checks,
    }


def test_a_document_cached_for_a_signed_in_caller_is_still_refused_to_anonymous_ones(
    stack: ProductionStack,
) -> None:
    document = aliases(ANONYMOUS.aliases + 1, "__typename")
    served(*post(stack, CLERK, document))  # admitted, validated and cached
    extensions = refused(*post(stack, None, document))
    assert (extensions["limit"], extensions["maximum"]) == ("aliases", ANONYMOUS.aliases)


# -- item 8: the two defects -----------------------------------------------------------------


def test_an_alias_inside_an_encrypted_fields_selection(stack: ProductionStack) -> None:
    document = '{ employee(id: "emp-012") { salary { x: amount currency y: amount } } }'
    data = served(*post(stack, FINANCE, document))
    salary = data["employee"]["salary"]
    assert set(salary) == {"x", "currency", "y"}, data
    assert salary["x"] == salary["y"] and salary["currency"] == "CNY"
    assert salary["x"].replace(".", "").isdigit()
    plain = served(*post(stack, FINANCE, '{ employee(id: "emp-012") { salary { amount } } }'))
    assert plain["employee"]["salary"]["amount"] == salary["x"]


@pytest.mark.parametrize(
    "document",
    [
        '{ ...T } fragment T on Query { __type(name: "Employee") { name } }',
        '{ ... on Query { __type(name: "Employee") { name } } }',
        '{ me { id } ...T } fragment T on Query { ... on Query { __type(name: "Employee") '
        "{ name } } }",
    ],
    ids=["named fragment", "inline fragment", "nested fragments"],
)
def test_type_introspection_inside_a_fragment(stack: ProductionStack, document: str) -> None:
    data = served(*post(stack, CLERK, document))
    assert data["__type"] == {"name": "Employee"}, data
