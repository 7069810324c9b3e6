"""A small company for the OA tests: three departments, seven people, known roles.

::

    HQ (dept-hq, manager: Cheng the CEO; Helen of HR works here)
    ├── Engineering (dept-eng, manager: Alice; Bob and Carol work here)
    └── Finance (dept-fin, manager: Frank; Fiona works here)
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.oa.store.models import Department, Employee
from tandem_shared.tokens import Principal

__all__ = [
    "ALICE",
    "BOB",
    "CAROL",
    "CEO",
    "FIONA",
    "FRANK",
    "HELEN",
    "PEOPLE",
    "STRANGER",
    "add_org",
]

CEO = Principal("emp-ceo", "Cheng Wang", ("employee", "manager"), "dept-hq")
HELEN = Principal("emp-helen", "Helen Zhou", ("employee", "hr"), "dept-hq")
ALICE = Principal("emp-alice", "Alice Li", ("employee", "manager"), "dept-eng")
BOB = Principal("emp-bob", "Bob Chen", ("employee",), "dept-eng")
CAROL = Principal("emp-carol", "Carol Liu", ("employee",), "dept-eng")
FRANK = Principal("emp-frank", "Frank Wu", ("employee", "manager", "finance"), "dept-fin")
FIONA = Principal("emp-fiona", "Fiona Zhao", ("employee", "finance"), "dept-fin")
STRANGER = Principal("client-42", "Reporting robot", ("integrator",), None, "robot")
"""A principal with no employee record (an API client)."""

PEOPLE = (CEO, HELEN, ALICE, BOB, CAROL, FRANK, FIONA)
_MANAGERS = {
    "emp-ceo": None,
    "emp-helen": "emp-ceo",
    "emp-alice": "emp-ceo",
    "emp-bob": "emp-alice",
    "emp-carol": "emp-alice",
    "emp-frank": "emp-ceo",
    "emp-fiona": "emp-frank",
}
_TITLES = {"emp-ceo": "Chief Executive", "emp-alice": "Engineering Manager"}


async def add_org(session: AsyncSession) -> None:
    """Insert the company (inside the caller's transaction)."""
    session.add_all(
        [
            Department(id="dept-hq", code="HQ", name="Headquarters"),
            Department(id="dept-eng", code="ENG", name="Engineering", parent_id="dept-hq"),
            Department(id="dept-fin", code="FIN", name="Finance", parent_id="dept-hq"),
        ]
    )
    await session.flush()
    for number, person in enumerate(PEOPLE, start=1):
        assert person.department is not None
        session.add(
            Employee(
                id=person.subject,
                employee_no=f"EMP-{number:06d}",
                name=person.name,
                email=f"{person.subject.removeprefix('emp-')}@tandem.example",
                title=_TITLES.get(person.subject, "Specialist"),
                department_id=person.department,
                phone=f"+86 138 0000 {number:04d}",
                id_card_number=f"11010119900101{number:04d}",
                roles=list(person.roles),
            )
        )
    await session.flush()
    for employee_id, manager_id in _MANAGERS.items():
        employee = await session.get(Employee, employee_id)
        assert employee is not None
        employee.manager_id = manager_id
    for department_id, manager_id in (
        ("dept-hq", "emp-ceo"),
        ("dept-eng", "emp-alice"),
        ("dept-fin", "emp-frank"),
    ):
        department = await session.get(Department, department_id)
        assert department is not None
        department.manager_id = manager_id
