# mypy: disable-error-code="untyped-decorator"
"""``MeetingRoom``, ``Meeting`` and room availability."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Self

import strawberry
from strawberry.types import Info

from subgraphs.oa.context import loaders
from subgraphs.oa.store import meetings, models
from subgraphs.oa.types.people import Employee

__all__ = [
    "BookMeetingInput",
    "Meeting",
    "MeetingRoom",
    "MeetingRoomInput",
    "MeetingStatus",
    "RoomAvailability",
    "TimeSlot",
]


@strawberry.type
class MeetingRoom:
    id: strawberry.ID
    name: str
    capacity: int = strawberry.field(description="Seats, the organizer's included.")
    equipment: list[str]
    location: str | None

    @classmethod
    def from_row(cls, row: models.MeetingRoom) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            capacity=row.capacity,
            equipment=list(row.equipment),
            location=row.location,
        )


@strawberry.enum
class MeetingStatus(Enum):
    SCHEDULED = "SCHEDULED"
    CANCELLED = "CANCELLED"


@strawberry.type(description="A meeting in a room; seen by its organizer and attendees.")
class Meeting:
    id: strawberry.ID
    title: str
    agenda: str | None
    start: datetime
    end: datetime
    status: MeetingStatus
    minutes: str | None
    minutes_recorded_at: datetime | None
    organizer_id: strawberry.Private[str]
    room_id: strawberry.Private[str]

    @strawberry.field
    async def organizer(self, info: Info[Any, Any]) -> Employee:
        row = await loaders(info).employee.load(self.organizer_id)
        assert row is not None, self.organizer_id  # a foreign key
        return Employee.from_row(row)

    @strawberry.field(description="Who is invited, the organizer not included.")
    async def attendees(self, info: Info[Any, Any]) -> list[Employee]:
        rows = await loaders(info).attendees.load(str(self.id))
        return [Employee.from_row(row) for row in rows]

    @strawberry.field
    async def room(self, info: Info[Any, Any]) -> MeetingRoom:
        row = await loaders(info).room.load(self.room_id)
        assert row is not None, self.room_id  # a foreign key
        return MeetingRoom.from_row(row)

    @classmethod
    def from_row(cls, row: models.Meeting) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            title=row.title,
            agenda=row.agenda,
            start=row.starts_at,
            end=row.ends_at,
            status=MeetingStatus(row.status),
            minutes=row.minutes,
            minutes_recorded_at=row.minutes_recorded_at,
            organizer_id=row.organizer_id,
            room_id=row.room_id,
        )


@strawberry.type(description="A time a room is taken.")
class TimeSlot:
    start: datetime
    end: datetime


@strawberry.type(description="A room and when it is taken within the window asked about.")
class RoomAvailability:
    room: MeetingRoom
    available: bool = strawberry.field(description="Free for the whole window.")
    busy: list[TimeSlot]

    @classmethod
    def from_value(cls, value: meetings.RoomAvailability) -> Self:
        return cls(
            room=MeetingRoom.from_row(value.room),
            available=not value.busy,
            busy=[TimeSlot(start=m.starts_at, end=m.ends_at) for m in value.busy],
        )


@strawberry.input
class BookMeetingInput:
    title: str
    room_id: strawberry.ID
    start: datetime
    end: datetime
    attendee_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    agenda: str | None = None


@strawberry.input
class MeetingRoomInput:
    name: str
    capacity: int
    equipment: list[str] = strawberry.field(default_factory=list)
    location: str | None = None
