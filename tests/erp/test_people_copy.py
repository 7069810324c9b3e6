"""The ERP's copy of OA's people (issue 16, item 4): OA's events applied whatever their order,
``Employee.costCenter`` from it, a person OA announced deactivated refused whole, a malformed
event parked rather than retried for ever."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from subgraphs.common import parked_events
from subgraphs.common.events.bus import Event
from subgraphs.common.service_events import parking
from subgraphs.erp import NAME
from subgraphs.erp.store import events, people
from subgraphs.erp.store.models.people import PersonCopy
from subgraphs.erp.worker import GROUP, HANDLERS
from tandem_shared.db import transaction
from tandem_shared.tokens import Principal
from tests.erp.harness import ErpClient

pytestmark = pytest.mark.anyio

COST_CENTER = """
query ($id: ID!) {
  _entities(representations: [{__typename: "Employee", id: $id}]) {
    ... on Employee { costCenter { id } }
  }
}"""


def announced(person: str, revision: int, department: str, *, active: bool = True) -> Event:
    payload: dict[str, Any] = {
        "id": person, "employeeNo": "EMP-009999", "name": "Lin Qiu", "departmentId": department,
        "managerId": None, "active": active, "revision": revision,
        "changedAt": "2031-03-02T10:00:00+08:00",
    }  # fmt: skip
    return Event(id=str(uuid.uuid4()), topic=people.EMPLOYEE_CHANGED, payload=payload, key=person)


async def apply(erp: ErpClient, event: Event) -> None:
    handle = parking(HANDLERS[event.topic], service=NAME, group=GROUP, outbox=events.OUTBOX_TABLE)
    async with transaction(erp.sessions) as db:
        await handle(db, event)


async def test_the_newest_revision_wins_whatever_the_order(erp: ErpClient) -> None:
    person = f"emp-{uuid.uuid4().hex[:8]}"
    assert (await erp.data(COST_CENTER, {"id": person}))["_entities"] == [{"costCenter": None}]

    await apply(erp, announced(person, 1, "dept-06"))
    await apply(erp, announced(person, 3, "dept-02"))
    await apply(erp, announced(person, 2, "dept-07"))  # late: older than what the copy holds
    await apply(erp, announced(person, 3, "dept-09"))  # the same revision again: no change

    async with transaction(erp.sessions) as db:
        row = await db.get(PersonCopy, person)
        assert row is not None and (row.department_id, row.revision) == ("dept-02", 3)
    found = await erp.data(COST_CENTER, {"id": person})
    assert found["_entities"] == [{"costCenter": {"id": "dept-02"}}]


async def test_a_person_oa_announced_deactivated_is_refused(erp: ErpClient) -> None:
    person = f"emp-{uuid.uuid4().hex[:8]}"
    who = Principal(person, "Lin Qiu", ("employee", "finance"), "dept-02", None)
    await apply(erp, announced(person, 1, "dept-02"))
    assert await erp.data("{ accounts { edges { node { code } } } }", principal=who)

    await apply(erp, announced(person, 2, "dept-02", active=False))

    body = await erp.post("{ accounts { edges { node { code } } } }", principal=who)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["EMPLOYEE_DEACTIVATED"]
    assert body["data"] is None


async def test_a_malformed_announcement_is_parked(erp: ErpClient) -> None:
    event = announced(f"emp-{uuid.uuid4().hex[:8]}", 0, "dept-02")  # revisions start at 1

    await apply(erp, event)

    async with transaction(erp.sessions) as db:
        parked = await parked_events.open_parked(db, service=NAME, outbox=events.OUTBOX_TABLE)
        assert event.id in [p.event_id for p in parked]
        await parked_events.cancel(db, service=NAME, outbox=events.OUTBOX_TABLE,
                                   event_id=event.id, by="test")  # fmt: skip
