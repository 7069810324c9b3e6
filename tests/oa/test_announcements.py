"""Announcements: who may publish, who sees what (departments with their sub-departments)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.oa.client import OAClient
from tests.oa.org import ALICE, BOB, CEO, FIONA, HELEN

pytestmark = pytest.mark.anyio

PUBLISH = """
mutation ($input: PublishAnnouncementInput!) {
  publishAnnouncement(input: $input) { id title publishedAt author { id } audience { id } }
}
"""
LIST = """
query ($first: Int, $after: String) {
  announcements(first: $first, after: $after) {
    edges { node { title } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def publish(oa: OAClient, who: Any, title: str, audience: list[str]) -> Any:
    variables = {"title": title, "body": "...", "audienceDepartmentIds": audience}
    return (await oa.data(who, PUBLISH, input=variables))["publishAnnouncement"]


async def titles(oa: OAClient, who: Any) -> list[str]:
    data = await oa.data(who, LIST)
    return [edge["node"]["title"] for edge in data["announcements"]["edges"]]


async def test_each_sees_the_announcements_for_their_department_and_those_above(
    oa: OAClient,
) -> None:
    everyone = await publish(oa, HELEN, "Holiday", [])
    await publish(oa, ALICE, "Engineering offsite", ["dept-eng"])
    await publish(oa, HELEN, "Finance close", ["dept-fin"])
    await publish(oa, CEO, "Head office news", ["dept-hq"])

    assert everyone["author"] == {"id": "emp-helen"}
    assert everyone["audience"] == []
    assert await titles(oa, BOB) == ["Head office news", "Engineering offsite", "Holiday"]
    assert await titles(oa, FIONA) == ["Head office news", "Finance close", "Holiday"]
    assert await titles(oa, CEO) == ["Head office news", "Holiday"]


async def test_announcements_page(oa: OAClient) -> None:
    for n in range(3):
        await publish(oa, HELEN, f"News {n}", [])

    first = (await oa.data(BOB, LIST, first=2))["announcements"]
    rest = (await oa.data(BOB, LIST, after=first["pageInfo"]["endCursor"]))["announcements"]

    assert [e["node"]["title"] for e in first["edges"]] == ["News 2", "News 1"]
    assert [e["node"]["title"] for e in rest["edges"]] == ["News 0"]
    assert (first["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasNextPage"]) == (True, False)


async def test_only_hr_and_managers_publish(oa: OAClient) -> None:
    error = await oa.error(
        BOB, PUBLISH, input={"title": "Hello", "body": "...", "audienceDepartmentIds": []}
    )

    assert error["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("input", "code", "field"),
    [
        ({"title": "", "body": "b"}, "BAD_USER_INPUT", "input.title"),
        ({"title": "t", "body": " "}, "BAD_USER_INPUT", "input.body"),
        (
            {"title": "t", "body": "b", "audienceDepartmentIds": ["dept-eng", "dept-x"]},
            "NOT_FOUND",
            "input.audienceDepartmentIds.1",
        ),
    ],
)
async def test_publish_validates_its_input(
    oa: OAClient, input: dict[str, Any], code: str, field: str
) -> None:
    error = await oa.error(HELEN, PUBLISH, input=input)

    assert (error["code"], error["field"]) == (code, field)
