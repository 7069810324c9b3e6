"""HR's upkeep of people: create, update, transfer and deactivate employees and departments.

Only the ``hr`` role changes people (``FORBIDDEN`` otherwise; the gateway's policy grants the
mutations to HR alone, and this is the second lock). Every mutation checks all of its input
before touching anything and reports every invalid field at once (:class:`InputChecks`);
an id that names nobody is ``NOT_FOUND`` naming its field; a change the current state forbids
(deactivating a department that still has members) is ``CONFLICT``.

Each change records ``oa.employee.changed`` / ``oa.department.changed`` for the ERP's copy
(:mod:`subgraphs.oa.store.people_events`) in its transaction, and the audit trail records
its fields (session events, :mod:`subgraphs.common.audit`). Cascades, one transaction each:

- **transfer**: the employee's department changes; their line manager becomes the one given,
  else the new department's manager (none if that is the employee themself);
- **a department's new manager**: members who reported to the old one report to the new one;
- **deactivation**: the employee is inactive (no sign-in, no approvals:
  :mod:`subgraphs.oa.standing`); their pending approval steps move to their manager
  (:mod:`subgraphs.oa.store.handover`); their direct reports report to that manager; a
  department they managed has no manager until HR appoints one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.codes import EMPLOYEE, format_code, parse_code
from subgraphs.common.errors import BadUserInput, Conflict, Forbidden, InputChecks, NotFound
from subgraphs.oa.store import handover, people_events
from subgraphs.oa.store.models import Department, Employee, new_id
from subgraphs.oa.store.people import Actor, acting_employee
from subgraphs.oa.store.validation import check_id, check_text

__all__ = [
    "DepartmentChanges",
    "DepartmentSpec",
    "EmployeeChanges",
    "EmployeeSpec",
    "create_department",
    "create_employee",
    "deactivate_department",
    "deactivate_employee",
    "transfer_employee",
    "update_department",
    "update_employee",
]

HR_ROLE: Final = "hr"
NEW_EMPLOYEE_ROLES: Final = ("employee",)
"""What a new employee's record lists; tokens carry what the identity provider grants."""
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f.]+(\.[^@\s\x00-\x1f\x7f.]+)+$")
_CODE = re.compile(r"^[A-Z][A-Z0-9_-]{1,31}$")
_NUMBER_LOCK: Final = 0x7A4E_0004
"""The advisory lock key that serializes handing out employee numbers on PostgreSQL."""


@dataclass(frozen=True, slots=True)
class EmployeeSpec:
    name: str
    email: str
    title: str
    department_id: str
    manager_id: str | None = None


@dataclass(frozen=True, slots=True)
class EmployeeChanges:
    """None: unchanged."""

    name: str | None = None
    email: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class DepartmentSpec:
    code: str
    name: str
    parent_id: str | None = None
    manager_id: str | None = None


@dataclass(frozen=True, slots=True)
class DepartmentChanges:
    """None: unchanged (a department's parent and manager are changed, not removed)."""

    code: str | None = None
    name: str | None = None
    parent_id: str | None = None
    manager_id: str | None = None


# --- employees ---------------------------------------------------------------------------


async def create_employee(session: AsyncSession, actor: Actor, spec: EmployeeSpec) -> Employee:
    """A new active employee with the next employee number; their manager is the one given,
    else their department's."""
    await _require_hr(session, actor)
    checks = InputChecks()
    name = checks(check_text, spec.name, field="input.name", max_length=200)
    email = checks(_check_email, spec.email, field="input.email")
    title = checks(check_text, spec.title, field="input.title", max_length=200)
    department_id = checks(check_id, spec.department_id, field="input.departmentId")
    manager_id = _optional_id(checks, spec.manager_id, "input.managerId")
    if email is not None and await _email_taken(session, email, None):
        checks.fail("Another employee has this e-mail address.", field="input.email")
    checks.done()
    assert name is not None and email is not None and title is not None
    assert department_id is not None
    department = await _active_department(session, department_id, "input.departmentId")
    manager = None
    if manager_id is not None:
        manager = await _active_employee(session, manager_id, "input.managerId")
    employee = Employee(
        id=new_id(), employee_no=await _next_employee_no(session), name=name, email=email,
        title=title, department_id=department.id, roles=list(NEW_EMPLOYEE_ROLES), active=True,
        manager_id=manager.id if manager is not None else department.manager_id, revision=0,
    )  # fmt: skip
    session.add(employee)
    await people_events.employee_changed(session, employee)  # revision 1 with the insert
    await session.flush()
    return employee


async def update_employee(
    session: AsyncSession, actor: Actor, employee_id: str, changes: EmployeeChanges
) -> Employee:
    """Change an active employee's name, e-mail address or title."""
    await _require_hr(session, actor)
    checks = InputChecks()
    employee_id = checks(check_id, employee_id, field="id") or employee_id
    name = title = email = None
    if changes.name is not None:
        name = checks(check_text, changes.name, field="input.name", max_length=200)
    if changes.title is not None:
        title = checks(check_text, changes.title, field="input.title", max_length=200)
    if changes.email is not None:
        email = checks(_check_email, changes.email, field="input.email")
        if email is not None and await _email_taken(session, email, employee_id):
            checks.fail("Another employee has this e-mail address.", field="input.email")
    if changes == EmployeeChanges():
        checks.fail("Give at least one field to change.", field="input")
    checks.done()
    employee = await _active_employee(session, employee_id, "id")
    employee.name = name or employee.name
    employee.title = title or employee.title
    employee.email = email or employee.email
    await people_events.employee_changed(session, employee)
    await session.flush()
    return employee


async def transfer_employee(
    session: AsyncSession,
    actor: Actor,
    employee_id: str,
    department_id: str,
    manager_id: str | None = None,
) -> Employee:
    """Move an active employee to another department, with their new line manager."""
    await _require_hr(session, actor)
    checks = InputChecks()
    checks(check_id, employee_id, field="id")
    checks(check_id, department_id, field="departmentId")
    _optional_id(checks, manager_id, "managerId")
    checks.done()
    employee = await _active_employee(session, employee_id, "id")
    department = await _active_department(session, department_id, "departmentId")
    if manager_id is not None:
        manager = await _active_employee(session, manager_id, "managerId")
        if manager.id == employee.id:
            checks.fail("Nobody is their own manager.", field="managerId")
            checks.done()
        employee.manager_id = manager.id
    else:
        chief = department.manager_id
        employee.manager_id = None if chief == employee.id else chief
    employee.department_id = department.id
    await people_events.employee_changed(session, employee)
    await session.flush()
    return employee


async def deactivate_employee(session: AsyncSession, actor: Actor, employee_id: str) -> Employee:
    """Deactivate an employee: they can no longer sign in or approve; what waited for them
    moves to their manager (see the module's documentation)."""
    me = await _require_hr(session, actor)
    employee = await _active_employee(session, check_id(employee_id, field="id"), "id")
    if employee.id == me.id:
        raise Conflict("HR cannot deactivate themself; another HR employee must.")
    successor = await handover.successor(session, employee)
    employee.active = False
    changed = [employee]
    reports = await session.scalars(
        select(Employee).where(Employee.manager_id == employee.id, Employee.active.is_(True))
    )
    for report in reports:
        report.manager_id = None if successor is None or successor.id == report.id else successor.id
        changed.append(report)
    managed = await session.scalars(select(Department).where(Department.manager_id == employee.id))
    departments = list(managed)
    for department in departments:
        department.manager_id = None
    await session.flush()
    await handover.hand_over_approvals(session, employee, successor)
    for person in changed:
        await people_events.employee_changed(session, person)
    for department in departments:
        await people_events.department_changed(session, department)
    await session.flush()
    return employee


# --- departments -------------------------------------------------------------------------


async def create_department(
    session: AsyncSession, actor: Actor, spec: DepartmentSpec
) -> Department:
    """A new active department (codes are unique), under ``parent_id`` if given."""
    await _require_hr(session, actor)
    checks = InputChecks()
    code = checks(_check_code, spec.code, field="input.code")
    name = checks(check_text, spec.name, field="input.name", max_length=200)
    parent_id = _optional_id(checks, spec.parent_id, "input.parentId")
    manager_id = _optional_id(checks, spec.manager_id, "input.managerId")
    if code is not None and await _code_taken(session, code, None):
        checks.fail("Another department has this code.", field="input.code")
    checks.done()
    assert code is not None and name is not None
    if parent_id is not None:
        await _active_department(session, parent_id, "input.parentId")
    if manager_id is not None:
        await _active_employee(session, manager_id, "input.managerId")
    department = Department(
        id=new_id(), code=code, name=name, parent_id=parent_id, manager_id=manager_id,
        active=True, revision=0,
    )  # fmt: skip
    session.add(department)
    await people_events.department_changed(session, department)  # revision 1 with the insert
    await session.flush()
    return department


async def update_department(
    session: AsyncSession, actor: Actor, department_id: str, changes: DepartmentChanges
) -> Department:
    """Rename, re-code, move or appoint a new manager of an active department. Members who
    reported to the old manager report to the new one."""
    await _require_hr(session, actor)
    checks = InputChecks()
    checks(check_id, department_id, field="id")
    code = name = None
    if changes.code is not None:
        code = checks(_check_code, changes.code, field="input.code")
        if code is not None and await _code_taken(session, code, department_id):
            checks.fail("Another department has this code.", field="input.code")
    if changes.name is not None:
        name = checks(check_text, changes.name, field="input.name", max_length=200)
    parent_id = _optional_id(checks, changes.parent_id, "input.parentId")
    manager_id = _optional_id(checks, changes.manager_id, "input.managerId")
    if changes == DepartmentChanges():
        checks.fail("Give at least one field to change.", field="input")
    checks.done()
    department = await _active_department(session, department_id, "id")
    if parent_id is not None:
        await _active_department(session, parent_id, "input.parentId")
        if await _would_cycle(session, department.id, parent_id):
            checks.fail("A department cannot sit below itself.", field="input.parentId")
            checks.done()
        department.parent_id = parent_id
    department.code = code or department.code
    department.name = name or department.name
    if manager_id is not None and manager_id != department.manager_id:
        manager = await _active_employee(session, manager_id, "input.managerId")
        await _appoint(session, department, manager)
    await people_events.department_changed(session, department)
    await session.flush()
    return department


async def deactivate_department(
    session: AsyncSession, actor: Actor, department_id: str
) -> Department:
    """Deactivate a department without active members or active sub-departments."""
    await _require_hr(session, actor)
    department = await _active_department(session, check_id(department_id, field="id"), "id")
    members = await session.scalar(
        select(func.count())
        .select_from(Employee)
        .where(Employee.department_id == department.id, Employee.active.is_(True))
    )
    children = await session.scalar(
        select(func.count())
        .select_from(Department)
        .where(Department.parent_id == department.id, Department.active.is_(True))
    )
    if members or children:
        raise Conflict(
            f"The department still has {members} active members and {children} active "
            "sub-departments; transfer or deactivate them first."
        )
    department.active = False
    department.manager_id = None
    await people_events.department_changed(session, department)
    await session.flush()
    return department


# --- helpers -----------------------------------------------------------------------------


async def _require_hr(session: AsyncSession, actor: Actor) -> Employee:
    """The acting HR employee; ``FORBIDDEN`` for anyone else."""
    if not actor.has_role(HR_ROLE):
        raise Forbidden("Only HR changes employees and departments.")
    return await acting_employee(session, actor)


async def _appoint(session: AsyncSession, department: Department, manager: Employee) -> None:
    """``manager`` heads ``department``; its members who reported to the previous head
    report to them (not the new head themself)."""
    previous = department.manager_id
    department.manager_id = manager.id
    if previous is None:
        return
    statement = select(Employee).where(
        Employee.department_id == department.id,
        Employee.manager_id == previous,
        Employee.id != manager.id,
        Employee.active.is_(True),
    )
    for member in await session.scalars(statement):
        member.manager_id = manager.id
        await people_events.employee_changed(session, member)


async def _would_cycle(session: AsyncSession, department_id: str, parent_id: str) -> bool:
    """True if ``parent_id`` is ``department_id`` or lies below it."""
    seen: set[str] = set()
    current: str | None = parent_id
    while current is not None and current not in seen:
        if current == department_id:
            return True
        seen.add(current)
        row = await session.get(Department, current)
        current = None if row is None else row.parent_id
    return False


async def _active_employee(session: AsyncSession, employee_id: str, field: str) -> Employee:
    employee = await session.get(Employee, employee_id)
    if employee is None:
        raise NotFound(
            f"No employee {employee_id}.", extensions={"field": field, "id": employee_id}
        )
    if not employee.active:
        raise Conflict(f"Employee {employee_id} is deactivated.", extensions={"field": field})
    return employee


async def _active_department(session: AsyncSession, department_id: str, field: str) -> Department:
    department = await session.get(Department, department_id)
    if department is None:
        raise NotFound(
            f"No department {department_id}.", extensions={"field": field, "id": department_id}
        )
    if not department.active:
        raise Conflict(f"Department {department_id} is deactivated.", extensions={"field": field})
    return department


def _optional_id(checks: InputChecks, value: str | None, field: str) -> str | None:
    return None if value is None else checks(check_id, value, field=field)


def _check_email(value: str, *, field: str) -> str:
    email = check_text(value, field=field, max_length=320).lower()
    if _EMAIL.match(email) is None:
        raise BadUserInput("Not an e-mail address.", field=field)
    return email


def _check_code(value: str, *, field: str) -> str:
    code = check_text(value, field=field, max_length=32)
    if _CODE.match(code) is None:
        raise BadUserInput(
            "A department code is 2-32 capital letters, digits, - or _ (e.g. PROD).",
            field=field,
        )
    return code


async def _email_taken(session: AsyncSession, email: str, other_than: str | None) -> bool:
    statement = select(Employee.id).where(func.lower(Employee.email) == email)
    if other_than is not None:
        statement = statement.where(Employee.id != other_than)
    return (await session.scalar(statement.limit(1))) is not None


async def _code_taken(session: AsyncSession, code: str, other_than: str | None) -> bool:
    statement = select(Department.id).where(Department.code == code)
    if other_than is not None:
        statement = statement.where(Department.id != other_than)
    return (await session.scalar(statement.limit(1))) is not None


async def _next_employee_no(session: AsyncSession) -> str:
    """The number after the highest ``EMP-NNNNNN`` (serialized: SQLite's transactions hold
    the write lock from their start; PostgreSQL's take an advisory lock)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _NUMBER_LOCK})
    numbers = await session.scalars(
        select(Employee.employee_no).where(Employee.employee_no.like(f"{EMPLOYEE}-%"))
    )
    highest = 0
    for number in numbers:
        parsed = parse_code(number)
        if parsed is not None and parsed.prefix == EMPLOYEE and parsed.period is None:
            highest = max(highest, parsed.number)
    return format_code(EMPLOYEE, None, highest + 1)
