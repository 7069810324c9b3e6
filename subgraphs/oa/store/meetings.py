"""Meeting rooms and meetings: booking without double booking, minutes, availability.

**No double booking.** A booking first locks its room's row (``SELECT ... FOR UPDATE`` on
PostgreSQL; on SQLite every transaction holds the database's write lock from its start),
then looks for a scheduled meeting of that room overlapping the new one (``start < other
end`` and ``end > other start``: back-to-back meetings do not overlap), then inserts. Two
concurrent bookings of one room are therefore serialized and the second sees the first:
exactly one succeeds, the others get ``CONFLICT``.

Rules: a meeting lasts at most :data:`MAX_DURATION`, starts no earlier than
:data:`START_GRACE` ago; its organizer and attendees must fit the room. The organizer
cancels and records minutes; organizer and attendees see the meeting, no one else.
Rooms are added by the roles :data:`ROOM_ADMIN_ROLES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import BadUserInput, Conflict, Forbidden, InputChecks, NotFound
from subgraphs.common.pagination import Page, paginate
from subgraphs.oa.store import notices
from subgraphs.oa.store.models import Employee, Meeting, MeetingAttendee, MeetingRoom, new_id
from subgraphs.oa.store.people import Actor, acting_employee, require_employees
from subgraphs.oa.store.validation import check_id, check_tags, check_text
from tandem_shared.timestamps import format_datetime, require_aware, utc_now

__all__ = [
    "MAX_DURATION",
    "MAX_WINDOW",
    "ROOM_ADMIN_ROLES",
    "START_GRACE",
    "MeetingStatus",
    "RoomAvailability",
    "attendees_by_meeting",
    "availability",
    "book",
    "cancel",
    "create_room",
    "find_my_meetings",
    "record_minutes",
    "rooms",
    "rooms_by_ids",
    "visible_meeting",
]

MAX_DURATION: Final = timedelta(hours=12)
MAX_WINDOW: Final = timedelta(days=31)
START_GRACE: Final = timedelta(minutes=5)
MAX_AHEAD: Final = timedelta(days=366)
ROOM_ADMIN_ROLES: Final = ("hr",)


class MeetingStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class RoomAvailability:
    """A room and its scheduled meetings overlapping the window asked about."""

    room: MeetingRoom
    busy: list[Meeting]


async def create_room(
    session: AsyncSession,
    actor: Actor | None,
    *,
    name: str,
    capacity: int,
    equipment: Sequence[str],
    location: str | None,
) -> MeetingRoom:
    """A new meeting room (``actor`` None: the system, e.g. the demo seed)."""
    if actor is not None and not actor.has_role(*ROOM_ADMIN_ROLES):
        raise Forbidden("Only HR adds meeting rooms.")
    checks = InputChecks()
    checked_name = checks(check_text, name, field="input.name", max_length=100)
    if isinstance(capacity, bool) or not 0 < capacity <= 1000:
        checks.fail("A capacity is 1 to 1000.", field="input.capacity")
    items = checks(check_tags, equipment, field="input.equipment")
    place = checks(check_text, location, field="input.location", max_length=200, required=False)
    checks.done()
    assert checked_name is not None and items is not None
    name, place = checked_name, place or None
    if await session.scalar(select(MeetingRoom.id).where(MeetingRoom.name == name)) is not None:
        raise Conflict(f"A room is named {name} already.", extensions={"field": "input.name"})
    room = MeetingRoom(id=new_id(), name=name, capacity=capacity, equipment=items, location=place)
    session.add(room)
    await session.flush()
    return room


async def book(
    session: AsyncSession,
    actor: Actor,
    *,
    title: str,
    room_id: str,
    start: datetime,
    end: datetime,
    attendee_ids: Sequence[str],
    agenda: str | None = None,
) -> Meeting:
    """Book ``room_id`` from ``start`` to ``end``; ``CONFLICT`` if it is taken then.

    The attendees get an invitation in their OA inbox (``notices.py``).
    """
    organizer = await acting_employee(session, actor)
    checks = InputChecks()
    checked_title = checks(check_text, title, field="input.title", max_length=200)
    agenda = checks(
        check_text, agenda, field="input.agenda", max_length=10_000, required=False,
        multiline=True,
    ) or None  # fmt: skip
    start, end = require_aware(start), require_aware(end)
    now = utc_now()
    if start < now - START_GRACE:
        checks.fail("A meeting cannot start in the past.", field="input.start")
    if start > now + MAX_AHEAD:
        checks.fail("Book at most a year ahead.", field="input.start")
    if end <= start:
        checks.fail("A meeting ends after it starts.", field="input.end")
    elif end - start > MAX_DURATION:
        checks.fail(f"A meeting lasts at most {MAX_DURATION}.", field="input.end")
    checks.done()
    assert checked_title is not None
    title = checked_title
    attendees = [
        employee
        for employee in await require_employees(session, attendee_ids, field="input.attendeeIds")
        if employee.id != organizer.id
    ]
    room = await _locked_room(session, room_id)
    if 1 + len(attendees) > room.capacity:
        raise BadUserInput(
            f"{room.name} seats {room.capacity}; the organizer and attendees are "
            f"{1 + len(attendees)}.",
            field="input.attendeeIds",
        )
    clash = await session.scalar(
        select(Meeting)
        .where(
            Meeting.room_id == room.id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at < end,
            Meeting.ends_at > start,
        )
        .limit(1)
    )
    if clash is not None:
        raise Conflict(
            f"{room.name} is booked from {format_datetime(clash.starts_at)} "
            f"to {format_datetime(clash.ends_at)}.",
            extensions={"field": "input.roomId", "roomId": room.id},
        )
    meeting = Meeting(
        id=new_id(), title=title, agenda=agenda, organizer_id=organizer.id, room_id=room.id,
        starts_at=start, ends_at=end, status=MeetingStatus.SCHEDULED, created_at=now,
    )  # fmt: skip
    session.add(meeting)
    await session.flush()
    session.add_all(
        MeetingAttendee(meeting_id=meeting.id, employee_id=employee.id) for employee in attendees
    )
    await session.flush()
    await notices.meeting_invitations(session, meeting, organizer, room, attendees)
    return meeting


async def cancel(session: AsyncSession, actor: Actor, meeting_id: str) -> Meeting:
    """The organizer cancels a meeting, which frees its room."""
    meeting = await _organized(session, actor, meeting_id, "cancels")
    if meeting.status == MeetingStatus.SCHEDULED:
        meeting.status = MeetingStatus.CANCELLED
        await session.flush()
    return meeting


async def record_minutes(
    session: AsyncSession, actor: Actor, meeting_id: str, minutes: str
) -> Meeting:
    """The organizer records (or replaces) the minutes of a scheduled meeting."""
    text = check_text(minutes, field="minutes", max_length=100_000, multiline=True)
    meeting = await _organized(session, actor, meeting_id, "records the minutes of")
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict("The meeting was cancelled.")
    meeting.minutes = text
    meeting.minutes_recorded_at = utc_now()
    await session.flush()
    return meeting


async def visible_meeting(
    session: AsyncSession, actor: Actor, meeting_id: str, *, field: str = "id"
) -> Meeting:
    """A meeting the actor organizes or attends; ``NOT_FOUND`` otherwise."""
    meeting = await session.get(Meeting, check_id(meeting_id, field=field))
    if meeting is None or not await _takes_part(session, meeting, actor.employee_id):
        raise NotFound(f"No meeting {meeting_id}.", extensions={"field": field, "id": meeting_id})
    return meeting


async def find_my_meetings(
    session: AsyncSession,
    actor: Actor,
    *,
    start: datetime | None,
    end: datetime | None,
    include_cancelled: bool,
    first: int | None,
    after: str | None,
) -> Page[Meeting]:
    """One page of the meetings the actor organizes or attends, by start time; ``start`` and
    ``end`` keep those overlapping that window."""
    await acting_employee(session, actor)
    attends = exists().where(
        MeetingAttendee.meeting_id == Meeting.id, MeetingAttendee.employee_id == actor.employee_id
    )
    statement = select(Meeting).where(or_(Meeting.organizer_id == actor.employee_id, attends))
    if start is not None:
        statement = statement.where(Meeting.ends_at > require_aware(start))
    if end is not None:
        if start is not None and end <= start:
            raise BadUserInput("The window ends after it starts.", field="end")
        statement = statement.where(Meeting.starts_at < require_aware(end))
    if not include_cancelled:
        statement = statement.where(Meeting.status == MeetingStatus.SCHEDULED)
    order = [Meeting.starts_at, Meeting.id]
    return await paginate(session, statement, order, first=first, after=after)


async def availability(
    session: AsyncSession, start: datetime, end: datetime, *, min_capacity: int | None = None
) -> list[RoomAvailability]:
    """Every room (of at least ``min_capacity`` seats) with its meetings between ``start`` and
    ``end`` (at most :data:`MAX_WINDOW` apart), rooms by name, meetings by start."""
    start, end = require_aware(start), require_aware(end)
    if end <= start:
        raise BadUserInput("The window ends after it starts.", field="end")
    if end - start > MAX_WINDOW:
        raise BadUserInput(f"Ask for at most {MAX_WINDOW.days} days.", field="end")
    statement = select(MeetingRoom).order_by(MeetingRoom.name)
    if min_capacity is not None:
        if min_capacity < 1:
            raise BadUserInput("A capacity is at least 1.", field="minCapacity")
        statement = statement.where(MeetingRoom.capacity >= min_capacity)
    found = {room.id: RoomAvailability(room, []) for room in await session.scalars(statement)}
    meetings = select(Meeting).where(
        Meeting.room_id.in_(list(found)),
        Meeting.status == MeetingStatus.SCHEDULED,
        Meeting.starts_at < end,
        Meeting.ends_at > start,
    )
    for meeting in await session.scalars(meetings.order_by(Meeting.starts_at, Meeting.id)):
        found[meeting.room_id].busy.append(meeting)
    return list(found.values())


async def rooms(session: AsyncSession) -> list[MeetingRoom]:
    """Every meeting room, by name."""
    return list(await session.scalars(select(MeetingRoom).order_by(MeetingRoom.name)))


async def rooms_by_ids(session: AsyncSession, ids: Sequence[str]) -> dict[str, MeetingRoom]:
    """The rooms among ``ids`` that exist, by id."""
    statement = select(MeetingRoom).where(MeetingRoom.id.in_(set(ids)))
    return {room.id: room for room in await session.scalars(statement)}


async def attendees_by_meeting(
    session: AsyncSession, meeting_ids: Sequence[str]
) -> dict[str, list[Employee]]:
    """The attendees of each meeting (the organizer not included), by employee number."""
    found: dict[str, list[Employee]] = {meeting_id: [] for meeting_id in meeting_ids}
    statement = (
        select(MeetingAttendee.meeting_id, Employee)
        .join(Employee, Employee.id == MeetingAttendee.employee_id)
        .where(MeetingAttendee.meeting_id.in_(set(meeting_ids)))
        .order_by(Employee.employee_no)
    )
    for meeting_id, employee in await session.execute(statement):
        found[meeting_id].append(employee)
    return found


async def _locked_room(session: AsyncSession, room_id: str) -> MeetingRoom:
    statement = (
        select(MeetingRoom)
        .where(MeetingRoom.id == check_id(room_id, field="input.roomId"))
        .with_for_update()
    )
    room = await session.scalar(statement)
    if room is None:
        raise NotFound(
            f"No meeting room {room_id}.", extensions={"field": "input.roomId", "id": room_id}
        )
    return room


async def _organized(session: AsyncSession, actor: Actor, meeting_id: str, what: str) -> Meeting:
    statement = (
        select(Meeting)
        .where(Meeting.id == check_id(meeting_id, field="id"))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    meeting = await session.scalar(statement)
    if meeting is None or not await _takes_part(session, meeting, actor.employee_id):
        raise NotFound(f"No meeting {meeting_id}.", extensions={"field": "id", "id": meeting_id})
    if meeting.organizer_id != actor.employee_id:
        raise Forbidden(f"Only the organizer {what} a meeting.")
    return meeting


async def _takes_part(session: AsyncSession, meeting: Meeting, employee_id: str) -> bool:
    if meeting.organizer_id == employee_id:
        return True
    attendee = await session.get(MeetingAttendee, (meeting.id, employee_id))
    return attendee is not None
