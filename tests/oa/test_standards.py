"""The data standard both subgraphs share, on the OA side (issue 16, item 6): a date-time or
any other scalar its type cannot parse is ``BAD_USER_INPUT`` naming the argument (a literal or
a variable, at any depth of an input object), with the path of its field and without the
value; date-times are answered in the company's time zone. On SQLite and PostgreSQL; through
the gateway: ``tests/e2e/test_data_standard.py``.
"""

from __future__ import annotations

import pytest

from subgraphs.common.company_time import COMPANY_TIMEZONE_VARIABLE
from subgraphs.common.settings import SettingsError, SubgraphSettings
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


SEND = "mutation ($input: SendMessageInput!) { sendMessage(input: $input) { sentAt } }"


async def test_date_times_are_answered_in_the_company_time_zone(
    oa: OAClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = {"to": ["emp-carol"], "subject": "Zone", "body": "x"}
    shanghai = (await oa.data(BOB, SEND, input=message))["sendMessage"]["sentAt"]
    assert shanghai.endswith("+08:00")  # the default, Asia/Shanghai
    monkeypatch.setenv(COMPANY_TIMEZONE_VARIABLE, "America/New_York")
    new_york = (await oa.data(BOB, SEND, input=message))["sendMessage"]["sentAt"]
    assert new_york[-6:] in ("-05:00", "-04:00")
    given = await oa.data(BOB, ROOMS, start="2026-12-10T02:00:00Z", end="2026-12-10T03:00:00Z")
    assert given["free"] is not None


def test_an_unknown_company_time_zone_stops_the_subgraph_at_start_up() -> None:
    with pytest.raises(SettingsError, match=COMPANY_TIMEZONE_VARIABLE):
        SubgraphSettings.from_env("oa", {COMPANY_TIMEZONE_VARIABLE: "Mars/Olympus"})
    settings = SubgraphSettings.from_env("oa", {COMPANY_TIMEZONE_VARIABLE: "Europe/Berlin"})
    assert settings.name == "oa"


async def test_every_malformed_field_of_an_input_is_reported_at_once(oa: OAClient) -> None:
    query = "mutation ($input: BookMeetingInput!) { bookMeeting(input: $input) { id } }"
    body = await oa.post(BOB, query, input={"title": 3, "start": "noon", "colour": "red"})
    named = {error["extensions"]["field"]: error["extensions"]["code"] for error in body["errors"]}
    assert named == {
        "input.title": "BAD_USER_INPUT",
        "input.roomId": "BAD_USER_INPUT",
        "input.start": "BAD_USER_INPUT",
        "input.end": "BAD_USER_INPUT",
        "input.colour": "BAD_USER_INPUT",
    }
    assert all(error["path"] == ["bookMeeting"] for error in body["errors"])


SUBMIT = """
mutation ($input: PurchaseRequestInput!) { submitPurchaseRequest(input: $input) { id } }
"""


async def test_every_invalid_field_of_a_purchase_request_is_reported_together(
    oa: OAClient,
) -> None:
    price = {"amount": "-1.00", "currency": "CNY"}
    items = [{"sku": "not a sku", "quantity": 0, "unitPrice": {"amount": "5", "currency": "CNY"}},
             {"sku": "SKU-0001", "quantity": 1, "unitPrice": price}]  # fmt: skip
    body = await oa.post(BOB, SUBMIT, input={"title": " ", "items": items,
                                             "budgetPeriod": "202611"})  # fmt: skip
    assert body["data"] is None
    named = sorted(error["extensions"]["field"] for error in body["errors"])
    assert named == [
        "input.budgetPeriod",
        "input.items.0.quantity",
        "input.items.0.sku",
        "input.items.1.unitPrice.amount",
        "input.title",
    ]
    assert {error["extensions"]["code"] for error in body["errors"]} == {"BAD_USER_INPUT"}
    assert {tuple(error["path"]) for error in body["errors"]} == {("submitPurchaseRequest",)}
