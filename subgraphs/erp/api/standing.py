"""The ERP's answer to "is this principal a deactivated employee?"
(:mod:`subgraphs.common.standing`): its copy of OA's people, kept by OA's events, decides.

A person OA has not announced yet is not refused here; OA announces everyone it holds (its
demo seed, and ``python -m subgraphs.oa people announce`` for older databases), and the copy
knows everyone HR has changed since. A running subscription reads it again when
:func:`standing_stamp`, which the live feed reads with its events, changes
(:mod:`subgraphs.common.events.feed`).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.erp.store import people
from tandem_shared.db import transaction

__all__ = ["is_deactivated", "standing_stamp"]


async def is_deactivated(context: dict[str, Any], subject: str) -> bool:
    """True if ``subject`` is an employee OA announced as deactivated."""
    sessions: async_sessionmaker[AsyncSession] = context["sessions"]
    async with transaction(sessions) as session:
        return await people.is_deactivated(session, subject)


async def standing_stamp(session: AsyncSession) -> Hashable:
    """A value that changes whenever the copy learns of anyone's change
    (:func:`subgraphs.erp.store.people.standing_stamp`)."""
    return await people.standing_stamp(session)
