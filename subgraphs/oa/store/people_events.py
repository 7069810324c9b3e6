"""The events OA publishes when HR changes people: the ERP keeps its copy by them.

Written to the OA outbox in the transaction of the change (:mod:`subgraphs.oa.store.events`),
so an event exists if and only if the change committed; the consumer applies each once
(its inbox) and never an older ``revision`` over a newer one, so a late re-delivery cannot
undo a later change.

==========================  ======================================================================
topic                       payload (the event key is the id)
==========================  ======================================================================
``oa.employee.changed``     ``{id, employeeNo, name, departmentId, managerId, active, revision,
                            changedAt}``: after a create, update, transfer or deactivation
``oa.department.changed``   ``{id, code, name, parentId, managerId, active, revision,
                            changedAt}``: likewise for a department
==========================  ======================================================================

People who were never announced (``revision`` 0: the demo company, or rows written before
people upkeep existed) are announced by :func:`announce_unannounced`, which the demo seed runs
in its transaction and an operator runs as ``python -m subgraphs.oa people announce``. It
goes through the same outbox rather than a snapshot the ERP copies from OA's database, for
the two guarantees the copy rests on: **exactly once** (an outbox row exists if and only if
its transaction committed, and the ERP's inbox applies each event once; a second run finds
nobody at revision 0, and concurrent runs queue on the rows' locks), and **never older over
newer** (each announcement carries revision 1, so anything HR changed since wins, in any
order; a snapshot read outside OA's transactions could carry a state older than an event
already applied, with no revision to tell).
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.oa.store.events import record_event
from subgraphs.oa.store.models import Department, Employee
from tandem_shared.timestamps import format_datetime, utc_now

__all__ = [
    "DEPARTMENT_CHANGED",
    "EMPLOYEE_CHANGED",
    "announce_unannounced",
    "department_changed",
    "employee_changed",
]

EMPLOYEE_CHANGED: Final = "oa.employee.changed"
DEPARTMENT_CHANGED: Final = "oa.department.changed"


async def employee_changed(session: AsyncSession, employee: Employee) -> str:
    """Bump ``employee``'s revision and record its state as ``oa.employee.changed``."""
    employee.revision = (employee.revision or 0) + 1
    payload = {
        "id": employee.id,
        "employeeNo": employee.employee_no,
        "name": employee.name,
        "departmentId": employee.department_id,
        "managerId": employee.manager_id,
        "active": bool(employee.active),
        "revision": employee.revision,
        "changedAt": format_datetime(utc_now()),
    }
    return await record_event(session, EMPLOYEE_CHANGED, employee.id, payload)


async def department_changed(session: AsyncSession, department: Department) -> str:
    """Bump ``department``'s revision and record its state as ``oa.department.changed``."""
    department.revision = (department.revision or 0) + 1
    payload = {
        "id": department.id,
        "code": department.code,
        "name": department.name,
        "parentId": department.parent_id,
        "managerId": department.manager_id,
        "active": bool(department.active),
        "revision": department.revision,
        "changedAt": format_datetime(utc_now()),
    }
    return await record_event(session, DEPARTMENT_CHANGED, department.id, payload)


async def announce_unannounced(session: AsyncSession) -> tuple[int, int]:
    """Record the current state of every department and employee never announced (revision
    0), departments first; (departments, employees) announced. Their rows stay locked until
    the transaction ends, so a concurrent run waits and then finds them announced."""
    departments = await session.scalars(
        select(Department).where(Department.revision == 0).order_by(Department.id).with_for_update()
    )
    department_count = 0
    for department in list(departments):
        await department_changed(session, department)
        department_count += 1
    employees = await session.scalars(
        select(Employee).where(Employee.revision == 0).order_by(Employee.id).with_for_update()
    )
    employee_count = 0
    for employee in list(employees):
        await employee_changed(session, employee)
        employee_count += 1
    await session.flush()
    return department_count, employee_count
