"""The demo company, for ``tandem dev`` and the tests: its roles and a sign-in per role.

The gateway itself knows no roles and no people: a policy folder declares its roles
(``roles.csv``) and the built-in development provider is given its users. This module is
the development wiring's, like ``gateway/dev.py``, and the one place besides it that reads
``subgraphs/``: the roles of the shipped ``policies/`` folder, and the people of
``subgraphs/demo``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from .auth.dev_provider import DemoUser
from .authz.validation import ROLES_FILE, read_roles

__all__ = ["DEMO_POLICY", "DEMO_ROLES", "demo_users"]

DEMO_POLICY: Final = Path(__file__).resolve().parents[1] / "policies"
"""The policy folder Tandem ships: the demo company's."""
DEMO_ROLES: Final = read_roles(DEMO_POLICY / ROLES_FILE)
"""The demo company's roles, as its policy folder declares them."""

# role -> the demo employee number who holds it (their department follows from the number)
_HOLDERS: Final = {
    "employee": 7, "manager": 15, "finance": 9, "hr": 10, "procurement": 11,
    "sales": 13, "production": 14, "auditor": 16, "security_admin": 12, "integrator": 20,
}  # fmt: skip
_DEPARTMENTS: Final = 8  # subgraphs/demo: employee n belongs to dept-((n - 1) % 8 + 1)


def demo_users(passwords: Mapping[str, str] | None = None) -> tuple[DemoUser, ...]:
    """One user per demo role (plus ``employee`` for the people roles); random passwords."""
    from subgraphs.demo.people.data import people_store

    people = people_store()
    users = []
    for role in DEMO_ROLES:
        number = _HOLDERS[role]
        person = people.employee(f"emp-{number:03d}")
        roles = (role,) if role in ("employee", "integrator") else ("employee", role)
        users.append(
            DemoUser(
                username=role,
                password=(passwords or {}).get(role) or secrets.token_urlsafe(9),
                subject=f"emp-{number:03d}",
                name=person.name if person else role,
                email=person.email if person else f"{role}@tandem.example",
                roles=roles,
                department=f"dept-{(number - 1) % _DEPARTMENTS + 1:02d}",
            )
        )
    return tuple(users)
