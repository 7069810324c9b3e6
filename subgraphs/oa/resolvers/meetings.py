# mypy: disable-error-code="untyped-decorator"
"""Meetings: rooms, booking, minutes, availability, my meetings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from subgraphs.common.pagination import Connection
from subgraphs.oa.context import actor, change, sessions
from subgraphs.oa.store import meetings
from subgraphs.oa.types.meetings import (
    BookMeetingInput,
    Meeting,
    MeetingRoom,
    MeetingRoomInput,
    RoomAvailability,
)
from tandem_shared.db import transaction

__all__ = ["MeetingsMutation", "MeetingsQuery"]


@strawberry.type
class MeetingsQuery:
    @strawberry.field(description="Every meeting room, by name.")
    async def meeting_rooms(self, info: Info[Any, Any]) -> list[MeetingRoom]:
        actor(info)
        async with transaction(sessions(info)) as session:
            rows = await meetings.rooms(session)
        return [MeetingRoom.from_row(row) for row in rows]

    @strawberry.field(description="Rooms and when they are taken between start and end.")
    async def room_availability(
        self,
        info: Info[Any, Any],
        start: datetime,
        end: datetime,
        min_capacity: int | None = None,
    ) -> list[RoomAvailability]:
        actor(info)
        async with transaction(sessions(info)) as session:
            found = await meetings.availability(session, start, end, min_capacity=min_capacity)
        return [RoomAvailability.from_value(value) for value in found]

    @strawberry.field(
        description="Meetings I organize or attend, by start; optionally those "
        "overlapping start..end."
    )
    async def my_meetings(
        self,
        info: Info[Any, Any],
        start: datetime | None = None,
        end: datetime | None = None,
        include_cancelled: bool = False,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Meeting]:
        async with transaction(sessions(info)) as session:
            page = await meetings.find_my_meetings(
                session,
                actor(info),
                start=start,
                end=end,
                include_cancelled=include_cancelled,
                first=first,
                after=after,
            )
        return page.to_connection(Meeting.from_row)

    @strawberry.field(description="One meeting I organize or attend; NOT_FOUND otherwise.")
    async def meeting(self, info: Info[Any, Any], id: strawberry.ID) -> Meeting | None:
        async with transaction(sessions(info)) as session:
            return Meeting.from_row(await meetings.visible_meeting(session, actor(info), id))


@strawberry.type
class MeetingsMutation:
    @strawberry.mutation(description="Book a room; CONFLICT if it is taken at that time.")
    async def book_meeting(self, info: Info[Any, Any], input: BookMeetingInput) -> Meeting:
        async with change(info) as session:
            row = await meetings.book(
                session,
                actor(info),
                title=input.title,
                room_id=input.room_id,
                start=input.start,
                end=input.end,
                attendee_ids=input.attendee_ids,
                agenda=input.agenda,
            )
        return Meeting.from_row(row)

    @strawberry.mutation(description="Cancel a meeting I organize; its room is free again.")
    async def cancel_meeting(self, info: Info[Any, Any], id: strawberry.ID) -> Meeting:
        async with change(info) as session:
            return Meeting.from_row(await meetings.cancel(session, actor(info), id))

    @strawberry.mutation(description="Record the minutes of a meeting I organize.")
    async def record_minutes(
        self, info: Info[Any, Any], id: strawberry.ID, minutes: str
    ) -> Meeting:
        async with change(info) as session:
            return Meeting.from_row(
                await meetings.record_minutes(session, actor(info), id, minutes)
            )

    @strawberry.mutation(description="Add a meeting room (role hr).")
    async def create_meeting_room(
        self, info: Info[Any, Any], input: MeetingRoomInput
    ) -> MeetingRoom:
        async with change(info) as session:
            row = await meetings.create_room(
                session,
                actor(info),
                name=input.name,
                capacity=input.capacity,
                equipment=input.equipment,
                location=input.location,
            )
        return MeetingRoom.from_row(row)
