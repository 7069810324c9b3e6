"""The people subgraph's schema: ``Employee`` and ``Department`` entities."""

from typing import Self

import strawberry
from strawberry.federation import Schema

from subgraphs.demo.people.data import DepartmentRecord, EmployeeRecord, people_store
from subgraphs.demo.standards import FEDERATION_VERSION

__all__ = ["Department", "Employee", "Query", "schema"]


@strawberry.federation.type(keys=["id"], description="A person employed by the company.")
class Employee:
    id: strawberry.ID
    employee_no: str
    name: str
    email: str
    title: str
    department_id: strawberry.Private[str]

    @strawberry.field
    def department(self) -> "Department":
        record = people_store().department(self.department_id)
        assert record is not None, self.department_id
        return Department.from_record(record)

    @classmethod
    def from_record(cls, record: EmployeeRecord) -> Self:
        return cls(
            id=strawberry.ID(record.id),
            employee_no=record.employee_no,
            name=record.name,
            email=record.email,
            title=record.title,
            department_id=record.department_id,
        )

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self | None:
        record = people_store().employee(id)
        return None if record is None else cls.from_record(record)


@strawberry.federation.type(keys=["id"], description="An organisational unit.")
class Department:
    id: strawberry.ID
    code: str
    name: str

    @strawberry.field
    def members(self) -> list[Employee]:
        return [Employee.from_record(r) for r in people_store().members(self.id)]

    @classmethod
    def from_record(cls, record: DepartmentRecord) -> Self:
        return cls(id=strawberry.ID(record.id), code=record.code, name=record.name)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self | None:
        record = people_store().department(id)
        return None if record is None else cls.from_record(record)


@strawberry.type
class Query:
    @strawberry.field
    def employee(self, id: strawberry.ID) -> Employee | None:
        return Employee.resolve_reference(id)

    @strawberry.field
    def employees(self, first: int | None = 20) -> list[Employee]:
        records = people_store().employees[: max(first if first is not None else 20, 0)]
        return [Employee.from_record(r) for r in records]

    @strawberry.field
    def departments(self) -> list[Department]:
        return [Department.from_record(r) for r in people_store().departments]


schema = Schema(query=Query, federation_version=FEDERATION_VERSION)
