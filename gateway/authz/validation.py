"""Policy rules as values, and the checks a rule passes before it may apply.

A rule is one ``p`` line of ``policies/model.conf``: subject, domain, object, action, effect.
:class:`RuleValidator` refuses, naming the bad column:

- an empty field, or one with surrounding whitespace;
- characters the casbin line format or its glob matcher would misread (``, [ ] ( ) { }``, quotes,
  ``#`` first); the stored form must read back as the same five values;
- an unknown action (``read``, ``write``, ``read_plain``, ``read_masked`` or ``*``), an effect
  other than ``allow``/``deny``;
- an object that is not a schema-coordinate glob: ``*``, or ``Type.field`` where each side is a
  GraphQL name that may contain ``*`` and ``?`` wildcards (``Employee.*``, ``*Connection.*``),
  or an argument coordinate of plain names, ``Query.customers(search:)`` (``arguments.py``);
- a subject that is not in the configured list of known subjects and roles (entries may be
  globs, ``emp-*``), a domain that is neither ``*`` nor a department id.
"""

from __future__ import annotations

import csv
import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import TandemError

__all__ = [
    "ACTIONS",
    "BUILTIN_SUBJECTS",
    "COLUMNS",
    "EFFECTS",
    "ROLES_FILE",
    "InvalidRule",
    "PolicyLine",
    "PolicyRule",
    "RuleValidator",
    "known_subjects",
    "read_roles",
]

ACTIONS = frozenset({"read", "write", "read_plain", "read_masked", "*"})
EFFECTS = frozenset({"allow", "deny"})
COLUMNS = ("subject", "domain", "object", "action", "effect")
ROLES_FILE = "roles.csv"
BUILTIN_SUBJECTS = ("anonymous",)
"""What the enforcer asks as when there is no principal: a subject every policy may name."""

PolicyLine = tuple[str, ...]
"""A stored policy line: its type (``p`` or ``g``) and its values, as casbin keeps them."""

_NAME_GLOB = r"[A-Za-z_*?][A-Za-z0-9_*?]*"
_COORDINATE = re.compile(rf"^(?:\*|{_NAME_GLOB}\.{_NAME_GLOB})$")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.@:-]{1,128}$")  # as gateway/auth/dev_identity.py
_FORBIDDEN = re.compile(r"[,\[\](){}\"'\s]")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_ARGUMENT = re.compile(rf"^{_NAME}\.{_NAME}\({_NAME}:\)$")  # Query.customers(search:)


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One policy line: ``p, subject, domain, object, action, effect``."""

    subject: str
    domain: str
    object: str
    action: str
    effect: str = "allow"

    @classmethod
    def from_values(cls, values: Sequence[str]) -> PolicyRule:
        """A rule from the values after ``p`` (an omitted effect is ``allow``)."""
        if len(values) not in (4, 5):
            raise InvalidRule(f"a policy rule has 5 columns, not {len(values)}", column="rule")
        return cls(*values)

    @property
    def values(self) -> tuple[str, str, str, str, str]:
        return (self.subject, self.domain, self.object, self.action, self.effect)

    @property
    def line(self) -> PolicyLine:
        return ("p", *self.values)

    def __str__(self) -> str:
        return "p, " + ", ".join(self.values)


class InvalidRule(TandemError):
    """A rule was refused before it applied; ``column`` names the offending field."""

    code = "BAD_USER_INPUT"
    status = 400

    def __init__(self, message: str, *, column: str, index: int | None = None) -> None:
        extensions: dict[str, object] = {"column": column}
        if index is not None:
            extensions["index"] = index
        super().__init__(message, extensions=extensions)
        self.column = column
        self.index = index


class RuleValidator:
    """Checks rules against the model's columns, the known actions and the known subjects.

    ``subjects`` None accepts any well-formed subject name; otherwise each entry is a name or
    an ``fnmatch`` glob. ``relations`` (the policy's ``relations.csv``) are the relations a
    subject ``role@relation`` may name; None accepts any.
    """

    def __init__(
        self,
        subjects: Iterable[str] | None = None,
        *,
        actions: Iterable[str] = ACTIONS,
        relations: Iterable[str] | None = None,
    ) -> None:
        self.subjects = None if subjects is None else tuple(subjects)
        self.relations = None if relations is None else frozenset(relations)
        self.actions = frozenset(actions)
        self._exact = frozenset(s for s in self.subjects or () if not _is_glob(s))
        self._globs = tuple(s for s in self.subjects or () if _is_glob(s))

    def check(self, rule: PolicyRule, *, index: int | None = None) -> PolicyRule:
        """Return ``rule`` if it may apply; raise :class:`InvalidRule` naming the column."""
        for column, value in zip(COLUMNS, rule.values, strict=True):
            if not value:
                raise InvalidRule(f"{column} is empty", column=column, index=index)
            argument = column == "object" and _ARGUMENT.match(value)
            if (_FORBIDDEN.search(value) and not argument) or value.startswith("#"):
                raise InvalidRule(
                    f"{column} {value!r} contains whitespace, a quote, a comma or a bracket",
                    column=column,
                    index=index,
                )
        if not _IDENTIFIER.match(rule.subject):
            raise InvalidRule(
                f"subject {rule.subject!r} is not a valid name", column="subject", index=index
            )
        if not self.known_subject(rule.subject):
            raise InvalidRule(
                f"unknown subject or role {rule.subject!r}", column="subject", index=index
            )
        if rule.domain != "*" and not _IDENTIFIER.match(rule.domain):
            raise InvalidRule(
                f"domain {rule.domain!r} is neither '*' nor a department id",
                column="domain",
                index=index,
            )
        plain = _COORDINATE.match(rule.object) and "**" not in rule.object
        if not plain and not _ARGUMENT.match(rule.object):
            raise InvalidRule(
                f"object {rule.object!r} is not a schema coordinate glob such as"
                " 'Employee.salary', 'Employee.*' or '*'",
                column="object",
                index=index,
            )
        if rule.action not in self.actions:
            raise InvalidRule(
                f"unknown action {rule.action!r}: one of {', '.join(sorted(self.actions))}",
                column="action",
                index=index,
            )
        if rule.effect not in EFFECTS:
            raise InvalidRule(
                f"effect {rule.effect!r} is neither 'allow' nor 'deny'",
                column="effect",
                index=index,
            )
        return rule

    def check_all(self, rules: Iterable[PolicyRule]) -> tuple[PolicyRule, ...]:
        """Check every rule (errors carry its index); a repeated rule is refused too."""
        seen: set[PolicyRule] = set()
        checked = []
        for index, rule in enumerate(rules):
            self.check(rule, index=index)
            if rule in seen:
                raise InvalidRule(f"rule {index} repeats {rule}", column="rule", index=index)
            seen.add(rule)
            checked.append(rule)
        return tuple(checked)

    def check_line(self, line: PolicyLine, *, index: int | None = None) -> PolicyLine:
        """Check a stored line: a ``p`` rule as :meth:`check`, a ``g`` row (user, role,
        domain) for well-formed names and a known role."""
        if line[:1] == ("p",):
            return self.check(PolicyRule.from_values(line[1:]), index=index).line
        if line[:1] != ("g",) or len(line) != 4:
            raise InvalidRule(f"not a p or g line: {', '.join(line)}", column="rule", index=index)
        for column, value in zip(("user", "role", "domain"), line[1:], strict=True):
            if not (value == "*" and column == "domain") and not _IDENTIFIER.match(value):
                raise InvalidRule(f"{column} {value!r} is not a valid name", column=column)
        if not self.known_subject(line[2]):
            raise InvalidRule(f"unknown role {line[2]!r}", column="role", index=index)
        return line

    def known_subject(self, subject: str) -> bool:
        base, _, relation = subject.partition("@")
        if relation:  # ``employee@self``: a known subject, on objects related to the caller
            declared = self.relations is None or relation in self.relations
            return declared and self.known_subject(base)
        if self.subjects is None or subject in self._exact:
            return True
        return any(fnmatch.fnmatchcase(subject, pattern) for pattern in self._globs)


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def read_roles(path: str | Path) -> tuple[str, ...]:
    """The roles a policy folder declares (``roles.csv``: a role per row, then what it is;
    ``#`` starts a comment), in their order; () when there is no such file. ValueError naming
    the file and line for a role that is not a valid name."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    roles: list[str] = []
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        role = row[0].strip() if row else ""
        if not role or role.startswith("#"):
            continue
        if not _IDENTIFIER.match(role) or "@" in role or role in roles:
            raise ValueError(f"{Path(path).name}, line {number}: {role!r} is no new role name")
        roles.append(role)
    return tuple(roles)


def known_subjects(folder: str | Path) -> tuple[str, ...] | None:
    """``anonymous`` and the roles ``folder``'s ``roles.csv`` declares: the subjects a rule may
    name (users aside); None (any subject) when the folder declares no roles."""
    roles = read_roles(Path(folder) / ROLES_FILE)
    return (*BUILTIN_SUBJECTS, *roles) if roles else None
