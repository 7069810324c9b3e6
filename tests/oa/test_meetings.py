"""Meetings: booking without double booking (also under concurrent requests), minutes,
availability, my meetings, and input checks."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.oa.store.meetings import create_room
from tandem_shared.db import transaction
from tests.oa.client import OAClient
from tests.oa.org import ALICE, BOB, CAROL, CEO, FIONA, FRANK, HELEN

pytestmark = pytest.mark.anyio

CST = timezone(timedelta(hours=8))
BOOK = """
mutation ($input: BookMeetingInput!) {
  bookMeeting(input: $input) {
    id title start end status organizer { id } attendees { id } room { name capacity }
  }
}
"""
AVAILABILITY = """
query ($start: DateTime!, $end: DateTime!, $min: Int) {
  roomAvailability(start: $start, end: $end, minCapacity: $min) {
    room { name } available busy { start end }
  }
}
"""
MINE = """
query ($start: DateTime, $end: DateTime, $cancelled: Boolean, $first: Int, $after: String) {
  myMeetings(start: $start, end: $end, includeCancelled: $cancelled, first: $first, after: $after) {
    edges { node { title status } } pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.fixture
async def rooms(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    """Two rooms: Everest (3 seats), Huangshan (10 seats); name -> id."""
    async with transaction(sessions) as session:
        small = await create_room(
            session, None, name="Everest", capacity=3, equipment=["screen"], location="3F"
        )
        large = await create_room(
            session, None, name="Huangshan", capacity=10, equipment=[], location=None
        )
        return {"Everest": small.id, "Huangshan": large.id}


def at(hours: float) -> datetime:
    """``hours`` after 09:00 (UTC+8) two days from now."""
    day = (datetime.now(CST) + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    return day + timedelta(hours=hours)


def booking(room: str, start: float, end: float, **fields: Any) -> dict[str, Any]:
    return {
        "title": "Sync",
        "roomId": room,
        "start": at(start).isoformat(),
        "end": at(end).isoformat(),
        **fields,
    }


async def test_booking_a_free_room(oa: OAClient, rooms: dict[str, str]) -> None:
    data = await oa.data(
        ALICE, BOOK,
        input=booking(rooms["Everest"], 1, 2, attendeeIds=["emp-bob", "emp-alice", "emp-bob"]),
    )  # fmt: skip

    meeting = data["bookMeeting"]
    assert meeting["status"] == "SCHEDULED"
    assert meeting["organizer"] == {"id": "emp-alice"}
    assert meeting["attendees"] == [{"id": "emp-bob"}]
    assert meeting["room"] == {"name": "Everest", "capacity": 3}
    assert datetime.fromisoformat(meeting["start"]) == at(1)
    assert datetime.fromisoformat(meeting["end"]).utcoffset() is not None


async def test_an_overlapping_booking_conflicts_and_back_to_back_does_not(
    oa: OAClient, rooms: dict[str, str]
) -> None:
    room = rooms["Everest"]
    await oa.data(ALICE, BOOK, input=booking(room, 1, 2))

    for start, end in ((1, 2), (0.5, 1.5), (1.5, 2.5), (1.25, 1.75), (0, 3)):
        error = await oa.error(BOB, BOOK, input=booking(room, start, end))
        assert (error["code"], error["field"]) == ("CONFLICT", "input.roomId"), (start, end)
    before = await oa.data(BOB, BOOK, input=booking(room, 0, 1))
    after = await oa.data(BOB, BOOK, input=booking(room, 2, 3))
    elsewhere = await oa.data(BOB, BOOK, input=booking(rooms["Huangshan"], 1, 2))

    assert before["bookMeeting"]["status"] == after["bookMeeting"]["status"] == "SCHEDULED"
    assert elsewhere["bookMeeting"]["room"]["name"] == "Huangshan"


async def test_concurrent_bookings_of_one_room_one_wins(
    oa: OAClient, rooms: dict[str, str]
) -> None:
    people = [ALICE, BOB, CAROL, CEO, FIONA, FRANK, HELEN, ALICE, BOB, CAROL]

    answers = await asyncio.gather(
        *(
            oa.post(who, BOOK, input=booking(rooms["Huangshan"], 1 + n / 20, 2 + n / 20))
            for n, who in enumerate(people)
        )
    )

    codes = [a["errors"][0]["extensions"]["code"] for a in answers if "errors" in a]
    assert len(answers) - len(codes) == 1
    assert codes == ["CONFLICT"] * (len(answers) - 1)
    availability = await oa.data(
        ALICE, AVAILABILITY, start=at(0).isoformat(), end=at(4).isoformat(), min=5
    )
    [huangshan] = availability["roomAvailability"]
    assert len(huangshan["busy"]) == 1


async def test_a_cancelled_meeting_frees_its_room(oa: OAClient, rooms: dict[str, str]) -> None:
    meeting = (await oa.data(ALICE, BOOK, input=booking(rooms["Everest"], 1, 2)))["bookMeeting"]
    cancel = "mutation ($id: ID!) { cancelMeeting(id: $id) { status } }"

    by_other = await oa.error(BOB, cancel, id=meeting["id"])
    cancelled = await oa.data(ALICE, cancel, id=meeting["id"])
    rebooked = await oa.data(BOB, BOOK, input=booking(rooms["Everest"], 1, 2))

    assert by_other["code"] == "NOT_FOUND"
    assert cancelled["cancelMeeting"] == {"status": "CANCELLED"}
    assert rebooked["bookMeeting"]["status"] == "SCHEDULED"


async def test_the_organizer_records_minutes(oa: OAClient, rooms: dict[str, str]) -> None:
    meeting = (
        await oa.data(ALICE, BOOK, input=booking(rooms["Everest"], 1, 2, attendeeIds=["emp-bob"]))
    )["bookMeeting"]
    record = """
    mutation ($id: ID!, $minutes: String!) {
      recordMinutes(id: $id, minutes: $minutes) { minutes minutesRecordedAt }
    }
    """

    by_attendee = await oa.error(BOB, record, id=meeting["id"], minutes="x")
    by_stranger = await oa.error(CAROL, record, id=meeting["id"], minutes="x")
    empty = await oa.error(ALICE, record, id=meeting["id"], minutes=" ")
    recorded = await oa.data(ALICE, record, id=meeting["id"], minutes="1. Ship it.\n2. Lunch.")
    seen = await oa.data(BOB, "query ($id: ID!) { meeting(id: $id) { minutes } }", id=meeting["id"])

    assert by_attendee["code"] == "FORBIDDEN"
    assert by_stranger["code"] == "NOT_FOUND"
    assert (empty["code"], empty["field"]) == ("BAD_USER_INPUT", "minutes")
    assert recorded["recordMinutes"]["minutes"] == "1. Ship it.\n2. Lunch."
    assert recorded["recordMinutes"]["minutesRecordedAt"] is not None
    assert seen["meeting"]["minutes"] == "1. Ship it.\n2. Lunch."


async def test_availability_lists_every_room_with_its_busy_times(
    oa: OAClient, rooms: dict[str, str]
) -> None:
    await oa.data(ALICE, BOOK, input=booking(rooms["Everest"], 1, 2))
    await oa.data(ALICE, BOOK, input=booking(rooms["Everest"], 5, 6))

    morning = await oa.data(ALICE, AVAILABILITY, start=at(0).isoformat(), end=at(3).isoformat())
    evening = await oa.data(ALICE, AVAILABILITY, start=at(6).isoformat(), end=at(8).isoformat())

    everest, huangshan = morning["roomAvailability"]
    assert (everest["room"]["name"], everest["available"]) == ("Everest", False)
    assert [datetime.fromisoformat(s["start"]) for s in everest["busy"]] == [at(1)]
    assert (huangshan["available"], huangshan["busy"]) == (True, [])
    assert all(r["available"] for r in evening["roomAvailability"])


async def test_my_meetings_are_those_i_organize_or_attend(
    oa: OAClient, rooms: dict[str, str]
) -> None:
    for n, room in enumerate(["Everest", "Huangshan", "Everest"]):
        attendees = ["emp-bob"] if n != 1 else []
        meeting = {
            **booking(rooms[room], 2 * n, 2 * n + 1, attendeeIds=attendees),
            "title": f"M{n}",
        }
        await oa.data(ALICE, BOOK, input=meeting)

    alices = await oa.data(ALICE, MINE, first=2)
    rest = await oa.data(ALICE, MINE, after=alices["myMeetings"]["pageInfo"]["endCursor"])
    bobs = await oa.data(BOB, MINE)
    window = await oa.data(ALICE, MINE, start=at(1.5).isoformat(), end=at(4.5).isoformat())
    carols = await oa.data(CAROL, MINE)

    def titles(data: dict[str, Any]) -> list[str]:
        return [e["node"]["title"] for e in data["myMeetings"]["edges"]]

    assert titles(alices) == ["M0", "M1"]
    assert titles(rest) == ["M2"]
    assert titles(bobs) == ["M0", "M2"]
    assert titles(window) == ["M1", "M2"]
    assert titles(carols) == []


@pytest.mark.parametrize(
    ("start", "end", "changes", "code", "field"),
    [
        (2, 1, {}, "BAD_USER_INPUT", "input.end"),
        (1, 1, {}, "BAD_USER_INPUT", "input.end"),
        (1, 14, {}, "BAD_USER_INPUT", "input.end"),
        (-100, -99, {}, "BAD_USER_INPUT", "input.start"),
        (1, 2, {"title": ""}, "BAD_USER_INPUT", "input.title"),
        (1, 2, {"roomId": "room-x"}, "NOT_FOUND", "input.roomId"),
        (1, 2, {"attendeeIds": ["emp-ghost"]}, "NOT_FOUND", "input.attendeeIds.0"),
        (1, 2, {"attendeeIds": ["emp-bob", "emp-carol", "emp-ceo"]}, "BAD_USER_INPUT",
         "input.attendeeIds"),
    ],
)  # fmt: skip
async def test_bookings_are_validated(
    oa: OAClient,
    rooms: dict[str, str],
    start: float,
    end: float,
    changes: dict[str, Any],
    code: str,
    field: str,
) -> None:
    error = await oa.error(ALICE, BOOK, input={**booking(rooms["Everest"], start, end), **changes})

    assert (error["code"], error["field"]) == (code, field)


async def test_a_time_without_offset_is_refused(oa: OAClient, rooms: dict[str, str]) -> None:
    naive = {**booking(rooms["Everest"], 1, 2), "start": at(1).replace(tzinfo=None).isoformat()}

    body = await oa.post(ALICE, BOOK, input=naive)

    assert body["data"] is None
    assert "offset" in body["errors"][0]["message"]


async def test_availability_windows_are_validated(oa: OAClient, rooms: dict[str, str]) -> None:
    backwards = await oa.error(ALICE, AVAILABILITY, start=at(2).isoformat(), end=at(1).isoformat())
    too_long = await oa.error(
        ALICE, AVAILABILITY, start=at(0).isoformat(), end=at(24 * 40).isoformat()
    )

    assert (backwards["code"], backwards["field"]) == ("BAD_USER_INPUT", "end")
    assert (too_long["code"], too_long["field"]) == ("BAD_USER_INPUT", "end")


async def test_only_hr_adds_rooms(oa: OAClient, rooms: dict[str, str]) -> None:
    create = """
    mutation ($input: MeetingRoomInput!) { createMeetingRoom(input: $input) { name equipment } }
    """

    forbidden = await oa.error(BOB, create, input={"name": "Taishan", "capacity": 6})
    created = await oa.data(
        HELEN, create, input={"name": "Taishan", "capacity": 6, "equipment": ["video"]}
    )
    duplicate = await oa.error(HELEN, create, input={"name": "Taishan", "capacity": 6})
    no_seats = await oa.error(HELEN, create, input={"name": "Lushan", "capacity": 0})

    assert forbidden["code"] == "FORBIDDEN"
    assert created["createMeetingRoom"] == {"name": "Taishan", "equipment": ["video"]}
    assert (duplicate["code"], duplicate["field"]) == ("CONFLICT", "input.name")
    assert (no_seats["code"], no_seats["field"]) == ("BAD_USER_INPUT", "input.capacity")


async def test_attendees_are_invited_in_their_inbox(oa: OAClient, rooms: dict[str, str]) -> None:
    invite = booking(rooms["Everest"], 1, 2, title="Budget review",
                     attendeeIds=["emp-bob", "emp-carol", "emp-alice"])  # fmt: skip
    meeting = (await oa.data(ALICE, BOOK, input=invite))["bookMeeting"]
    inbox = "{ messages { edges { node { subject body system sender { id } } } } }"
    when = f"{at(1).isoformat()} to {at(2).isoformat()}"
    expected = {
        "subject": "Invitation: Budget review",
        "body": f"Alice Li invites you to 'Budget review' in Everest, {when}.",
        "system": True,
        "sender": None,
    }

    for attendee in (BOB, CAROL):
        edges = (await oa.data(attendee, inbox))["messages"]["edges"]
        assert [edge["node"] for edge in edges] == [expected]
    assert (await oa.data(ALICE, inbox))["messages"]["edges"] == []  # the organizer
    assert {a["id"] for a in meeting["attendees"]} == {"emp-bob", "emp-carol"}
