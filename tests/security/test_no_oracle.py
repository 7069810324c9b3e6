"""No oracle for hidden data (issue 10, items 4, 5 and 6), against a production-mode gateway.

The stack is ``tests/security/production.py``'s (``TANDEM_ENV=production``, the default
policy, filtered schema visibility, the real OpenID provider, OA and ERP as processes), with
validation suggestions switched on, so the tests show that even then no suggestion names
what a caller may not see (production's default is off, tested in tests/security/
test_validation_for_the_caller.py).

- Cursors: every connection's cursors, decoded every way a curious client would (base64,
  JSON, text), hold no value of the rows they point at, and still page correctly.
- Search arguments: an employee, who may read no customer field, gets the same answer for
  ``customers(search: "Shanghai")`` as for a made-up name, and no edge count.
- Validation: hidden fields, arguments and types fail exactly as nonexistent ones, and no
  error message names a hidden element.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.stack import sql
from tests.security.production import ProductionStack, person, production_stack

EMPLOYEE, BROAD, INTEGRATOR, SALES = "sec-emp", "sec-broad", "sec-int", "sec-sales"
USERS = (
    person(EMPLOYEE, "employee"),
    person(BROAD, "employee", "finance", "sales", "procurement", "hr", "production", "manager"),
    person(INTEGRATOR, "integrator"),
    person(SALES, "employee", "sales"),
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionStack]:
    folder = tmp_path_factory.mktemp("no-oracle")
    with production_stack(
        folder, USERS, gateway_settings={"TANDEM_VALIDATION_SUGGESTIONS": "on"}
    ) as running:
        for user in USERS:  # sign in first: a sign-in is slower than a subgraph's keep-alive
            running.token(user.sub)
        yield running


def data(stack: ProductionStack, who: str, query: str, **variables: Any) -> dict[str, Any]:
    status, body = stack.post(who, query, **variables)
    assert status == 200 and not body.get("errors"), (body, stack.logs()[-3000:])
    result: dict[str, Any] = body["data"]
    return result


def refusal(stack: ProductionStack, who: str | None, query: str, **variables: Any) -> Any:
    """The answer to a refused document, with what may legitimately differ taken out."""
    status, body = stack.post(who, query, **variables)
    assert body.get("data") is None, body
    return status, [
        {
            "message": re.sub(r"'[A-Za-z_]\w*'", "'NAME'", error["message"]),
            "code": error.get("extensions", {}).get("code"),
        }
        for error in body["errors"]
    ]


def messages(stack: ProductionStack, who: str | None, query: str) -> str:
    _, body = stack.post(who, query)
    assert body.get("errors"), body
    return json.dumps(body["errors"])


# -- item 4: opaque cursors ---------------------------------------------------------------------


def _connections(stack: ProductionStack) -> dict[str, str]:
    """Root field -> a document reading its first page: every connection the broad caller
    sees, its nodes' scalar fields selected (the values a cursor must not carry)."""
    schema = data(
        stack,
        BROAD,
        """{ __schema { queryType { fields { name args { name type { kind name ofType {
             kind name enumValues { name } } } } type { kind name ofType { name } } } } } }""",
    )["__schema"]["queryType"]["fields"]
    documents = {}
    for root in schema:
        type_name = root["type"]["name"] or (root["type"]["ofType"] or {}).get("name") or ""
        if not type_name.endswith("Connection"):
            continue
        node = data(
            stack,
            BROAD,
            f'{{ __type(name: "{type_name[: -len("Connection")]}") '
            "{ fields { name type { kind ofType { kind ofType { kind } } } } } }",
        )["__type"]
        leaves = [f["name"] for f in (node or {}).get("fields") or () if _leaf(f["type"])]
        arguments = ["first: 5"]
        for argument in root["args"]:
            wrapped = argument["type"]
            if wrapped["kind"] != "NON_NULL":
                continue
            inner = wrapped["ofType"]
            if inner["kind"] == "ENUM":
                arguments.append(f"{argument['name']}: {inner['enumValues'][0]['name']}")
            else:
                from subgraphs.erp.store.base import current_period

                arguments.append(f'{argument["name"]}: "{current_period()}"')
        documents[root["name"]] = (
            f"{{ {root['name']}({', '.join(arguments)}) {{ edges {{ cursor node {{ "
            f"{' '.join(leaves) or '__typename'} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
        )
    return documents


def _leaf(type_ref: dict[str, Any]) -> bool:
    while type_ref.get("kind") in ("NON_NULL",) and type_ref.get("ofType"):
        type_ref = type_ref["ofType"]
    return type_ref.get("kind") in ("SCALAR", "ENUM")


def _decodings(cursor: str) -> list[str]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    return [cursor, raw.decode("latin-1"), raw.decode("utf-8", "replace")]


def _values(node: Any) -> Iterator[str]:
    for value in (node or {}).values():
        if isinstance(value, str) and len(value) >= 4 and value not in ("true", "false"):
            yield value
            yield from re.findall(r"\d{4,}", value)  # dates' and codes' digits too
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1000:
            yield str(value)


def test_no_cursor_of_any_connection_carries_a_value(stack: ProductionStack) -> None:
    documents = _connections(stack)
    assert {"customers", "employees", "purchaseOrders", "items"} <= set(documents), documents
    read = 0
    for name, document in documents.items():
        _, body = stack.post(BROAD, document)
        if body.get("errors"):
            continue  # a connection this caller may not list: its cursors are not theirs
        edges = body["data"][name]["edges"]
        for edge in edges:
            read += 1
            for text in _decodings(edge["cursor"]):
                for value in _values(edge["node"]):
                    assert value not in text, (name, value, edge["cursor"])
            with pytest.raises(ValueError):
                json.loads(_decodings(edge["cursor"])[1])
    assert read >= 20, "too few connections answered to show anything"


def test_an_employee_reads_no_customer_number_from_cursors(stack: ProductionStack) -> None:
    """The issue's case: cursors of a list whose every field is hidden from the caller."""
    edges = data(stack, EMPLOYEE, "{ customers(first: 50) { edges { cursor } } }")["customers"][
        "edges"
    ]
    assert edges, "the demo company has customers"
    rows = sql(stack.databases["erp"], "SELECT customer_no, name FROM erp_customers")
    secrets = [value for row in rows for value in (row["customer_no"], row["name"])]
    secrets += [re.sub(r"\D", "", row["customer_no"]) for row in rows]
    for edge in edges:
        for text in _decodings(edge["cursor"]):
            leaked = [s for s in secrets if s and len(s) >= 3 and s in text]
            assert not leaked, leaked


def test_sealed_cursors_still_page_through_every_row_once(stack: ProductionStack) -> None:
    query = """query ($after: String) { customers(first: 3, after: $after) {
      edges { cursor node { customerNo } } pageInfo { hasNextPage endCursor } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = data(stack, SALES, query, after=after)["customers"]
        seen += [edge["node"]["customerNo"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    rows = sql(stack.databases["erp"], "SELECT customer_no FROM erp_customers")
    assert seen == sorted(row["customer_no"] for row in rows)
    forged = base64.urlsafe_b64encode(json.dumps({"o": 0, "k": [["s", "CUS"]]}).encode())
    _, body = stack.post(SALES, query, after=forged.decode())
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body


# -- item 5: arguments that search are authorized --------------------------------------------


def test_a_search_answers_alike_whatever_it_matches_to_a_caller_who_may_not_read_the_field(
    stack: ProductionStack,
) -> None:
    query = "query ($s: String) { customers(search: $s) { edges { cursor } } }"
    real = refusal(stack, EMPLOYEE, query, s="Shanghai")
    made_up = refusal(stack, EMPLOYEE, query, s="Zzyzx Nonexistent Trading")
    assert real == made_up
    literal = '{ customers(search: "Shanghai") { edges { cursor } pageInfo { hasNextPage } } }'
    assert refusal(stack, EMPLOYEE, literal) == refusal(
        stack, EMPLOYEE, literal.replace("Shanghai", "Zzyzx")
    )


def test_a_caller_who_may_read_the_field_still_searches(stack: ProductionStack) -> None:
    query = "query ($s: String) { customers(search: $s) { edges { node { name } } } }"
    found = data(stack, SALES, query, s="Shanghai")["customers"]["edges"]
    assert found and all("shanghai" in e["node"]["name"].lower() for e in found), found
    assert data(stack, SALES, query, s="Zzyzx Nonexistent")["customers"]["edges"] == []


# -- item 6: validation answers from the caller's schema -------------------------------------

TB = '(period: "2026-11", currency: "CNY")'
HIDDEN = [
    # (who, a document with %s where a hidden name goes, the hidden name)
    (EMPLOYEE, "{ %s" + TB + " { __typename } }", "trialBalance"),
    (EMPLOYEE, '{ supplier(id: "sup-01") { %s } }', "bankAccount"),
    (EMPLOYEE, "{ ...f } fragment f on Query { ... on %s { __typename } }", "TrialBalance"),
    (EMPLOYEE, '{ customers(%s: "Shanghai") { edges { cursor } } }', "search"),
    (INTEGRATOR, "{ me { %s { amount } } }", "salary"),
    (INTEGRATOR, '{ employee(id: "emp-001") { %s } }', "idCardNumber"),
    (None, "{ %s { id } }", "me"),
]


@pytest.mark.parametrize(("who", "template", "name"), HIDDEN)
def test_a_hidden_element_fails_validation_exactly_as_a_nonexistent_one(
    stack: ProductionStack, who: str | None, template: str, name: str
) -> None:
    answer = refusal(stack, who, template % name)
    assert answer == refusal(stack, who, template % (name[:-1] + "Q"))
    assert {error["code"] for error in answer[1]} == {"GRAPHQL_VALIDATION_FAILED"}, answer


@pytest.mark.parametrize(("who", "template", "name"), HIDDEN)
def test_no_suggestion_names_a_hidden_element(
    stack: ProductionStack, who: str | None, template: str, name: str
) -> None:
    """A near miss (the name less its last letter) would be "Did you mean" the hidden name."""
    text = messages(stack, who, template % name[:-1])
    assert f"'{name}'" not in text, text


def test_suggestions_still_name_what_the_caller_may_see(stack: ProductionStack) -> None:
    """They are switched on for this stack: a visible near miss is still suggested."""
    assert "'salary'" in messages(stack, EMPLOYEE, "{ me { salar { amount } } }")
