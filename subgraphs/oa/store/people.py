"""People: who acts, employees and departments, the department tree."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import Forbidden, NotFound
from subgraphs.common.pagination import Page, paginate
from subgraphs.oa.store.models import Department, Employee
from subgraphs.oa.store.validation import check_id, check_ids, check_text

__all__ = [
    "Actor",
    "EmployeeFilter",
    "acting_employee",
    "department_chain",
    "departments",
    "departments_by_ids",
    "employees_by_ids",
    "find_employees",
    "managers_of",
    "members_by_department",
    "reports_by_manager",
    "require_department",
    "require_employee",
    "require_employees",
]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who a request acts for: the token's subject, an employee id, and the token's roles."""

    employee_id: str
    roles: frozenset[str] = frozenset()

    def has_role(self, *roles: str) -> bool:
        """True if the token carries any of ``roles``."""
        return any(role in self.roles for role in roles)


@dataclass(frozen=True, slots=True)
class EmployeeFilter:
    """``employees(filter:)``: every given condition must hold."""

    department_id: str | None = None
    manager_id: str | None = None
    search: str | None = None
    """Part of a name, an e-mail address or an employee number, in any case."""


async def acting_employee(session: AsyncSession, actor: Actor) -> Employee:
    """The employee record of ``actor``; ``FORBIDDEN`` for a principal that is no employee."""
    employee = await session.get(Employee, actor.employee_id)
    if employee is None or not employee.active:
        raise Forbidden("This operation needs an employee; the principal is none.")
    return employee


async def require_employee(session: AsyncSession, employee_id: str, *, field: str) -> Employee:
    """The employee ``employee_id``; ``NOT_FOUND`` naming ``field`` if there is none."""
    employee = await session.get(Employee, check_id(employee_id, field=field))
    if employee is None:
        raise NotFound(
            f"No employee {employee_id}.", extensions={"field": field, "id": employee_id}
        )
    return employee


async def require_employees(
    session: AsyncSession, employee_ids: Iterable[str], *, field: str, min_items: int = 0
) -> list[Employee]:
    """The employees named (duplicates dropped, order kept); ``NOT_FOUND`` for the first missing."""
    ids = check_ids(employee_ids, field=field, min_items=min_items)
    found = await employees_by_ids(session, ids)
    for index, employee_id in enumerate(ids):
        if employee_id not in found:
            raise NotFound(
                f"No employee {employee_id}.",
                extensions={"field": f"{field}.{index}", "id": employee_id},
            )
    return [found[employee_id] for employee_id in ids]


async def require_department(
    session: AsyncSession, department_id: str, *, field: str
) -> Department:
    """The department ``department_id``; ``NOT_FOUND`` naming ``field`` if there is none."""
    department = await session.get(Department, check_id(department_id, field=field))
    if department is None:
        raise NotFound(
            f"No department {department_id}.", extensions={"field": field, "id": department_id}
        )
    return department


async def employees_by_ids(session: AsyncSession, ids: Sequence[str]) -> dict[str, Employee]:
    """The employees among ``ids`` that exist, by id."""
    if not ids:
        return {}
    rows = await session.scalars(select(Employee).where(Employee.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def departments_by_ids(session: AsyncSession, ids: Sequence[str]) -> dict[str, Department]:
    """The departments among ``ids`` that exist, by id."""
    if not ids:
        return {}
    rows = await session.scalars(select(Department).where(Department.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def departments(session: AsyncSession) -> list[Department]:
    """Every department, by code."""
    return list(await session.scalars(select(Department).order_by(Department.code)))


async def members_by_department(
    session: AsyncSession, department_ids: Sequence[str]
) -> dict[str, list[Employee]]:
    """The active members of each department, by employee number."""
    members: dict[str, list[Employee]] = {department_id: [] for department_id in department_ids}
    statement = (
        select(Employee)
        .where(Employee.department_id.in_(set(department_ids)), Employee.active.is_(True))
        .order_by(Employee.employee_no)
    )
    for employee in await session.scalars(statement):
        members[employee.department_id].append(employee)
    return members


async def reports_by_manager(
    session: AsyncSession, manager_ids: Sequence[str]
) -> dict[str, list[Employee]]:
    """The active direct reports of each manager, by employee number."""
    reports: dict[str, list[Employee]] = {manager_id: [] for manager_id in manager_ids}
    statement = (
        select(Employee)
        .where(Employee.manager_id.in_(set(manager_ids)), Employee.active.is_(True))
        .order_by(Employee.employee_no)
    )
    for employee in await session.scalars(statement):
        assert employee.manager_id is not None
        reports[employee.manager_id].append(employee)
    return reports


async def department_chain(session: AsyncSession, department_id: str) -> list[Department]:
    """The department and its ancestors, nearest first (a cycle ends the walk)."""
    chain: list[Department] = []
    seen: set[str] = set()
    next_id: str | None = department_id
    while next_id is not None and next_id not in seen:
        seen.add(next_id)
        department = await session.get(Department, next_id)
        if department is None:
            break
        chain.append(department)
        next_id = department.parent_id
    return chain


async def managers_of(session: AsyncSession, employee: Employee) -> list[str]:
    """Managers of ``employee``'s department and of its ancestors, nearest first, never
    ``employee`` themself (who manages a department answers to the one above it)."""
    managers: list[str] = []
    for department in await department_chain(session, employee.department_id):
        manager = department.manager_id
        if manager is not None and manager != employee.id and manager not in managers:
            managers.append(manager)
    return managers


async def heads_the_company(session: AsyncSession, employee: Employee) -> bool:
    """Whether ``employee`` manages the top of their department chain: the one person a
    department manager's approval step has nobody above to go to."""
    chain = await department_chain(session, employee.department_id)
    return bool(chain) and chain[-1].parent_id is None and chain[-1].manager_id == employee.id


def _employee_query(filter: EmployeeFilter) -> Select[Employee]:
    statement = select(Employee).where(Employee.active.is_(True))
    if filter.department_id is not None:
        department = check_id(filter.department_id, field="filter.departmentId")
        statement = statement.where(Employee.department_id == department)
    if filter.manager_id is not None:
        manager = check_id(filter.manager_id, field="filter.managerId")
        statement = statement.where(Employee.manager_id == manager)
    if filter.search is not None:
        text = check_text(filter.search, field="filter.search", max_length=100).lower()
        statement = statement.where(
            or_(
                func.lower(Employee.name).contains(text, autoescape=True),
                func.lower(Employee.email).contains(text, autoescape=True),
                func.lower(Employee.employee_no).contains(text, autoescape=True),
            )
        )
    return statement


async def find_employees(
    session: AsyncSession, filter: EmployeeFilter, *, first: int | None, after: str | None
) -> Page[Employee]:
    """One page of the active employees matching ``filter``, by employee number."""
    return await paginate(
        session, _employee_query(filter), [Employee.employee_no], first=first, after=after
    )
