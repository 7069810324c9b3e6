"""Claim mapping: where a provider keeps the subject, roles, department and name, as settings.

The same mapping reads ID tokens, userinfo answers, JWT access tokens and introspection
answers. Each attribute is named by a *claim path*: the claim of that exact name if there is
one (``https://acme.example/claims/roles``, ``employee_id``), else a dotted path into nested
objects (``realm_access.roles``, ``resource_access.tandem.roles``). Roles may come from
several paths, whose values are united (Keycloak's realm and client roles). A roles value is
a JSON array of strings, or one string of names separated by spaces or commas.

``role_map`` turns what the provider calls groups or roles (Keycloak group paths, Entra ID
group object ids or app roles, Okta group names) into policy roles: a provider value maps to
one or more roles. With a map, provider values it does not list give no role (a new group
at the provider grants nothing until it is mapped); without one, provider values are the
roles. Tokens shaped as Keycloak, Entra ID, Okta and a plain provider issue them are in
``tests/auth/test_claims.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

__all__ = ["ClaimError", "ClaimMapping", "Identity", "claim", "parse_role_map"]

MAX_SUBJECT_CHARS: Final = 255
MAX_NAME_CHARS: Final = 200
MAX_ROLES: Final = 256
_SEPARATORS: Final = re.compile(r"[\s,]+")
_NAME: Final = re.compile(r"^[A-Za-z0-9_.@:/-]{1,128}$")


class ClaimError(ValueError):
    """A mapped claim has the wrong shape; the message names the claim, never its value."""


@dataclass(frozen=True, slots=True)
class Identity:
    """What a set of claims says about a person: the principal's fields."""

    subject: str | None
    name: str | None
    roles: tuple[str, ...]
    department: str | None
    email: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimMapping:
    """Which claim paths give the subject, roles, department and name; groups -> roles."""

    subject: str = "sub"
    roles: tuple[str, ...] = ("roles",)
    department: str = "department"
    name: str = "name"
    role_map: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )

    def __post_init__(self) -> None:
        roles = (self.roles,) if isinstance(self.roles, str) else tuple(self.roles)
        object.__setattr__(self, "roles", roles)
        for label in ("subject", "department", "name"):
            if not getattr(self, label):
                raise ClaimError(f"claims.{label} must not be empty")
        if not roles or not all(roles):
            raise ClaimError("claims.roles must name at least one claim")
        object.__setattr__(
            self,
            "role_map",
            MappingProxyType({key: tuple(value) for key, value in self.role_map.items()}),
        )

    def identity(self, claims: Mapping[str, Any]) -> Identity:
        """The subject, name, roles, department and email ``claims`` give; raises
        :class:`ClaimError` for a claim of the wrong type."""
        subject = claim(claims, self.subject)
        if isinstance(subject, int) and not isinstance(subject, bool):
            subject = str(subject)  # a numeric employee number
        if subject is not None and (not isinstance(subject, str) or not subject):
            raise ClaimError(f"the subject claim {self.subject} is not a string")
        if subject is not None and len(subject) > MAX_SUBJECT_CHARS:
            raise ClaimError(f"the subject claim {self.subject} is too long")
        department = claim(claims, self.department)
        if department is not None and not isinstance(department, str):
            raise ClaimError(f"the department claim {self.department} is not a string")
        email = claims.get("email")
        return Identity(
            subject=subject,
            name=self._name(claims),
            roles=self.roles_of(claims),
            department=department or None,
            email=email if isinstance(email, str) else None,
        )

    def roles_of(self, claims: Mapping[str, Any]) -> tuple[str, ...]:
        """The policy roles: every roles path's values, through ``role_map`` when set."""
        found: list[str] = []
        for path in self.roles:
            found.extend(_names(claim(claims, path), path))
        if self.role_map:
            found = [role for value in found for role in self.role_map.get(value, ())]
        roles = tuple(dict.fromkeys(role for role in found if _NAME.match(role)))
        if len(roles) > MAX_ROLES:
            raise ClaimError("too many roles")
        return roles

    def _name(self, claims: Mapping[str, Any]) -> str | None:
        for value in (claim(claims, self.name), claims.get("preferred_username"),
                      claims.get("username")):  # fmt: skip
            if isinstance(value, str) and value:
                return value[:MAX_NAME_CHARS]
        return None

    def describe(self) -> dict[str, Any]:
        """The mapping as plain data (``tandem config show``)."""
        return {
            "subject": self.subject,
            "roles": list(self.roles),
            "department": self.department,
            "name": self.name,
            "role_map": {key: list(value) for key, value in self.role_map.items()},
        }


def claim(claims: Mapping[str, Any], path: str) -> Any:
    """The claim ``path``, or, if there is none by that name, the dotted path into objects."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def parse_role_map(
    value: Mapping[str, Any] | Iterable[tuple[str, Any]],
) -> dict[str, tuple[str, ...]]:
    """A role map from settings: provider value -> a role, or a list or space-separated roles."""
    items = value.items() if isinstance(value, Mapping) else value
    table: dict[str, tuple[str, ...]] = {}
    for key, roles in items:
        if isinstance(roles, str):
            names = tuple(part for part in _SEPARATORS.split(roles) if part)
        elif isinstance(roles, list | tuple) and all(isinstance(r, str) for r in roles):
            names = tuple(roles)
        else:
            raise ClaimError(f"role_map: the roles of {key!r} must be a string or a list")
        if not key or not names or not all(_NAME.match(name) for name in names):
            raise ClaimError(f"role_map: {key!r} must map to role names")
        table[key] = names
    return table


def _names(value: Any, path: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in _SEPARATORS.split(value) if part]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        if len(value) > MAX_ROLES:
            raise ClaimError(f"the roles claim {path} has too many values")
        return [item for item in value if item]
    raise ClaimError(f"the roles claim {path} is not a list of strings")
