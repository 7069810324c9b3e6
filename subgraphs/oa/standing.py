"""OA's answer to "is this principal a deactivated employee?" (:mod:`subgraphs.common.standing`).

OA owns the people, so its own ``oa_employees.active`` decides, read afresh for every
operation (no cache: a deactivation holds from the next request on).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.oa.store.models import Employee
from tandem_shared.db import transaction

__all__ = ["is_deactivated"]


async def is_deactivated(context: dict[str, Any], subject: str) -> bool:
    """True if ``subject`` is an employee HR deactivated."""
    sessions: async_sessionmaker[AsyncSession] = context["sessions"]
    async with transaction(sessions) as session:
        active = await session.scalar(select(Employee.active).where(Employee.id == subject))
    return active is False
