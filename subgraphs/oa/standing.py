"""OA's answer to "is this principal a deactivated employee?" (:mod:`subgraphs.common.standing`).

OA owns the people, so its own ``oa_employees.active`` decides, read afresh for every
operation (no cache: a deactivation holds from the next request on). A running subscription
reads it again when :func:`standing_stamp`, which the live feed reads with its events,
changes (:mod:`subgraphs.common.events.feed`).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.oa.store.models import Employee
from tandem_shared.db import transaction

__all__ = ["is_deactivated", "standing_stamp"]


async def is_deactivated(context: dict[str, Any], subject: str) -> bool:
    """True if ``subject`` is an employee HR deactivated."""
    sessions: async_sessionmaker[AsyncSession] = context["sessions"]
    async with transaction(sessions) as session:
        active = await session.scalar(select(Employee.active).where(Employee.id == subject))
    return active is False


async def standing_stamp(session: AsyncSession) -> Hashable:
    """A value that changes whenever anyone is deactivated or reactivated: how many employees
    there are, how many are inactive, and the sum of their revisions (every change HR makes
    bumps one, :mod:`subgraphs.oa.store.people_events`)."""
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(Employee.active.is_(False)),
                func.coalesce(func.sum(Employee.revision), 0),
            ).select_from(Employee)
        )
    ).one()
    return tuple(row)
