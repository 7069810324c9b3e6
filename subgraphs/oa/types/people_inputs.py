# mypy: disable-error-code="untyped-decorator"
"""The inputs of HR's people mutations (:mod:`subgraphs.oa.resolvers.people_upkeep`)."""

from __future__ import annotations

import strawberry

__all__ = [
    "CreateDepartmentInput",
    "CreateEmployeeInput",
    "UpdateDepartmentInput",
    "UpdateEmployeeInput",
]


@strawberry.input(description="A new employee; the employee number is given by OA.")
class CreateEmployeeInput:
    name: str
    email: str
    title: str
    department_id: strawberry.ID
    manager_id: strawberry.ID | None = strawberry.field(
        default=None, description="The line manager; default: the department's manager."
    )


@strawberry.input(description="What changes; a field left out stays as it is.")
class UpdateEmployeeInput:
    name: str | None = None
    email: str | None = None
    title: str | None = None


@strawberry.input(description="A new department.")
class CreateDepartmentInput:
    code: str = strawberry.field(description="Unique: 2-32 capital letters, digits, - or _.")
    name: str
    parent_id: strawberry.ID | None = None
    manager_id: strawberry.ID | None = None


@strawberry.input(
    description="What changes; a field left out stays as it is. A new manager takes over "
    "the members who reported to the previous one."
)
class UpdateDepartmentInput:
    code: str | None = None
    name: str | None = None
    parent_id: strawberry.ID | None = None
    manager_id: strawberry.ID | None = None
