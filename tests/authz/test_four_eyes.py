"""Four-eyes policy changes below the HTTP layer: which changes are sensitive (globs both ways,
removed denies, role rows, rollbacks), and the workflow on the real PostgreSQL (one approval
wins a race, a replacement made on an old version is not applied, the emergency path is off
by default). The whole journey through a production gateway is ``tests/security``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.authz.approvals import FourEyes, Outcome
from gateway.authz.sensitive import SensitiveCoordinates, globs_overlap
from gateway.authz.store import PolicyConflict, PolicyNotFound, PolicyStore
from gateway.authz.validation import PolicyRule
from gateway.errors import TandemError
from tests.authz.policy_support import MODEL, POLICY

pytestmark = pytest.mark.anyio

SENSITIVE = SensitiveCoordinates.load()
SALARY = PolicyRule("security_admin", "*", "Employee.salary", "read")
EMAIL_DENY = PolicyRule("employee", "*", "Employee.email", "read", "deny")


@pytest.mark.parametrize(
    ("left", "right", "overlap"),
    [
        ("Employee.*", "Employee.salary", True),
        ("Employee.salary", "Employee.*", True),
        ("Policy*.*", "PolicyAdmin.rules", True),
        ("*.sal*", "Employee.salary", True),
        ("Emp?oyee.salar?", "Employee.salary", True),
        ("*Connection.*", "Policy*.*", True),  # PolicyConnection.x would match both
        ("Employee.email", "Employee.salary", False),
        ("Employee.*", "Supplier.bankAccount", False),
        ("a*b", "*c", False),
    ],
)
def test_globs_overlap_both_ways(left: str, right: str, overlap: bool) -> None:
    assert globs_overlap(left, right) is overlap
    assert globs_overlap(right, left) is overlap


@pytest.mark.parametrize(
    ("added", "removed", "sensitive"),
    [
        ([("p", "finance", "*", "Employee.salary", "read", "allow")], [], True),
        ([("p", "employee", "*", "Employee.*", "read", "allow")], [], True),
        ([("p", "employee", "*", "*", "write", "allow")], [], True),
        ([("p", "hr", "*", "Employee.phone", "read_plain", "allow")], [], True),
        ([("p", "sales", "*", "Customer.phone", "read_masked", "allow")], [], True),
        ([("p", "employee", "*", "PolicyAdmin.rules", "read", "allow")], [], True),
        ([("p", "employee", "*", "Mutation.approvePolicyChange", "write", "allow")], [], True),
        ([("g", "emp-001", "finance", "*")], [], True),  # a new role membership
        ([], [("p", "integrator", "*", "Supplier.bankAccount", "read", "deny")], True),
        # not sensitive: denials, other fields, removed allows
        ([("p", "employee", "*", "Employee.salary", "read", "deny")], [], False),
        ([("p", "employee", "*", "Employee.email", "read", "allow")], [], False),
        ([("p", "employee", "*", "Mutation.approve", "write", "allow")], [], False),
        ([], [("p", "finance", "*", "Employee.salary", "read", "allow")], False),
        ([], [("p", "employee", "*", "Item.listPrice", "read", "deny")], False),
    ],
)
def test_which_changes_grant_something_sensitive(
    added: list[tuple[str, ...]], removed: list[tuple[str, ...]], sensitive: bool
) -> None:
    assert bool(SENSITIVE.grants(added, removed)) is sensitive


def test_a_malformed_sensitive_file_stops_the_gateway(tmp_path: Path) -> None:
    path = tmp_path / "sensitive.csv"
    path.write_text("# ok\nEmployee.salary\n")
    with pytest.raises(TandemError, match=r"sensitive.csv:2: expected 'object glob, action'"):
        SensitiveCoordinates.load(path)
    with pytest.raises(TandemError, match="cannot read"):
        SensitiveCoordinates.load(tmp_path / "missing.csv")


@pytest.fixture
async def four_eyes(database_url: str) -> AsyncIterator[FourEyes]:
    store = PolicyStore(database_url, model_path=MODEL, seed_path=POLICY)
    await store.open()
    try:
        yield FourEyes(store, SENSITIVE)
    finally:
        await store.close()


async def submit(four_eyes: FourEyes, action: str, target: object) -> Outcome:
    return await four_eyes.submit(
        action, target, author="sec-001", comment="", expected_version=None, guard=None
    )


async def test_one_of_two_simultaneous_approvals_applies(four_eyes: FourEyes) -> None:
    held = await submit(four_eyes, "add", list(SALARY.values))
    assert held.change is None and held.request is not None
    assert await four_eyes.store.head() == 1
    results = await asyncio.gather(
        four_eyes.approve(held.request.id, "sec-002", "ok"),
        four_eyes.approve(held.request.id, "sec-003", "ok"),
        return_exceptions=True,
    )
    applied = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(applied) == 1 and len(refused) == 1
    # the loser read the request after the winner decided it, or before: CONFLICT either way
    assert isinstance(refused[0], PolicyConflict), refused[0]
    assert "decided meanwhile" in str(refused[0]) or "is APPROVED, not PENDING" in str(refused[0])
    assert await four_eyes.store.head() == 2
    assert SALARY.line in (await four_eyes.store.load()).lines
    request = await four_eyes.get(held.request.id)
    assert request is not None and (request.status, request.applied_version) == ("APPROVED", 2)


async def test_a_replacement_is_not_applied_on_a_policy_that_moved(four_eyes: FourEyes) -> None:
    rules = [list(SALARY.values), list(EMAIL_DENY.values)]  # drops every deny: sensitive
    held = await submit(four_eyes, "replace", rules)
    assert held.request is not None and held.request.base_version == 1
    moved = await submit(four_eyes, "add", list(EMAIL_DENY.values))  # not sensitive
    assert moved.change is not None and moved.change.version.version == 2
    with pytest.raises(PolicyConflict, match="at version 2, not 1"):
        await four_eyes.approve(held.request.id, "sec-002", "")
    request = await four_eyes.get(held.request.id)
    assert request is not None and request.status == "PENDING"  # nothing was applied
    assert await four_eyes.store.head() == 2


async def test_decisions_need_a_pending_request_and_the_emergency_path_is_off_by_default(
    four_eyes: FourEyes,
) -> None:
    with pytest.raises(PolicyNotFound):
        await four_eyes.approve(99, "sec-002", "")
    held = await submit(four_eyes, "add", list(SALARY.values))
    assert held.request is not None
    with pytest.raises(TandemError, match="none is configured") as refused:
        await four_eyes.emergency(held.request.id, "sec-001", ["security_admin"], "urgent")
    assert refused.value.code == "FORBIDDEN"
    await four_eyes.withdraw(held.request.id, "sec-001", "")
    with pytest.raises(PolicyConflict, match="is WITHDRAWN"):
        await four_eyes.approve(held.request.id, "sec-002", "")
    entries, _ = await four_eyes.store.audit(10)
    assert [(e.kind, e.actor, e.version) for e in entries[:2]] == [
        ("withdrawal", "sec-001", None),
        ("request", "sec-001", None),
    ]
    assert await four_eyes.store.head() == 1
