"""People: me, employees (filters, pages), departments, entities, and the identity guard."""

from __future__ import annotations

import pytest

from tests.crypto.opener import opened
from tests.oa.client import OAClient
from tests.oa.org import ALICE, BOB, CEO, STRANGER

pytestmark = pytest.mark.anyio

ME = "{ me { id employeeNo name department { code } manager { id } roles directReports { id } } }"
EMPLOYEES = """
query ($filter: EmployeeFilter, $first: Int, $after: String) {
  employees(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id employeeNo } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_me_is_the_employee_the_token_names(oa: OAClient) -> None:
    data = await oa.data(ALICE, ME)

    assert data["me"] == {
        "id": "emp-alice",
        "employeeNo": "EMP-000003",
        "name": "Alice Li",
        "department": {"code": "ENG"},
        "manager": {"id": "emp-ceo"},
        "roles": ["employee", "manager"],
        "directReports": [{"id": "emp-bob"}, {"id": "emp-carol"}],
    }


async def test_me_is_null_for_a_principal_that_is_no_employee(oa: OAClient) -> None:
    assert await oa.data(STRANGER, "{ me { id } }") == {"me": None}


async def test_employee_by_id_and_not_found(oa: OAClient) -> None:
    found = await oa.data(BOB, '{ employee(id: "emp-ceo") { name title phone idCardNumber } }')
    missing = await oa.post(BOB, '{ employee(id: "emp-nobody") { name } }')

    employee = found["employee"]
    assert (employee["name"], employee["title"]) == ("Cheng Wang", "Chief Executive")
    # encrypted fields come as envelopes (the gateway opens them)
    assert opened(employee["phone"], "Employee", "emp-ceo", "phone") == "+86 138 0000 0001"
    card = opened(employee["idCardNumber"], "Employee", "emp-ceo", "idCardNumber")
    assert card == "110101199001010001"
    assert missing["data"] == {"employee": None}
    assert missing["errors"][0]["extensions"] == {
        "code": "NOT_FOUND",
        "field": "id",
        "id": "emp-nobody",
    }


async def test_employees_page_by_employee_number_with_cursors(oa: OAClient) -> None:
    first = (await oa.data(BOB, EMPLOYEES, first=3))["employees"]
    rest = (await oa.data(BOB, EMPLOYEES, first=10, after=first["pageInfo"]["endCursor"]))[
        "employees"
    ]

    numbers = [edge["node"]["employeeNo"] for edge in first["edges"] + rest["edges"]]
    assert numbers == [f"EMP-{n:06d}" for n in range(1, 8)]
    assert first["pageInfo"]["hasNextPage"] is True
    assert rest["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"departmentId": "dept-eng"}, ["emp-alice", "emp-bob", "emp-carol"]),
        ({"managerId": "emp-frank"}, ["emp-fiona"]),
        ({"search": "OB CH"}, ["emp-bob"]),
        ({"search": "fiona@"}, ["emp-fiona"]),
        ({"search": "EMP-000001"}, ["emp-ceo"]),
        ({"search": "%"}, []),
        ({"departmentId": "dept-eng", "search": "carol"}, ["emp-carol"]),
    ],
)
async def test_employee_filters(oa: OAClient, filter: dict[str, str], expected: list[str]) -> None:
    data = await oa.data(BOB, EMPLOYEES, filter=filter)

    assert [edge["node"]["id"] for edge in data["employees"]["edges"]] == expected


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": -1}, "first"),
        ({"first": 101}, "first"),
        ({"after": "not-a-cursor"}, "after"),
        ({"filter": {"search": "   "}}, "filter.search"),
        ({"filter": {"search": "x" * 101}}, "filter.search"),
    ],
)
async def test_employees_refuse_bad_arguments(
    oa: OAClient, variables: dict[str, object], field: str
) -> None:
    error = await oa.error(BOB, EMPLOYEES, **variables)

    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", field)


async def test_departments_with_parent_manager_and_members(oa: OAClient) -> None:
    data = await oa.data(
        CEO, "{ departments { id code parent { code } manager { id } members { id } } }"
    )

    assert data["departments"] == [
        {
            "id": "dept-eng",
            "code": "ENG",
            "parent": {"code": "HQ"},
            "manager": {"id": "emp-alice"},
            "members": [{"id": "emp-alice"}, {"id": "emp-bob"}, {"id": "emp-carol"}],
        },
        {
            "id": "dept-fin",
            "code": "FIN",
            "parent": {"code": "HQ"},
            "manager": {"id": "emp-frank"},
            "members": [{"id": "emp-frank"}, {"id": "emp-fiona"}],
        },
        {
            "id": "dept-hq",
            "code": "HQ",
            "parent": None,
            "manager": {"id": "emp-ceo"},
            "members": [{"id": "emp-ceo"}, {"id": "emp-helen"}],
        },
    ]


async def test_entities_resolve_employees_and_departments(oa: OAClient) -> None:
    query = """
    query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Employee { id name department { id } }
        ... on Department { id code manager { id } }
      }
    }
    """
    representations = [
        {"__typename": "Employee", "id": "emp-bob"},
        {"__typename": "Department", "id": "dept-fin"},
        {"__typename": "Employee", "id": "emp-nobody"},
        {"__typename": "Employee", "id": "emp-carol"},
    ]

    data = await oa.data(STRANGER, query, representations=representations)

    assert data["_entities"] == [
        {"id": "emp-bob", "name": "Bob Chen", "department": {"id": "dept-eng"}},
        {"id": "dept-fin", "code": "FIN", "manager": {"id": "emp-frank"}},
        None,
        {"id": "emp-carol", "name": "Carol Liu", "department": {"id": "dept-eng"}},
    ]


async def test_requests_without_a_gateway_token_are_refused(oa: OAClient) -> None:
    response = await oa.http.post("/graphql", json={"query": "{ me { id } }"})

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
