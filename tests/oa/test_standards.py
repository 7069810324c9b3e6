"""The data standard both subgraphs share, on the OA side (issue 16, item 6): a date-time or
any other scalar its type cannot parse is ``BAD_USER_INPUT`` naming the argument (a literal or
a variable, at any depth of an input object), with the path of its field and without the
value. On SQLite and PostgreSQL; through the gateway: ``tests/e2e/test_data_standard.py``.
"""

from __future__ import annotations

import pytest

from tests.oa.client import OAClient
from tests.oa.org import BOB

pytestmark = pytest.mark.anyio

ROOMS = """
query ($start: DateTime!, $end: DateTime!) {
  free: roomAvailability(start: $start, end: $end) { room { id } }
}
"""
BOOK = """
mutation ($start: DateTime!) {
  bookMeeting(input: {title: "Sync", roomId: "room-1", start: $start,
                      end: "2026-12-10T11:00:00+08:00", attendeeIds: []}) { id }
}
"""


@pytest.mark.parametrize("value", ["2026-12-10 10:00", "tomorrow", "2026-12-10T10:00:00", 7])
async def test_a_malformed_date_time_variable_names_its_argument(
    oa: OAClient, value: object
) -> None:
    body = await oa.post(BOB, ROOMS, start="2026-12-10T10:00:00+08:00", end=value)
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "end"}
    assert error["path"] == ["free"]
    assert str(value) not in error["message"]
    assert "ISO 8601" in error["message"]


async def test_a_malformed_literal_inside_an_input_object_names_its_path(oa: OAClient) -> None:
    query = BOOK.replace('end: "2026-12-10T11:00:00+08:00"', 'end: "noon"')
    error = await oa.error(BOB, query, start="2026-12-10T10:00:00+08:00")
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "input.end")
    variable = await oa.error(BOB, BOOK, start="10:00")
    assert (variable["code"], variable["field"]) == ("BAD_USER_INPUT", "input.start")


async def test_other_scalars_are_named_too(oa: OAClient) -> None:
    error = await oa.error(BOB, '{ messages(first: "many") { edges { node { id } } } }')
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "first")
