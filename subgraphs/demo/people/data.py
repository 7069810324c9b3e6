"""The people subgraph's in-memory data: 8 departments and 50 employees, generated."""

from dataclasses import dataclass
from functools import cache

from subgraphs.demo.standards import EMPLOYEE_COUNT, employee_id, employee_no

__all__ = ["DepartmentRecord", "EmployeeRecord", "PeopleStore", "people_store"]

_DEPARTMENTS = (
    ("FIN", "Finance"),
    ("HR", "Human Resources"),
    ("PROC", "Procurement"),
    ("IT", "Information Technology"),
    ("SALES", "Sales"),
    ("OPS", "Operations"),
    ("RND", "Research and Development"),
    ("LEGAL", "Legal"),
)
_GIVEN = ("Wei", "Fang", "Min", "Jing", "Lei", "Yan", "Tao", "Hui", "Jun", "Li", "Qiang")
_FAMILY = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu")
_TITLES = ("Specialist", "Analyst", "Engineer", "Senior Engineer", "Manager", "Director")


@dataclass(frozen=True, slots=True)
class DepartmentRecord:
    id: str
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class EmployeeRecord:
    id: str
    employee_no: str
    name: str
    email: str
    title: str
    department_id: str


@dataclass(frozen=True, slots=True)
class PeopleStore:
    departments: tuple[DepartmentRecord, ...]
    employees: tuple[EmployeeRecord, ...]

    def department(self, id: str) -> DepartmentRecord | None:
        return next((d for d in self.departments if d.id == id), None)

    def employee(self, id: str) -> EmployeeRecord | None:
        return next((e for e in self.employees if e.id == id), None)

    def members(self, department_id: str) -> list[EmployeeRecord]:
        return [e for e in self.employees if e.department_id == department_id]


def _employee(n: int, departments: tuple[DepartmentRecord, ...]) -> EmployeeRecord:
    given = _GIVEN[(n * 7) % len(_GIVEN)]
    family = _FAMILY[(n * 3) % len(_FAMILY)]
    return EmployeeRecord(
        id=employee_id(n),
        employee_no=employee_no(n),
        name=f"{family} {given}",
        email=f"{given}.{family}.{n:03d}@tandem.example".lower(),
        title=_TITLES[(n * 5) % len(_TITLES)],
        department_id=departments[(n - 1) % len(departments)].id,
    )


@cache
def people_store() -> PeopleStore:
    """The one store of this process, built on first use and the same every run."""
    departments = tuple(
        DepartmentRecord(id=f"dept-{i:02d}", code=code, name=name)
        for i, (code, name) in enumerate(_DEPARTMENTS, start=1)
    )
    employees = tuple(_employee(n, departments) for n in range(1, EMPLOYEE_COUNT + 1))
    return PeopleStore(departments=departments, employees=employees)
