"""The OA audit trail: every change recorded with who, what and when, hash-chained, verified.

The app runs on SQLite and on PostgreSQL (``tests/oa/conftest.py``); the gateway-level view
(through ``tandem serve``, OA and ERP as processes) is ``tests/e2e/test_audit_trail.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.audit_chain import GENESIS, record_hash
from subgraphs.common.audit_cli import verify_database
from subgraphs.oa.store.models import Employee, audit_log
from tandem_shared.db import transaction
from tandem_shared.tokens import Principal
from tests.common.signing import signed
from tests.oa.client import OAClient
from tests.oa.org import ALICE, BOB, HELEN

pytestmark = pytest.mark.anyio

AUDITOR = Principal("emp-ada", "Ada Auditor", ("employee", "auditor"), "dept-hq")
TRAIL = """
query ($filter: AuditFilter, $first: Int, $after: String) {
  oaAuditTrail(filter: $filter, first: $first, after: $after) {
    edges { node {
      seq subject clientId requestId operation kind entityType entityId recordedAt
      prevHash hash changes { field old new encrypted }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
SEND = """
mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }
"""
READ = "mutation ($id: ID!) { markRead(id: $id) { readAt } }"
INBOX = "{ messages { edges { node { id } } } }"
IDENTITY = """
mutation ($id: ID!, $idCard: String, $phone: String) {
  updateEmployeeIdentity(id: $id, idCardNumber: $idCard, phone: $phone) { id }
}
"""


async def trail(oa: OAClient, **filter: Any) -> list[dict[str, Any]]:
    data = await oa.data(AUDITOR, TRAIL, filter=filter, first=100)
    return [edge["node"] for edge in data["oaAuditTrail"]["edges"]]


def changes(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {change["field"]: change for change in record["changes"]}


async def test_a_mutation_is_recorded_with_its_actor_operation_and_old_and_new_values(
    oa: OAClient,
) -> None:
    await oa.data(ALICE, SEND, input={"to": ["emp-bob"], "subject": "Audit me", "body": "Hi"})
    [mine] = [edge["node"] for edge in (await oa.data(BOB, INBOX))["messages"]["edges"]]
    await oa.data(BOB, READ, id=mine["id"])

    sent = await trail(oa, subject="emp-alice", operation="sendMessage")
    created = {record["entityType"] for record in sent}
    assert {"Message", "MailboxEntry"} <= created
    assert {record["kind"] for record in sent} == {"CREATE"}
    [message] = [record for record in sent if record["entityType"] == "Message"]
    assert changes(message)["subject"] == {
        "field": "subject", "old": None, "new": "Audit me", "encrypted": False
    }  # fmt: skip

    [read] = await trail(oa, subject="emp-bob", kind="UPDATE")
    assert read["operation"] == "markRead"
    assert read["entityType"] == "MailboxEntry"
    assert read["entityId"] == mine["id"]
    [read_at] = read["changes"]
    assert read_at["field"] == "read_at"
    assert read_at["old"] is None and read_at["new"] is not None
    assert read["clientId"] is None


async def test_encrypted_fields_are_recorded_as_changed_without_their_values(
    oa: OAClient,
) -> None:
    await oa.data(HELEN, IDENTITY, id="emp-bob", idCard="11010519491231002X",
                  phone="+86 138 0013 8000")  # fmt: skip

    [record] = await trail(oa, entityType="Employee", entityId="emp-bob", subject="emp-helen")
    assert record["kind"] == "UPDATE"
    assert record["operation"] == "updateEmployeeIdentity"
    recorded = changes(record)
    assert recorded["id_card_number"] == {
        "field": "id_card_number", "old": None, "new": None, "encrypted": True
    }  # fmt: skip
    assert recorded["phone"]["encrypted"] is True
    assert "id_card_number_bidx" not in recorded  # a token of the value: not recorded
    text = json.dumps(record["changes"])
    assert "11010519491231002X" not in text and "0013" not in text and "8000" not in text


async def test_the_trail_is_paged_newest_first_and_filtered_by_time(oa: OAClient) -> None:
    for n in range(3):
        await oa.data(ALICE, SEND, input={"to": ["emp-bob"], "subject": f"n{n}", "body": "x"})
    everything = await trail(oa)
    seqs = [record["seq"] for record in everything]
    assert seqs == sorted(seqs, reverse=True)

    first = await oa.data(AUDITOR, TRAIL, first=2)
    page = first["oaAuditTrail"]
    assert page["pageInfo"]["hasNextPage"] is True
    second = await oa.data(AUDITOR, TRAIL, first=2, after=page["pageInfo"]["endCursor"])
    walked = [edge["node"]["seq"] for edge in page["edges"]]
    walked += [edge["node"]["seq"] for edge in second["oaAuditTrail"]["edges"]]
    assert walked == seqs[:4]

    newest = everything[0]["recordedAt"]
    assert await trail(oa, to=newest) == [r for r in everything if r["recordedAt"] < newest]
    assert {r["seq"] for r in await trail(oa, **{"from": newest})} == {
        r["seq"] for r in everything if r["recordedAt"] == newest
    }


async def test_only_auditors_may_read_the_trail_and_bad_filters_name_their_field(
    oa: OAClient,
) -> None:
    error = await oa.error(ALICE, TRAIL)
    assert error["code"] == "FORBIDDEN"
    error = await oa.error(
        AUDITOR, TRAIL, filter={"from": "2026-12-01T00:00:00+08:00", "to": "2026-11-01T00:00:00Z"}
    )
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "filter.to")


async def test_the_chain_links_every_record_and_verifies(
    oa: OAClient, sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await oa.data(ALICE, SEND, input={"to": ["emp-bob"], "subject": "Chain", "body": "x"})
    async with transaction(sessions) as db:
        rows = (await db.execute(select(audit_log).order_by(audit_log.c.seq))).mappings().all()
    assert [row["seq"] for row in rows] == list(range(1, len(rows) + 1))
    assert rows[0]["prev_hash"] == GENESIS
    for before, after in itertools.pairwise(rows):
        assert after["prev_hash"] == before["hash"]
    assert all(record_hash(row) == row["hash"] for row in rows)

    result = await verify_database(database_url, audit_log)
    assert result.intact and result.count == len(rows)
    assert result.last_hash == rows[-1]["hash"]


async def test_a_record_edited_in_the_database_is_named_by_the_verify_command(
    oa: OAClient, sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await oa.data(ALICE, SEND, input={"to": ["emp-bob"], "subject": "Tamper", "body": "x"})
    [target] = [r for r in await trail(oa, operation="sendMessage") if r["entityType"] == "Message"]
    assert (await _verify_command(database_url)).returncode == 0

    forged = json.dumps([{"field": "subject", "new": "Nothing to see", "old": None}])
    original = await _set_changes(sessions, target["seq"], forged)
    run = await _verify_command(database_url)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"BROKEN at record {target['seq']}:" in run.stdout
    assert "was changed after it was written" in run.stdout

    await _set_changes(sessions, target["seq"], original)  # put back: the chain holds again
    assert (await _verify_command(database_url)).returncode == 0


async def _set_changes(sessions: async_sessionmaker[AsyncSession], seq: int, changes: str) -> str:
    """Overwrite record ``seq``'s changes in the database, as an intruder would; the old."""
    async with sessions() as db, db.begin():
        old = await db.scalar(select(audit_log.c.changes).where(audit_log.c.seq == seq))
        await db.execute(update(audit_log).where(audit_log.c.seq == seq).values(changes=changes))
    assert isinstance(old, str)
    return old


async def test_a_removed_record_breaks_the_chain(
    oa: OAClient, sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await oa.data(ALICE, SEND, input={"to": ["emp-bob", "emp-carol"], "subject": "x", "body": "x"})
    async with sessions() as db, db.begin():
        removed = (await db.execute(select(audit_log).where(audit_log.c.seq == 2))).one()
        await db.execute(audit_log.delete().where(audit_log.c.seq == 2))
    result = await verify_database(database_url, audit_log)
    assert (result.intact, result.broken_seq) == (False, 2)
    assert result.reason is not None and "missing" in result.reason

    async with sessions() as db, db.begin():  # put back: the chain holds again
        await db.execute(audit_log.insert().values(**removed._asdict()))
    assert (await verify_database(database_url, audit_log)).intact


async def test_changes_outside_a_request_are_the_systems_and_a_rollback_records_nothing(
    oa: OAClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with transaction(sessions) as db:
        employee = await db.get_one(Employee, "emp-carol")
        employee.title = "Staff Engineer"
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as db:
            employee = await db.get_one(Employee, "emp-carol")
            employee.title = "Never"
            await db.flush()
            raise RuntimeError("undo")

    records = await trail(oa, entityType="Employee", entityId="emp-carol", kind="UPDATE")
    [record] = [r for r in records if "title" in changes(r)]
    assert record["subject"] == "system"
    assert record["operation"] is None
    assert changes(record)["title"]["new"] == "Staff Engineer"


async def _verify_command(database_url: str) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own; the app (in this event loop) keeps running."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "subgraphs.oa", "audit", "verify", "--database-url", database_url],
        capture_output=True,
        text=True,
        check=False,
    )


async def test_the_api_client_and_the_gateways_request_id_are_recorded(oa: OAClient) -> None:
    robot = Principal("emp-alice", "Alice Li", ("employee",), "dept-eng", "reporting-robot")
    payload = {"query": SEND, "variables": {"input": {"to": ["emp-bob"], "subject": "Robot",
                                                       "body": "x"}}}  # fmt: skip
    request = signed(oa.private_key, "oa", robot, payload)
    request["headers"]["x-request-id"] = "req-7f3a"
    response = await oa.http.post("/graphql", **request)
    assert response.status_code == 200 and "errors" not in response.json(), response.text

    records = await trail(oa, requestId="req-7f3a")
    assert {r["entityType"] for r in records} >= {"Message", "MailboxEntry"}
    assert {(r["subject"], r["clientId"], r["operation"]) for r in records} == {
        ("emp-alice", "reporting-robot", "sendMessage")
    }
    assert await trail(oa, clientId="reporting-robot") == records


async def test_concurrent_mutations_chain_one_after_another(
    oa: OAClient, database_url: str
) -> None:
    await asyncio.gather(*(
        oa.data(ALICE, SEND, input={"to": ["emp-bob"], "subject": f"c{n}", "body": "x"})
        for n in range(8)
    ))  # fmt: skip
    result = await verify_database(database_url, audit_log)
    assert result.intact, result.reason
    sent = await trail(oa, operation="sendMessage", entityType="Message")
    assert len(sent) == 8
