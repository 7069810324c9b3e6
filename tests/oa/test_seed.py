"""The demo company: deterministic, idempotent (also when two processes seed at once), usable."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.settings import SubgraphSettings
from subgraphs.oa.app import build_app
from subgraphs.oa.seed import seed_demo_data
from subgraphs.oa.store.models import (
    ApprovalFlow,
    ApprovalRequest,
    Department,
    Employee,
    MeetingRoom,
    outbox,
)
from subgraphs.oa.store.people_events import announce_unannounced
from tandem_shared.db import create_engine, create_session_factory, transaction
from tandem_shared.keys import public_key_of
from tandem_shared.tokens import Principal
from tests.common.lifespan import running
from tests.e2e.stack import service_env
from tests.oa.client import OAClient

pytestmark = pytest.mark.anyio


@pytest.fixture
async def empty(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a migrated database without the tests' small company."""
    engine = create_engine(database_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def test_seeding_twice_at_once_loads_the_company_once(
    empty: async_sessionmaker[AsyncSession],
) -> None:
    results = await asyncio.gather(seed_demo_data(empty), seed_demo_data(empty))
    again = await seed_demo_data(empty)

    assert sorted(results) == [False, True]
    assert again is False
    async with transaction(empty) as session:
        counts = {
            model.__name__: await session.scalar(select(func.count()).select_from(model))
            for model in (Department, Employee, MeetingRoom, ApprovalFlow, ApprovalRequest)
        }
        employees = list(await session.scalars(select(Employee).order_by(Employee.id)))
        pending = await session.scalar(
            select(func.count()).where(ApprovalRequest.status == "PENDING")
        )
    assert counts == {
        "Department": 8,
        "Employee": 50,
        "MeetingRoom": 5,
        "ApprovalFlow": 4,
        "ApprovalRequest": 5,
    }
    assert pending == 5
    assert [e.id for e in employees[:2]] == ["emp-001", "emp-002"]
    assert employees[0].employee_no == "EMP-000001"
    assert employees[0].manager_id is None
    assert len({e.email for e in employees}) == 50
    roles = Counter(role for e in employees for role in e.roles)
    assert roles["employee"] == 50
    assert roles["manager"] == 8
    for role in ("finance", "hr", "procurement", "production", "sales", "auditor",
                 "security_admin", "integrator"):  # fmt: skip
        assert roles[role] > 0, role


async def test_the_demo_company_answers_through_the_app(
    empty: async_sessionmaker[AsyncSession], database_url: str, gateway_key: str, tmp_path: Path
) -> None:
    settings = SubgraphSettings(name="oa", data_dir=tmp_path, database_url=database_url)
    app = build_app(settings, public_key=public_key_of(gateway_key), seed=True)
    head_of_finance = Principal("emp-005", "Head of Finance", ("employee", "manager", "finance"))
    head_of_production = Principal("emp-029", "Head of Production", ("employee", "manager"))
    inbox = "{ approvalInbox { edges { node { title amount { amount } applicant { id } } } } }"

    async with running(app) as http:
        oa = OAClient(http, gateway_key)
        finance = await oa.data(head_of_finance, inbox)
        production = await oa.data(head_of_production, inbox)
        departments = await oa.data(head_of_finance, "{ departments { code manager { id } } }")
        news = await oa.data(head_of_finance, "{ announcements { edges { node { title } } } }")

    assert [e["node"]["title"] for e in finance["approvalInbox"]["edges"]] == [
        "Controller boards for the Q1 batch",
        "Taxi to the audit",
    ]
    assert [e["node"]["applicant"]["id"] for e in production["approvalInbox"]["edges"]] == [
        "emp-031"
    ]
    assert production["approvalInbox"]["edges"][0]["node"]["amount"] == {"amount": "3850.00"}
    assert len(departments["departments"]) == 8
    assert [e["node"]["title"] for e in news["announcements"]["edges"]] == ["Welcome to Tandem"]


async def test_the_company_is_announced_to_the_erp_once_also_when_seeded_before(
    empty: async_sessionmaker[AsyncSession],
) -> None:
    await seed_demo_data(empty)
    first = await _announced(empty)

    assert sorted(topic for _, topic, _ in first) == (
        ["oa.department.changed"] * 8 + ["oa.employee.changed"] * 50
    )
    assert {revision for _, _, revision in first} == {1}
    ceo = next(p for p, _, _ in first if p["id"] == "emp-001")
    assert (ceo["departmentId"], ceo["managerId"], ceo["active"]) == ("dept-01", None, True)
    qa = next(p for p, _, _ in first if p["id"] == "dept-08")
    assert (qa["parentId"], qa["managerId"]) == ("dept-06", "emp-047")

    # a database seeded before the announcements existed: nobody announced, revision 0
    async with transaction(empty) as session:
        await session.execute(delete(outbox))
        await session.execute(update(Employee).values(revision=0))
        await session.execute(update(Department).values(revision=0))
        hired = await session.get_one(Employee, "emp-050")
        hired.revision = 4  # HR changed this one since: announced already, left alone
    assert await seed_demo_data(empty) is False
    assert await seed_demo_data(empty) is False  # the second run announces nobody
    async with transaction(empty) as session:
        assert await announce_unannounced(session) == (0, 0)  # nor does the operator's command

    again = await _announced(empty)
    assert len(again) == 57 and "emp-050" not in {p["id"] for p, _, _ in again}
    assert {revision for _, _, revision in again} == {1}


async def _announced(
    sessions: async_sessionmaker[AsyncSession],
) -> list[tuple[dict[str, Any], str, int]]:
    """The people events in the OA outbox: (payload, topic, revision)."""
    topics = ("oa.employee.changed", "oa.department.changed")
    async with transaction(sessions) as session:
        rows = await session.execute(
            select(outbox.c.payload, outbox.c.topic).where(outbox.c.topic.in_(topics))
        )
        return [(dict(r.payload), r.topic, r.payload["revision"]) for r in rows]


async def test_the_announce_command_tells_the_erp_of_everyone_once(
    empty: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    """``python -m subgraphs.oa people announce`` on a company nobody announced yet."""
    await seed_demo_data(empty)
    async with transaction(empty) as session:
        await session.execute(delete(outbox))
        await session.execute(update(Employee).values(revision=0))
        await session.execute(update(Department).values(revision=0))

    def announce() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "subgraphs.oa", "people", "announce"],
            capture_output=True, text=True, check=False,
            env=service_env(TANDEM_OA_DATABASE_URL=database_url),
        )  # fmt: skip

    first = await anyio.to_thread.run_sync(announce)
    second = await anyio.to_thread.run_sync(announce)

    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout == "Announced 8 departments and 50 employees to the ERP.\n"
    assert second.stdout == "Announced 0 departments and 0 employees to the ERP.\n"
    assert len(await _announced(empty)) == 58
