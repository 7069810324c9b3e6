"""A known approval history with decisions at controlled times, and the figures it must give.

The rows are written straight into an OA database (SQLAlchemy Core, so the same code serves
SQLite and PostgreSQL, a test's in-process app or a running OA process), because decisions
made through the API happen "now". Kind ``ANALYTICS``, a flow of two steps: the
department manager, then the ``finance`` role. ``T0`` is Monday 2026-11-02, 09:00 at
UTC+08:00. Seconds after ``T0``:

| request | submitted | step 1 (manager)   | step 2 (finance)      | outcome             |
| ------- | --------- | ------------------ | --------------------- | ------------------- |
| R1      | 0         | approved 100       | approved 500          | APPROVED, cycle 500 |
| R2      | 1000      | approved 1300      | rejected 2300         | REJECTED, cycle 1300|
| R3      | 2000      | approved 2200      | approved 2800         | APPROVED, cycle 800 |
| R4      | 3000      | cancelled          | cancelled             | WITHDRAWN at 3500   |
| R5      | 4000      | pending (manager)  | waiting               | PENDING             |
| R6      | 5000      | approved 5050      | pending (any finance) | PENDING             |
| R7      | 7 d       | approved 7 d + 60  | approved 7 d + 160    | APPROVED, cycle 160 |

By hand (percentiles as ``percentile_cont``: position ``(n-1)·p``, linear between ranks):

- cycle times 160, 500, 800, 1300: median (500+800)/2 = 650; p90 at 2.7: 800 + 0.7·500 = 1150.
- step 1 waits 50, 60, 100, 200, 300: median 100; p90 at 3.6: 200 + 0.6·100 = 260.
- step 2 waits 100, 400, 600, 1000: median 500; p90 at 2.7: 600 + 0.7·400 = 880.
- finished 5 (3 approved, 1 rejected, 1 withdrawn): rejection and withdrawal rates 0.2 each;
  four finished in the week of 2026-11-02, one in the week of 2026-11-09.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.oa.store.models import (
    ApprovalFlow,
    ApprovalFlowStep,
    ApprovalRequest,
    ApprovalStep,
)

__all__ = ["KIND", "T0", "WEEK", "People", "add_history", "at", "epoch", "request_id"]

KIND: Final = "ANALYTICS"
T0: Final = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
WEEK: Final = 7 * 24 * 3600


@dataclass(frozen=True)
class People:
    """Who plays the parts: the applicant, their department and its manager, a finance
    approver."""

    applicant: str
    department: str
    manager: str
    finance: str


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def epoch(moment: str) -> int:
    """Whole seconds since the epoch of an ISO 8601 time."""
    return int(datetime.fromisoformat(moment).timestamp())


# request -> (submitted, status, decided, [(step status, decided at, decider)])
_HISTORY: Final[dict[str, tuple[int, str, int | None, list[tuple[str, int | None, str]]]]] = {
    "R1": (0, "APPROVED", 500, [("APPROVED", 100, "m"), ("APPROVED", 500, "f")]),
    "R2": (1000, "REJECTED", 2300, [("APPROVED", 1300, "m"), ("REJECTED", 2300, "f")]),
    "R3": (2000, "APPROVED", 2800, [("APPROVED", 2200, "m"), ("APPROVED", 2800, "f")]),
    "R4": (3000, "WITHDRAWN", 3500, [("CANCELLED", None, "m"), ("CANCELLED", None, "")]),
    "R5": (4000, "PENDING", None, [("PENDING", None, "m"), ("WAITING", None, "")]),
    "R6": (5000, "PENDING", None, [("APPROVED", 5050, "m"), ("PENDING", None, "")]),
    "R7": (
        WEEK,
        "APPROVED",
        WEEK + 160,
        [("APPROVED", WEEK + 60, "m"), ("APPROVED", WEEK + 160, "f")],
    ),
}


def request_id(name: str) -> str:
    return f"analytics-{name.lower()}"


async def add_history(connection: AsyncConnection, people: People) -> None:
    """Insert the flow and the seven requests of the table above."""
    flow_id = "flow-analytics"
    await connection.execute(
        insert(ApprovalFlow),
        [{"id": flow_id, "kind": KIND, "name": "Analytics check", "version": 1,
          "active": True, "defined_by": None, "defined_at": T0}],
    )  # fmt: skip
    await connection.execute(
        insert(ApprovalFlowStep),
        [
            {"flow_id": flow_id, "position": 1, "name": "Department manager",
             "rule": "DEPARTMENT_MANAGER", "role": None, "employee_id": None},
            {"flow_id": flow_id, "position": 2, "name": "Finance", "rule": "ROLE",
             "role": "finance", "employee_id": None},
        ],
    )  # fmt: skip
    requests: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    deciders = {"m": people.manager, "f": people.finance, "": None}
    for name, (submitted, status, decided, step_rows) in _HISTORY.items():
        rid = request_id(name)
        current = next((i + 1 for i, (s, _, _) in enumerate(step_rows) if s == "PENDING"), None)
        requests.append(
            {"id": rid, "kind": KIND, "title": f"Analytics {name}", "description": None,
             "applicant_id": people.applicant, "department_id": people.department,
             "flow_id": flow_id, "status": status, "current_step": current, "amount": None,
             "currency": None, "budget_period": None, "payload": {},
             "submitted_at": at(submitted), "updated_at": at(decided or submitted),
             "decided_at": None if decided is None else at(decided), "version": 1}
        )  # fmt: skip
        for position, (step_status, step_decided, who) in enumerate(step_rows, start=1):
            decider = deciders[who] if step_decided is not None else None
            assignee = deciders[who] if position == 1 else decider
            steps.append(
                {"request_id": rid, "position": position,
                 "name": "Department manager" if position == 1 else "Finance",
                 "rule": "DEPARTMENT_MANAGER" if position == 1 else "ROLE",
                 "role": None if position == 1 else "finance", "assignee_id": assignee,
                 "min_amount": None, "currency": None, "status": step_status,
                 "comment": None, "decided_by": decider,
                 "decided_at": None if step_decided is None else at(step_decided)}
            )  # fmt: skip
    await connection.execute(insert(ApprovalRequest), requests)
    await connection.execute(insert(ApprovalStep), steps)
