"""Coded errors through a schema: codes and fields kept, unexpected errors masked and logged."""

from __future__ import annotations

import logging

import pytest
import strawberry

from subgraphs.common.errors import (
    INTERNAL_MESSAGE,
    BadUserInput,
    Conflict,
    ErrorCode,
    Forbidden,
    InternalError,
    NotFound,
    SubgraphError,
    Unauthenticated,
)
from subgraphs.common.schema import create_schema
from subgraphs.common.standing import EmployeeDeactivated

RAISED: dict[str, Exception] = {
    "unauthenticated": Unauthenticated("Sign in."),
    "forbidden": Forbidden("Only finance may do this."),
    "badInput": BadUserInput("Too many lines.", field="input.lines"),
    "notFound": NotFound("No employee emp-999.", extensions={"id": "emp-999"}),
    "conflict": Conflict("The room is booked."),
    "internal": InternalError("Try again later."),
    "unexpected": KeyError("password=hunter2"),
    "graphql": strawberry.exceptions.StrawberryGraphQLError("Deliberate."),
}


@strawberry.type
class Query:
    @strawberry.field
    def fail(self, how: str) -> str:
        raise RAISED[how]

    @strawberry.field
    async def fail_later(self) -> str:
        raise ZeroDivisionError("secret internals")


SCHEMA = create_schema(query=Query)


@pytest.mark.parametrize(
    ("how", "message", "extensions"),
    [
        ("unauthenticated", "Sign in.", {"code": "UNAUTHENTICATED"}),
        ("forbidden", "Only finance may do this.", {"code": "FORBIDDEN"}),
        ("badInput", "Too many lines.", {"code": "BAD_USER_INPUT", "field": "input.lines"}),
        ("notFound", "No employee emp-999.", {"code": "NOT_FOUND", "id": "emp-999"}),
        ("conflict", "The room is booked.", {"code": "CONFLICT"}),
        ("internal", "Try again later.", {"code": "INTERNAL"}),
        ("unexpected", INTERNAL_MESSAGE, {"code": "INTERNAL"}),
        ("graphql", "Deliberate.", {}),
    ],
)
def test_each_error_reaches_the_client_with_its_code(
    how: str, message: str, extensions: dict[str, str]
) -> None:
    result = SCHEMA.execute_sync("query ($how: String!) { fail(how: $how) }", {"how": how})

    assert result.errors is not None
    error = result.errors[0].formatted
    assert (error["message"], error.get("extensions", {}), error["path"]) == (
        message,
        extensions,
        ["fail"],
    )


@pytest.mark.anyio
async def test_unexpected_errors_are_logged_with_their_traceback_and_hidden(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="tandem.subgraphs.errors"):
        result = await SCHEMA.execute("{ failLater }")

    assert result.errors is not None
    assert result.errors[0].formatted == {
        "message": INTERNAL_MESSAGE,
        "locations": [{"line": 1, "column": 3}],
        "path": ["failLater"],
        "extensions": {"code": "INTERNAL"},
    }
    assert "secret internals" not in str(result.errors[0].formatted)
    [record] = caplog.records
    assert record.getMessage() == "unexpected error at failLater"
    assert record.exc_info is not None and isinstance(record.exc_info[1], ZeroDivisionError)


def test_expected_errors_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        SCHEMA.execute_sync('{ fail(how: "notFound") }')
    assert caplog.records == []


def test_graphql_validation_errors_pass_unchanged() -> None:
    result = SCHEMA.execute_sync("{ nope }")
    assert result.errors is not None
    assert "Cannot query field 'nope'" in result.errors[0].message


def test_the_codes_are_the_documented_set() -> None:
    assert [code.value for code in ErrorCode] == [
        "UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT", "NOT_FOUND", "CONFLICT",
        "EMPLOYEE_DEACTIVATED", "INTERNAL",
    ]  # fmt: skip
    assert {cls.code for cls in SubgraphError.__subclasses__()} == set(ErrorCode)
    assert EmployeeDeactivated.code == ErrorCode.EMPLOYEE_DEACTIVATED  # (standing.py's own)
    assert Unauthenticated.status == 401
