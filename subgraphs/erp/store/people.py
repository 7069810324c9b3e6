"""The ERP's copy of OA's people (:mod:`subgraphs.erp.store.models.people`): applying OA's
``oa.employee.changed`` / ``oa.department.changed``, and reading it.

Each event carries the whole state of one person or department and OA's ``revision`` of it:
a copy at that revision or newer is left alone (a re-delivery, or an older change arriving
after a newer one), so the copy ends at OA's newest state whatever the order; the inbox makes
each event apply once. A malformed event is ``BAD_USER_INPUT`` naming the payload's field,
so the worker parks it (``erp.event.parked``) instead of retrying for ever.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, Final, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import BadUserInput
from subgraphs.common.events import Event, Handler
from subgraphs.erp.store.models.people import DepartmentCopy, PersonCopy
from tandem_shared.timestamps import utc_now

__all__ = [
    "DEPARTMENT_CHANGED",
    "EMPLOYEE_CHANGED",
    "HANDLERS",
    "apply_department",
    "apply_person",
    "is_deactivated",
    "people_by_ids",
    "standing_stamp",
]

_Copy = TypeVar("_Copy", PersonCopy, DepartmentCopy)
"""A copy kept by :func:`_apply`: both have ``id`` and ``revision``."""


async def apply_person(session: AsyncSession, event: Mapping[str, Any]) -> bool:
    """Bring the copy of one employee to ``event``'s state; False if it was as new already."""
    return await _apply(
        session,
        PersonCopy,
        event,
        lambda: {
            "employee_no": _text(event, "employeeNo"),
            "name": _text(event, "name"),
            "department_id": _text(event, "departmentId"),
            "manager_id": _optional_text(event, "managerId"),
        },
    )


async def apply_department(session: AsyncSession, event: Mapping[str, Any]) -> bool:
    """Bring the copy of one department to ``event``'s state; False if it was as new already."""
    return await _apply(
        session,
        DepartmentCopy,
        event,
        lambda: {
            "code": _text(event, "code"),
            "name": _text(event, "name"),
            "parent_id": _optional_text(event, "parentId"),
            "manager_id": _optional_text(event, "managerId"),
        },
    )


async def _apply(
    session: AsyncSession,
    model: type[_Copy],
    event: Mapping[str, Any],
    fields: Callable[[], dict[str, Any]],
) -> bool:
    """Insert or update ``model``'s row ``event["id"]`` with ``fields()`` and the event's
    ``active`` and ``revision``, unless the row is at that revision or newer (then False).

    ``fields`` is read only after that check: an event the copy is already past is left
    alone even if malformed, as a re-delivery must be."""
    row_id = _text(event, "id")
    revision = _revision(event)
    row = await session.get(model, row_id, with_for_update=True)
    if row is not None and row.revision >= revision:
        return False
    values = {
        **fields(),
        "active": _flag(event, "active"),
        "revision": revision,
        "updated_at": utc_now(),
    }
    if row is None:
        session.add(model(id=row_id, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
    await session.flush()
    return True


async def people_by_ids(session: AsyncSession, ids: Sequence[str]) -> dict[str, PersonCopy]:
    """The copies among ``ids`` the ERP holds, by id."""
    if not ids:
        return {}
    rows = await session.scalars(select(PersonCopy).where(PersonCopy.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def is_deactivated(session: AsyncSession, subject: str) -> bool:
    """True if OA announced ``subject`` as a deactivated employee."""
    active = await session.scalar(select(PersonCopy.active).where(PersonCopy.id == subject))
    return active is False


async def standing_stamp(session: AsyncSession) -> Hashable:
    """A value that changes whenever the copy takes anyone's change: how many people it
    holds, how many are inactive, and the sum of their revisions (each applied change raises
    one, :func:`_apply`)."""
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(PersonCopy.active.is_(False)),
                func.coalesce(func.sum(PersonCopy.revision), 0),
            ).select_from(PersonCopy)
        )
    ).one()
    return tuple(row)


def _text(event: Mapping[str, Any], key: str) -> str:
    value = event.get(key)
    if not isinstance(value, str) or not 0 < len(value) <= 200:
        raise BadUserInput(f"The event's {key} is missing or not a short text.", field=key)
    return value


def _optional_text(event: Mapping[str, Any], key: str) -> str | None:
    return None if event.get(key) is None else _text(event, key)


def _flag(event: Mapping[str, Any], key: str) -> bool:
    value = event.get(key)
    if not isinstance(value, bool):
        raise BadUserInput(f"The event's {key} is not true or false.", field=key)
    return value


def _revision(event: Mapping[str, Any]) -> int:
    value = event.get("revision")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadUserInput("The event's revision is not a positive integer.", field="revision")
    return value


EMPLOYEE_CHANGED: Final = "oa.employee.changed"
DEPARTMENT_CHANGED: Final = "oa.department.changed"


async def on_employee_changed(session: AsyncSession, event: Event) -> None:
    """The consumer of ``oa.employee.changed``."""
    await apply_person(session, event.payload)


async def on_department_changed(session: AsyncSession, event: Event) -> None:
    """The consumer of ``oa.department.changed``."""
    await apply_department(session, event.payload)


HANDLERS: Final[Mapping[str, Handler]] = {
    EMPLOYEE_CHANGED: on_employee_changed,
    DEPARTMENT_CHANGED: on_department_changed,
}
"""OA's people topics -> their handlers (unwrapped), for the ERP's worker."""
