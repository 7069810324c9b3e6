"""Announcements: published to departments (and their sub-departments) or to everyone.

Who may publish: the roles in :data:`PUBLISHER_ROLES` (HR, and managers). Who sees one:
everyone for an announcement without audience; otherwise the members of an audience
department or of any department below it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import Forbidden, InputChecks, NotFound
from subgraphs.common.pagination import Page, paginate
from subgraphs.oa.store.models import Announcement, AnnouncementAudience, Department, new_id
from subgraphs.oa.store.people import Actor, acting_employee, department_chain
from subgraphs.oa.store.validation import check_ids, check_text
from tandem_shared.timestamps import utc_now

__all__ = ["PUBLISHER_ROLES", "audiences_by_announcement", "find_announcements", "publish"]

PUBLISHER_ROLES: Final = ("hr", "manager")


async def publish(
    session: AsyncSession,
    actor: Actor,
    *,
    title: str,
    body: str,
    audience_department_ids: Sequence[str],
) -> Announcement:
    """Publish an announcement; an empty audience means the whole company."""
    author = await acting_employee(session, actor)
    if not actor.has_role(*PUBLISHER_ROLES):
        raise Forbidden("Only HR and managers may publish announcements.")
    checks = InputChecks()
    checked_title = checks(check_text, title, field="input.title", max_length=200)
    checked_body = checks(check_text, body, field="input.body", max_length=20_000, multiline=True)
    field = "input.audienceDepartmentIds"
    audience = checks(check_ids, audience_department_ids, field=field)
    checks.done()
    assert checked_title is not None and checked_body is not None and audience is not None
    title, body = checked_title, checked_body
    found = set(await session.scalars(select(Department.id).where(Department.id.in_(audience))))
    for index, department_id in enumerate(audience):
        if department_id not in found:
            raise NotFound(
                f"No department {department_id}.",
                extensions={"field": f"{field}.{index}", "id": department_id},
            )
    announcement = Announcement(
        id=new_id(), title=title, body=body, author_id=author.id, published_at=utc_now()
    )
    session.add(announcement)
    await session.flush()
    session.add_all(
        AnnouncementAudience(announcement_id=announcement.id, department_id=department_id)
        for department_id in audience
    )
    await session.flush()
    return announcement


async def find_announcements(
    session: AsyncSession, actor: Actor, *, first: int | None, after: str | None
) -> Page[Announcement]:
    """One page of the announcements ``actor`` is in the audience of, newest first."""
    employee = await acting_employee(session, actor)
    chain = [
        department.id for department in await department_chain(session, employee.department_id)
    ]
    audience = AnnouncementAudience.announcement_id == Announcement.id
    statement = select(Announcement).where(
        or_(
            ~exists().where(audience),
            exists().where(audience, AnnouncementAudience.department_id.in_(chain)),
        )
    )
    order = [Announcement.published_at.desc(), Announcement.id.desc()]
    return await paginate(session, statement, order, first=first, after=after)


async def audiences_by_announcement(
    session: AsyncSession, announcement_ids: Sequence[str]
) -> dict[str, list[Department]]:
    """The audience departments of each announcement, by code."""
    found: dict[str, list[Department]] = {
        announcement_id: [] for announcement_id in announcement_ids
    }
    statement = (
        select(AnnouncementAudience.announcement_id, Department)
        .join(Department, Department.id == AnnouncementAudience.department_id)
        .where(AnnouncementAudience.announcement_id.in_(set(announcement_ids)))
        .order_by(Department.code)
    )
    for announcement_id, department in await session.execute(statement):
        found[announcement_id].append(department)
    return found
