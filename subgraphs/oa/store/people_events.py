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
"""

from __future__ import annotations

from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.oa.store.events import record_event
from subgraphs.oa.store.models import Department, Employee
from tandem_shared.timestamps import format_datetime, utc_now

__all__ = ["DEPARTMENT_CHANGED", "EMPLOYEE_CHANGED", "department_changed", "employee_changed"]

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
