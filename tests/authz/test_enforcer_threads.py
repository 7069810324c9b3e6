"""Decisions taken in several threads at once answer as they do one at a time.

Visible schemas are built in worker threads while the event loop decides fields; casbin parses
its matcher with ``ast`` on every evaluation, which CPython 3.11 before 3.11.8 cannot do in two
threads at once (``SystemError``, a 500 for the callers whose schema was being built)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from gateway.authz.enforcer import PolicyEnforcer
from tandem_shared.tokens import Principal
from tests.authz.policy_support import MODEL, POLICY

ROLES = ("employee", "manager", "finance", "hr", "sales", "warehouse", "auditor", "procurement")


def _decisions(enforcer: PolicyEnforcer, role: str, coordinates: list[str]) -> list[bool]:
    caller = Principal(f"user-{role}", f"user-{role}", (role,), None)
    return [
        enforcer.decide(caller, coordinate, action).allowed
        for coordinate in coordinates
        for action in ("read", "write")
    ]


def test_decisions_in_parallel_threads_match_the_sequential_ones() -> None:
    alone = PolicyEnforcer(MODEL, POLICY)
    coordinates = sorted({line[3] for line in alone.lines if line[0] == "p"})
    expected = {role: _decisions(alone, role, coordinates) for role in ROLES}
    shared = PolicyEnforcer(MODEL, POLICY)  # nothing cached: every thread evaluates casbin
    with ThreadPoolExecutor(len(ROLES)) as pool:
        answers = dict(
            zip(
                ROLES,
                pool.map(lambda role: _decisions(shared, role, coordinates), ROLES),
                strict=True,
            )
        )
    assert answers == expected
