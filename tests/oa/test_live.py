"""Whose approval inbox an ``oa.approval.changed`` event touches (``resolvers/live.py``'s
``inbox_change``), as a table: the step's assignee, else its role's holders, never the
applicant."""

from __future__ import annotations

from typing import Any

import pytest

from subgraphs.oa.resolvers.live import inbox_change
from subgraphs.oa.store.people import Actor
from subgraphs.oa.types.live import InboxChange

MANAGER = {"assigneeId": "emp-ann", "role": None}
FINANCE = {"assigneeId": None, "role": "finance"}
ANN = Actor("emp-ann", frozenset({"employee", "manager"}))
FIONA = Actor("emp-fiona", frozenset({"employee", "finance"}))
BOB = Actor("emp-bob", frozenset({"employee", "finance"}))  # the applicant, also in finance
CAROL = Actor("emp-carol", frozenset({"employee"}))


def change(before: Any, after: Any) -> dict[str, Any]:
    return {"applicantId": "emp-bob", "inboxBefore": before, "inboxAfter": after}


@pytest.mark.parametrize(
    ("payload", "actor", "expected"),
    [
        (change(None, MANAGER), ANN, InboxChange.ARRIVED),
        (change(MANAGER, FINANCE), ANN, InboxChange.LEFT),
        (change(MANAGER, FINANCE), FIONA, InboxChange.ARRIVED),
        (change(FINANCE, None), FIONA, InboxChange.LEFT),
        (change(FINANCE, FINANCE), FIONA, InboxChange.STAYED),
        (change(MANAGER, FINANCE), CAROL, None),
        (change(MANAGER, FINANCE), BOB, None),  # holds finance, but it is their own request
        (change(None, None), ANN, None),
        (change({"assigneeId": "emp-fiona", "role": "finance"}, None), FIONA, InboxChange.LEFT),
        (change({"assigneeId": "emp-ann", "role": None}, None), FIONA, None),
    ],
)
def test_whose_inbox_a_change_touches(
    payload: dict[str, Any], actor: Actor, expected: InboxChange | None
) -> None:
    assert inbox_change(payload, actor) == expected
