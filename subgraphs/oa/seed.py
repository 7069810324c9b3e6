"""The demo company: ``python -m subgraphs.oa seed``, or ``TANDEM_OA_SEED=1`` on start-up.

Deterministic and idempotent: one transaction, skipped when ``dept-01`` exists (on
PostgreSQL concurrent seeders queue on an advisory lock). Ids are shared with the ERP's
demo data: departments ``dept-01``..``dept-08``, employees ``emp-001``..``emp-050``, and
the purchase requests name its SKUs (``SKU-0001``...) and suppliers (``sup-01``...).

=========  =====  ===========================  ============  ==========================
id         code   name                         employees     extra roles
=========  =====  ===========================  ============  ==========================
dept-01    EXEC   Executive Office             001-004       (001 is the CEO)
dept-02    FIN    Finance                      005-012       finance
dept-03    IT     Information Technology       013-018       security_admin (013, 014),
                                                             integrator (015)
dept-04    HR     Human Resources              019-022       hr
dept-05    PROC   Procurement and Logistics    023-028       procurement
dept-06    PROD   Production                   029-038       production
dept-07    SALES  Sales                        039-046       sales
dept-08    QA     Quality Assurance (in PROD)  047-050       auditor
=========  =====  ===========================  ============  ==========================

Everyone has the role ``employee``; the first employee of each department manages it and
has ``manager``. Meeting rooms, the approval flows (PURCHASE: department manager, then
finance from 10 000.00 CNY; EXPENSE, LEAVE: department manager; CONTRACT: department
manager, then finance from 50 000.00 CNY), an announcement, and five open requests.

The departments and employees are announced to the ERP (``oa.department.changed``,
``oa.employee.changed`` at revision 1) through the outbox in the seed's transaction, so the
ERP's copy of people is complete once its worker has caught up; a database seeded before
that is announced by the next seed run (or ``python -m subgraphs.oa people announce``):
:func:`subgraphs.oa.store.people_events.announce_unannounced` says why this way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.codes import EMPLOYEE, format_code
from subgraphs.common.money import MoneyInput
from subgraphs.oa.store import (
    announcements,
    approvals,
    flows,
    meetings,
    messages,
    people_events,
)
from subgraphs.oa.store.models import Department, Employee
from subgraphs.oa.store.people import Actor
from tandem_shared.db import transaction

__all__ = ["DEPARTMENTS", "EMPLOYEE_COUNT", "employee_id", "seed_demo_data"]

EMPLOYEE_COUNT: Final = 50


@dataclass(frozen=True, slots=True)
class _Department:
    id: str
    code: str
    name: str
    parent: str | None
    first: int
    last: int
    roles: tuple[str, ...]


DEPARTMENTS: Final = (
    _Department("dept-01", "EXEC", "Executive Office", None, 1, 4, ()),
    _Department("dept-02", "FIN", "Finance", "dept-01", 5, 12, ("finance",)),
    _Department("dept-03", "IT", "Information Technology", "dept-01", 13, 18, ()),
    _Department("dept-04", "HR", "Human Resources", "dept-01", 19, 22, ("hr",)),
    _Department("dept-05", "PROC", "Procurement and Logistics", "dept-01", 23, 28,
                ("procurement",)),
    _Department("dept-06", "PROD", "Production", "dept-01", 29, 38, ("production",)),
    _Department("dept-07", "SALES", "Sales", "dept-01", 39, 46, ("sales",)),
    _Department("dept-08", "QA", "Quality Assurance", "dept-06", 47, 50, ("auditor",)),
)  # fmt: skip
_EXTRA_ROLES: Final = {13: ("security_admin",), 14: ("security_admin",), 15: ("integrator",)}
_GIVEN: Final = ("Wei", "Fang", "Min", "Jing", "Lei", "Yan", "Tao", "Hui", "Jun", "Li", "Qiang",
                 "Xin", "Na", "Bo", "Ying")  # fmt: skip
_FAMILY: Final = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu",
                  "Xu", "Sun", "Ma")  # fmt: skip
_TITLES: Final = ("Specialist", "Analyst", "Engineer", "Senior Engineer", "Coordinator")
_ROOMS: Final = (
    ("Emei", 2, ["phone"], "2F, east"),
    ("Everest", 4, ["screen"], "3F, east"),
    ("Huangshan", 8, ["screen", "whiteboard"], "3F, west"),
    ("Taishan", 12, ["projector", "video conferencing"], "5F"),
    ("Lushan", 30, ["projector", "microphones", "video conferencing"], "1F, hall"),
)
_ADVISORY_LOCK: Final = 0x0A5EED


def employee_id(n: int) -> str:
    """The id of the ``n``-th employee (1-based): ``emp-007``."""
    return f"emp-{n:03d}"


def _department_of(n: int) -> _Department:
    return next(d for d in DEPARTMENTS if d.first <= n <= d.last)


def _manager_of(n: int) -> str | None:
    department = _department_of(n)
    if n != department.first:
        return employee_id(department.first)
    if department.parent is None:
        return None
    parent = next(d for d in DEPARTMENTS if d.id == department.parent)
    return employee_id(parent.first)


def _roles(n: int) -> list[str]:
    department = _department_of(n)
    roles = ["employee"]
    if n == department.first:
        roles.append("manager")
    return [*roles, *department.roles, *_EXTRA_ROLES.get(n, ())]


def _id_card(n: int) -> str:
    """A well-formed (fictitious) 18-digit resident ID: region, birth date, sequence, check."""
    body = f"310101{1970 + n % 30:04d}{n % 12 + 1:02d}{n % 28 + 1:02d}{n:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _employee(n: int) -> Employee:
    department = _department_of(n)
    given, family = _GIVEN[(n * 7) % len(_GIVEN)], _FAMILY[(n * 5) % len(_FAMILY)]
    if n == 1:
        title = "Chief Executive Officer"
    elif n == department.first:
        title = f"Head of {department.name}"
    else:
        title = _TITLES[n % len(_TITLES)]
    return Employee(
        id=employee_id(n),
        employee_no=format_code(EMPLOYEE, None, n),
        name=f"{given} {family}",
        email=f"{given.lower()}.{family.lower()}.{n:03d}@tandem.example",
        title=title,
        department_id=department.id,
        phone=f"+86 139 {n:04d} {(n * 7919) % 10000:04d}",
        id_card_number=_id_card(n),
        roles=_roles(n),
        active=True,
    )


def _actor(n: int) -> Actor:
    return Actor(employee_id(n), frozenset(_roles(n)))


def _items(*lines: tuple[str, int, str, str]) -> list[approvals.ItemSpec]:
    return [
        approvals.ItemSpec(sku=sku, quantity=quantity, unit_price=MoneyInput(amount=price),
                           supplier_id=supplier)
        for sku, quantity, price, supplier in lines
    ]  # fmt: skip


async def seed_demo_data(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """Load the demo company unless it is there; True if it was loaded now."""
    async with transaction(sessions) as session:
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK})
        if await session.get(Department, DEPARTMENTS[0].id) is not None:
            await people_events.announce_unannounced(session)  # seeded before announcements
            return False
        await _people(session)
        await _rooms(session)
        await _flows(session)
        await _requests(session)
        await _news(session)
    return True


async def _people(session: AsyncSession) -> None:
    session.add_all(
        Department(id=d.id, code=d.code, name=d.name, parent_id=d.parent) for d in DEPARTMENTS
    )
    await session.flush()
    session.add_all(_employee(n) for n in range(1, EMPLOYEE_COUNT + 1))
    await session.flush()
    for n in range(1, EMPLOYEE_COUNT + 1):
        employee = await session.get_one(Employee, employee_id(n))
        employee.manager_id = _manager_of(n)
    for spec in DEPARTMENTS:
        department = await session.get_one(Department, spec.id)
        department.manager_id = employee_id(spec.first)
    await session.flush()
    await people_events.announce_unannounced(session)


async def _rooms(session: AsyncSession) -> None:
    for name, capacity, equipment, location in _ROOMS:
        await meetings.create_room(
            session, None, name=name, capacity=capacity, equipment=equipment, location=location
        )


async def _flows(session: AsyncSession) -> None:
    manager = flows.StepSpec(flows.Rule.DEPARTMENT_MANAGER)

    def finance(minimum: str) -> flows.StepSpec:
        return flows.StepSpec(
            flows.Rule.ROLE, name="Finance", role="finance", min_amount=MoneyInput(amount=minimum)
        )

    definitions: Sequence[tuple[str, str, list[flows.StepSpec]]] = (
        ("PURCHASE", "Purchase request", [manager, finance("10000.00")]),
        ("EXPENSE", "Expense claim", [manager]),
        ("LEAVE", "Leave request", [manager]),
        ("CONTRACT", "Contract review", [manager, finance("50000.00")]),
    )
    for kind, name, steps in definitions:
        await flows.define_flow(session, None, kind=kind, name=name, steps=steps)


async def _requests(session: AsyncSession) -> None:
    steel = approvals.RequestSpec(title="Steel and rods for line 2")
    await approvals.submit_purchase(
        session, _actor(31), steel,
        _items(("SKU-0001", 200, "12.50", "sup-01"), ("SKU-0002", 100, "13.50", "sup-01")),
    )  # fmt: skip
    components = approvals.RequestSpec(title="Controller boards for the Q1 batch")
    large = await approvals.submit_purchase(
        session, _actor(32), components, _items(("SKU-0013", 400, "37.00", "sup-02"))
    )
    await approvals.approve(session, _actor(29), large.id, comment="Needed for Q1.")
    dinner = approvals.RequestSpec(
        title="Client dinner, Shanghai Metro Retail", amount=MoneyInput(amount="860.00")
    )
    await approvals.submit(session, _actor(40), "EXPENSE", dinner)
    leave = approvals.RequestSpec(
        title="Annual leave",
        payload={"from": "2026-12-21", "to": "2026-12-24", "reason": "Family visit"},
    )
    await approvals.submit(session, _actor(24), "LEAVE", leave)
    taxi = approvals.RequestSpec(title="Taxi to the audit", amount=MoneyInput(amount="126.00"))
    await approvals.submit(session, _actor(6), "EXPENSE", taxi)


async def _news(session: AsyncSession) -> None:
    await announcements.publish(
        session, _actor(19), title="Welcome to Tandem",
        body="OA and ERP now share one login and one endpoint. Try approvalInbox.",
        audience_department_ids=[],
    )  # fmt: skip
    await messages.send(
        session, _actor(1), to=[employee_id(n) for n in (2, 3, 4)],
        subject="Quarterly review", body="Let us meet on Friday to review the quarter.",
    )  # fmt: skip
