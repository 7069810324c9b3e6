"""Who did something, as the ERP answers it: an employee (OA's entity), or the system.

The data standard of both subgraphs (``subgraphs/README.md``): an actor is an ``Employee``
reference, so a client reads the name (or anything else OA holds) through the gateway; a
change made by a part of Tandem on its own (an event consumer, the demo seed) has a
:class:`SystemActor` instead, named ``system:<what>`` (``system:approvals``).
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from subgraphs.erp.api.entities import Employee

__all__ = ["Actor", "SystemActor", "actor_of"]

SYSTEM_PREFIX = "system"


@strawberry.type(description="A part of Tandem acting on its own, e.g. `system:approvals`.")
class SystemActor:
    name: str


Actor = Annotated[
    Employee | SystemActor,
    strawberry.union("Actor", description="Who did it: an employee, or the system."),
]


def actor_of(subject: str) -> Employee | SystemActor:
    """The actor a stored subject names (an employee id, or ``system`` / ``system:...``)."""
    if subject == SYSTEM_PREFIX or subject.startswith(f"{SYSTEM_PREFIX}:"):
        return SystemActor(name=subject)
    return Employee(id=strawberry.ID(subject))
